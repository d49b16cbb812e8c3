//! Bad input: every refusal has its exact status, a JSON `Error` body whose `code` is that
//! status, and sends nothing.

use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::*;

/// Sends `call` to a manager whose broadcaster must never be called and checks the
/// answer.
async fn check(setup: &Setup, call: Call, status: StatusCode, text: &str) {
    let manager = setup.silent();
    call.send(&manager).await.assert_error(status, text);
}

fn job_with(field: &str, value: Value) -> Value {
    let mut job = echo_sleep_json();
    job[field] = value;
    job
}

#[tokio::test]
async fn bad_job_submissions() {
    let s = Setup::new();
    const BAD: StatusCode = StatusCode::BAD_REQUEST;
    let jobs = "/api/v3/jobs";
    check(&s, post(jobs).raw("application/json", "{not json"), BAD, "invalid JSON body").await;
    check(&s, post(jobs).raw("application/json", ""), BAD, "invalid JSON body").await;
    check(&s, post(jobs).json(json!([1, 2])), BAD, "invalid type").await;
    check(&s, post(jobs).json(json!("a job")), BAD, "invalid type: string").await;
    check(&s, post(jobs).json(json!({})), BAD, "missing field `name`").await;
    check(&s, post(jobs).json(job_with("priority", json!("high"))), BAD, "invalid type: string \"high\"")
        .await;
    check(
        &s,
        post(jobs).json(job_with("priority", json!(101))),
        BAD,
        "priority must be between 0 and 100, got 101",
    )
    .await;
    check(
        &s,
        post(jobs).json(job_with("priority", json!(-1))),
        BAD,
        "priority must be between 0 and 100, got -1",
    )
    .await;
    check(&s, post(jobs).json(job_with("priority", json!(1e12))), BAD, "invalid type").await;
    check(&s, post(jobs).json(job_with("type", json!("nope"))), BAD, "unknown job type \"nope\"").await;
    check(&s, post(jobs).json(job_with("name", json!("  "))), BAD, "the job name must not be empty").await;
    check(&s, post(jobs).json(job_with("worker_tag", json!("gpu"))), BAD, "worker_tag \"gpu\" is not a UUID")
        .await;
    let tag = Uuid::new_v4();
    check(
        &s,
        post(jobs).json(job_with("worker_tag", json!(tag))),
        BAD,
        &format!("worker tag {tag} does not exist"),
    )
    .await;
    check(
        &s,
        post(jobs).json(job_with("settings", json!({"message": "hi"}))),
        BAD,
        "setting \"sleep_duration_seconds\" is required",
    )
    .await;
    check(
        &s,
        post(jobs).json(job_with("settings", json!({"message": "hi", "sleep_duration_seconds": 0}))),
        BAD,
        "setting \"sleep_duration_seconds\" must be a positive integer, got 0",
    )
    .await;
    check(&s, post(jobs).json(render_json("1-x", 3)), BAD, "setting \"frames\" is invalid").await;
    check(
        &s,
        post(jobs).json(render_json("1-10", 0)),
        BAD,
        "setting \"chunk_size\" must be a positive integer, got 0",
    )
    .await;
    check(&s, post(jobs).json(render_json("1-9999999999", 1)), BAD, "more than 100000 frames").await;
    check(
        &s,
        post(jobs).raw("text/plain", echo_sleep_json().to_string()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type: application/json",
    )
    .await;
    let no_content_type = post(jobs);
    let no_content_type = Call::from_body(no_content_type, echo_sleep_json().to_string());
    check(&s, no_content_type, StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type").await;
    let huge = json!({"name": "x".repeat(3 * 1024 * 1024), "type": "echo-sleep-test", "submitter_platform": "linux"});
    check(&s, post(jobs).json(huge), StatusCode::PAYLOAD_TOO_LARGE, "the request body is too large").await;
}

#[tokio::test]
async fn bad_path_ids_are_400() {
    let s = Setup::new();
    const BAD: StatusCode = StatusCode::BAD_REQUEST;
    check(&s, get("/api/v3/jobs/not-a-uuid"), BAD, "invalid path").await;
    check(&s, get("/api/v3/jobs/123/tasks"), BAD, "invalid path").await;
    check(&s, post("/api/v3/jobs/123/setpriority").json(json!({"priority": 1})), BAD, "invalid path").await;
    check(&s, delete("/api/v3/jobs/zzz"), BAD, "invalid path").await;
    check(&s, get("/api/v3/tasks/zzz"), BAD, "invalid path").await;
    check(
        &s,
        post("/api/v3/tasks/zzz/setstatus").json(json!({"status": "queued", "reason": "r"})),
        BAD,
        "invalid path",
    )
    .await;
    check(&s, delete("/api/v3/worker-mgt/workers/zzz"), BAD, "invalid path").await;
    check(&s, get("/api/v3/worker-mgt/tag/zzz"), BAD, "invalid path").await;
}

#[tokio::test]
async fn bad_bodies_on_other_routes_are_400() {
    let s = Setup::new();
    const BAD: StatusCode = StatusCode::BAD_REQUEST;
    let job = s.echo_job().await;
    let setpriority = format!("/api/v3/jobs/{}/setpriority", job.id);
    check(&s, post(&setpriority).json(json!({"priority": "70"})), BAD, "invalid type: string \"70\"").await;
    check(&s, post(&setpriority).json(json!({"priority": 7.5})), BAD, "invalid type").await;
    check(&s, post(&setpriority).json(json!({})), BAD, "missing field `priority`").await;
    check(&s, post(&setpriority).json(json!({"priority": 101})), BAD, "got 101").await;
    check(&s, post(&setpriority).json(json!({"priority": -1})), BAD, "got -1").await;
    check(&s, post(&setpriority).json(json!({"priority": null})), BAD, "invalid type: null").await;
    let setstatus = format!("/api/v3/jobs/{}/setstatus", job.id);
    check(
        &s,
        post(&setstatus).json(json!({"status": "bogus", "reason": "r"})),
        BAD,
        "unknown variant `bogus`",
    )
    .await;
    check(&s, post("/api/v3/worker/register-worker").json(json!({"name": "w"})), BAD, "missing field").await;
    check(
        &s,
        post("/api/v3/worker/register-worker")
            .json(json!({"name": "w", "secret": "", "platform": "linux", "supported_task_types": []})),
        BAD,
        "secret must not be empty",
    )
    .await;
    check(
        &s,
        post("/api/v3/worker/register-worker")
            .json(json!({"name": "w", "secret": "s", "platform": "linux", "supported_task_types": "misc"})),
        BAD,
        "invalid type",
    )
    .await;
    let worker = s.awake_worker().await;
    check(
        &s,
        post("/api/v3/worker/state-changed").worker(&worker).json(json!({"status": "sleepy"})),
        BAD,
        "unknown variant `sleepy`",
    )
    .await;
    check(
        &s,
        post("/api/v3/worker/sign-on").worker(&worker).json(json!({"name": "w"})),
        BAD,
        "missing field",
    )
    .await;
    check(
        &s,
        post(format!("/api/v3/worker/task/{}", Uuid::new_v4()))
            .worker(&worker)
            .json(json!({"taskStatus": "done"})),
        BAD,
        "unknown variant `done`",
    )
    .await;
    check(
        &s,
        post(format!("/api/v3/worker-mgt/workers/{}/setstatus", worker.id)).json(json!({"status": "asleep"})),
        BAD,
        "missing field `is_lazy`",
    )
    .await;
}

#[tokio::test]
async fn unknown_ids_on_worker_routes_are_404() {
    let s = Setup::new();
    let worker = s.awake_worker().await;
    let unknown = Uuid::new_v4();
    check(
        &s,
        post(format!("/api/v3/worker/task/{unknown}")).worker(&worker).json(json!({"log": "x"})),
        StatusCode::NOT_FOUND,
        &format!("task {unknown} does not exist"),
    )
    .await;
    check(
        &s,
        post(format!("/api/v3/worker/task/{unknown}/output-produced"))
            .worker(&worker)
            .raw("image/jpeg", "jpg"),
        StatusCode::NOT_FOUND,
        "does not exist",
    )
    .await;
    check(
        &s,
        get(format!("{}/last-rendered.jpg", job_files(unknown))),
        StatusCode::NOT_FOUND,
        "there is no job file",
    )
    .await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let s = Setup::new();
    check(&s, get("/api/v3/nope"), StatusCode::NOT_FOUND, "no route for GET /api/v3/nope").await;
    check(&s, put("/api/v3/jobs"), StatusCode::METHOD_NOT_ALLOWED, "/api/v3/jobs does not take PUT").await;
    check(&s, put("/api/v3/version"), StatusCode::METHOD_NOT_ALLOWED, "does not take PUT").await;
}

#[tokio::test]
async fn worker_routes_need_the_workers_credential() {
    let s = Setup::new();
    let worker = s.awake_worker().await;
    let job = s.echo_job().await;
    let task = s.task_named(&job, "echo");
    let routes: Vec<(String, Option<Value>)> = vec![
        (
            "/api/v3/worker/sign-on".into(),
            Some(json!({"name": "w", "supported_task_types": [], "software_version": "1"})),
        ),
        ("/api/v3/worker/sign-off".into(), None),
        ("/api/v3/worker/state-changed".into(), Some(json!({"status": "awake"}))),
        ("/api/v3/worker/task".into(), None),
        (format!("/api/v3/worker/task/{}", task.id), Some(json!({"log": "x"}))),
        (format!("/api/v3/worker/task/{}/output-produced", task.id), None),
    ];
    let id = worker.id.to_string();
    let credentials: Vec<Option<String>> = vec![
        None,
        Some(basic(&id, "wrong secret")),
        Some(basic(&Uuid::new_v4().to_string(), SECRET)),
        Some(basic("not-a-uuid", SECRET)),
        Some(basic(&id, "")),
        Some(format!("Bearer {SECRET}")),
        Some("Basic %%%".to_owned()),
    ];
    for (uri, body) in &routes {
        for credential in &credentials {
            let mut call = post(uri);
            if let Some(value) = credential {
                call = call.header("authorization", value);
            }
            if let Some(body) = body {
                call = call.json(body.clone());
            }
            let manager = s.silent();
            let response = call.send(&manager).await;
            response.assert_status(StatusCode::UNAUTHORIZED);
            assert_eq!(
                response.headers["www-authenticate"], "Basic realm=\"Flamenco Worker\"",
                "{uri} with {credential:?}"
            );
        }
    }
    // Nothing changed: the worker is still awake and the task still queued.
    assert_eq!(s.manager.worker(worker.id).unwrap().status, broadcast_core::WorkerStatus::Awake);
    assert_eq!(s.manager.task(task.id).unwrap().status, broadcast_core::TaskStatus::Queued);
}

#[tokio::test]
async fn version_is_a_flamenco_version() {
    let s = Setup::new();
    let manager = s.silent();
    let response = get("/api/v3/version").send(&manager).await;
    response.assert_status(StatusCode::OK);
    let version = response.json();
    for field in ["version", "shortversion", "name", "git"] {
        assert!(version[field].is_string(), "{field} in {version}");
    }
}
