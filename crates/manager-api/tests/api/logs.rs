//! Task logs: appended from worker updates, read back whole (`/log` and `/job-files/`) and
//! as a tail (`/logtail`), byte for byte; and no `/job-files/` path reaches anything else.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn logs_are_204_until_a_worker_sends_lines_then_served_whole_and_as_a_tail() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let manager = &setup.manager;
    get(format!("/api/v3/tasks/{}/log", task.id)).send(manager).await.assert_status(StatusCode::NO_CONTENT);
    get(format!("/api/v3/tasks/{}/logtail", task.id))
        .send(manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    let chunks = ["line one\n", "zwei: größer ✓\n", "three\n"];
    for chunk in chunks {
        post(format!("/api/v3/worker/task/{}", task.id))
            .worker(&worker)
            .json(json!({"log": chunk}))
            .send(manager)
            .await
            .assert_status(StatusCode::NO_CONTENT);
    }
    let whole = chunks.concat();
    let url = format!("/job-files/job-{}/{}/task-{}.txt", &job.id.to_string()[..4], job.id, task.id);
    let info = get(format!("/api/v3/tasks/{}/log", task.id)).send(manager).await;
    info.assert_status(StatusCode::OK);
    assert_eq!(
        info.json(),
        json!({"task_id": task.id, "job_id": job.id, "url": url, "size": whole.len()}),
        "TaskLogInfo with every required field"
    );
    let log = get(&url).send(manager).await;
    log.assert_status(StatusCode::OK);
    assert_eq!(log.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(log.body, whole.as_bytes());
    let tail = get(format!("/api/v3/tasks/{}/logtail", task.id)).send(manager).await;
    tail.assert_status(StatusCode::OK);
    assert_eq!(tail.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(tail.body, whole.as_bytes(), "a log shorter than the tail is answered whole");

    let unknown = uuid::Uuid::new_v4();
    for route in ["log", "logtail"] {
        get(format!("/api/v3/tasks/{unknown}/{route}"))
            .send(manager)
            .await
            .assert_status(StatusCode::NOT_FOUND);
        get(format!("/api/v3/tasks/zzz/{route}")).send(manager).await.assert_status(StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn the_tail_is_the_last_2048_bytes_from_the_first_whole_line_even_inside_a_character() {
    let setup = Setup::new();
    let (_job, worker, task) = setup.working().await;
    // 2-byte characters; the 2048-byte window opens one byte into "é", in the middle of
    // the first line it shows, which is cut up to and including its newline.
    let first = format!("{}\n", "é".repeat(600));
    let second = format!("{}\n", "ü".repeat(500));
    let third = format!("{}\n", "ß".repeat(400));
    let log = format!("{first}{second}{third}");
    let start = log.len() - 2048;
    assert!(start < first.len() && !log.is_char_boundary(start), "the window opens inside a character");
    post(format!("/api/v3/worker/task/{}", task.id))
        .worker(&worker)
        .json(json!({"log": log}))
        .send(&setup.manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let tail = get(format!("/api/v3/tasks/{}/logtail", task.id)).send(&setup.manager).await;
    tail.assert_status(StatusCode::OK);
    assert_eq!(tail.body, format!("{second}{third}").as_bytes());
}

#[tokio::test]
async fn job_files_paths_outside_the_layout_are_404() {
    let setup = Setup::new();
    let (job, _worker, task) = setup.working().await;
    let dir = format!("job-{}/{}", &job.id.to_string()[..4], job.id);
    for path in [
        "/job-files/../Cargo.toml".to_owned(),
        "/job-files/%2e%2e/%2e%2e/etc/passwd".to_owned(),
        "/job-files/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd".to_owned(),
        "/job-files//etc/passwd".to_owned(),
        "/job-files/%2Fetc%2Fpasswd".to_owned(),
        format!("/job-files/{dir}/../../../etc/passwd"),
        format!("/job-files/{dir}/%2e%2e/task-{}.txt", task.id),
        format!("/job-files/{dir}/task-{}.txt/..", task.id),
        format!("/job-files/{}/task-{}.txt", job.id, task.id),
    ] {
        let response = get(&path).send(&setup.manager).await;
        response.assert_error(StatusCode::NOT_FOUND, "there is no job file");
    }
    get("/job-files/").send(&setup.manager).await.assert_status(StatusCode::NOT_FOUND);
}
