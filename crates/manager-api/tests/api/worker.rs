//! `/api/v3/worker/...` (what workers call) with the mock.

use axum::http::StatusCode;
use broadcast_core::{MockBroadcaster, Room, TaskStatus, WorkerStatus};
use mockall::Sequence;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn register_worker_broadcasts_the_new_offline_worker() {
    let setup = Setup::new();
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Workers, |w| {
        w["name"] == "example-worker"
            && w["status"] == "offline"
            && w["version"] == "3.2"
            && w["can_restart"] == false
            && w.get("previous_status").is_none()
            && w.get("deleted_at").is_none()
    });
    let manager = setup.with_mock(mock);
    let response = post("/api/v3/worker/register-worker")
        .json(json!({
            "name": "example-worker",
            "secret": SECRET,
            "platform": "linux",
            "software": "3.2",
            "supported_task_types": ["blender", "misc"]
        }))
        .send(&manager)
        .await;
    response.assert_status(StatusCode::OK);
    let worker = response.json();
    assert_eq!(worker["status"], "offline");
    assert_eq!(worker["name"], "example-worker");
    assert_eq!(worker["platform"], "linux");
    assert_eq!(worker["supported_task_types"], json!(["blender", "misc"]));
    assert!(worker.get("secret").is_none(), "the secret never leaves");
    let worker_id = id(&worker["uuid"]);
    assert!(setup.manager.authenticate_worker(worker_id, SECRET).is_ok());
}

#[tokio::test]
async fn sign_on_makes_the_worker_starting_and_asks_for_awake() {
    let setup = Setup::new();
    let worker = setup.manager.register_worker(registration("w1"), String::new()).await.unwrap();
    let worker_id = worker.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Workers, move |w| {
        w["id"] == json!(worker_id)
            && w["status"] == "starting"
            && w["previous_status"] == "offline"
            && w["name"] == "renamed"
            && w["version"] == "3.7"
            && w["can_restart"] == true
    });
    let manager = setup.with_mock(mock);
    let response = post("/api/v3/worker/sign-on")
        .worker(&worker)
        .json(json!({
            "name": "renamed",
            "supported_task_types": ["misc"],
            "software_version": "3.7",
            "can_restart": true
        }))
        .send(&manager)
        .await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json(), json!({"status_requested": "awake"}));
}

#[tokio::test]
async fn state_changed_broadcasts_the_previous_status() {
    let setup = Setup::new();
    let worker = setup.awake_worker().await;
    let worker_id = worker.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Workers, move |w| {
        w["id"] == json!(worker_id) && w["status"] == "asleep" && w["previous_status"] == "awake"
    });
    let manager = setup.with_mock(mock);
    post("/api/v3/worker/state-changed")
        .worker(&worker)
        .json(json!({"status": "asleep"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn sign_off_goes_offline_and_requeues_its_task() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let (worker_id, task_id, job_id) = (worker.id, task.id, job.id);
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Workers, move |w| {
        w["id"] == json!(worker_id) && w["status"] == "offline" && w["previous_status"] == "awake"
    });
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["id"] == json!(task_id) && t["status"] == "queued" && t["previous_status"] == "active"
    });
    let manager = setup.with_mock(mock);
    post("/api/v3/worker/sign-off")
        .worker(&worker)
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let task = setup.manager.task(task_id).unwrap();
    assert_eq!(task.status, TaskStatus::Queued);
    assert!(task.worker.is_none());
}

#[tokio::test]
async fn asking_for_work_assigns_a_task_and_activates_the_job() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let worker = setup.awake_worker().await;
    let echo = setup.task_named(&job, "echo");
    let (task_id, job_id) = (echo.id, job.id);
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["id"] == json!(task_id) && t["status"] == "active" && t["previous_status"] == "queued"
    });
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id) && j["status"] == "active" && j["previous_status"] == "queued"
    });
    let manager = setup.with_mock(mock);
    let response = post("/api/v3/worker/task").worker(&worker).send(&manager).await;
    response.assert_status(StatusCode::OK);
    let assigned = response.json();
    assert_eq!(assigned["uuid"], json!(task_id));
    assert_eq!(assigned["job"], json!(job_id));
    assert_eq!(assigned["name"], "echo");
    assert_eq!(assigned["status"], "active");
    assert_eq!(assigned["job_type"], "echo-sleep-test");
    assert_eq!(assigned["task_type"], "misc");
    assert_eq!(assigned["job_priority"], 50);
    assert_eq!(assigned["commands"][0]["name"], "echo");
}

#[tokio::test]
async fn the_highest_priority_job_goes_first_then_the_oldest() {
    let setup = Setup::new();
    let old = setup.echo_job().await;
    let _newer = setup.echo_job().await;
    let mut urgent = echo_sleep_job();
    urgent.priority = 90;
    let urgent = setup.manager.submit_job(urgent).await.unwrap();
    let worker = setup.awake_worker().await;
    assert_eq!(setup.assign(&worker).await.job_id, urgent.id);
    let second = setup.awake_worker().await;
    assert_eq!(setup.assign(&second).await.job_id, old.id);
}

#[tokio::test]
async fn nothing_to_do_is_204_and_sends_nothing() {
    let setup = Setup::new();
    let worker = setup.awake_worker().await;
    let manager = setup.silent();
    let response = post("/api/v3/worker/task").worker(&worker).send(&manager).await;
    response.assert_status(StatusCode::NO_CONTENT);
    assert!(response.body.is_empty());
}

#[tokio::test]
async fn the_sleep_task_waits_for_the_echo_task() {
    let setup = Setup::new();
    setup.echo_job().await;
    let first = setup.awake_worker().await;
    let second = setup.awake_worker().await;
    assert_eq!(setup.assign(&first).await.name, "echo");
    let manager = setup.silent();
    post("/api/v3/worker/task").worker(&second).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_worker_that_is_not_awake_gets_409_and_nothing_is_sent() {
    let setup = Setup::new();
    setup.echo_job().await;
    let worker = setup.manager.register_worker(registration("w1"), String::new()).await.unwrap();
    let manager = setup.silent();
    post("/api/v3/worker/task")
        .worker(&worker)
        .send(&manager)
        .await
        .assert_error(StatusCode::CONFLICT, "is offline, not awake");
}

#[tokio::test]
async fn a_pending_status_change_is_423_with_the_status_to_go_to() {
    let setup = Setup::new();
    setup.echo_job().await;
    let worker = setup.awake_worker().await;
    setup
        .manager
        .request_worker_status_change(
            worker.id,
            broadcast_core::WorkerStatusChangeRequest { status: WorkerStatus::Asleep, is_lazy: false },
        )
        .await
        .unwrap();
    let manager = setup.silent();
    let response = post("/api/v3/worker/task").worker(&worker).send(&manager).await;
    assert_eq!(response.status, StatusCode::LOCKED);
    assert_eq!(response.json(), json!({"status_requested": "asleep"}));
}

#[tokio::test]
async fn task_update_sends_the_activity_then_the_log_chunk() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let (task_id, job_id) = (task.id, job.id);
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["id"] == json!(task_id)
            && t["activity"] == "echoing"
            && t["status"] == "active"
            && t.get("previous_status").is_none()
    });
    expect(&mut mock, &mut seq, Room::TaskLog(task_id), move |l| {
        *l == json!({"task_id": task_id, "log": "hello\n"})
    });
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(&worker)
        .json(json!({"activity": "echoing", "log": "hello\n"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn task_update_with_only_a_log_sends_only_the_log_chunk() {
    let setup = Setup::new();
    setup.echo_job().await;
    let worker = setup.awake_worker().await;
    let task = setup.assign(&worker).await;
    let task_id = task.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::TaskLog(task_id), |l| l["log"] == "line");
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(&worker)
        .json(json!({"log": "line", "activity": task.activity}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn completing_a_task_sends_its_update_with_the_previous_status() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let (task_id, job_id) = (task.id, job.id);
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["id"] == json!(task_id)
            && t["status"] == "completed"
            && t["previous_status"] == "active"
            && t["steps_completed"] == 1
            && t["steps_total"] == 1
    });
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id)
            && j["status"] == "active"
            && j["steps_completed"] == 1
            && j["steps_total"] == 2
    });
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(&worker)
        .json(json!({"taskStatus": "completed"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_failed_task_fails_the_job() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let (task_id, job_id) = (task.id, job.id);
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["id"] == json!(task_id) && t["status"] == "failed" && t["previous_status"] == "active"
    });
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id) && j["status"] == "failed" && j["previous_status"] == "active"
    });
    expect(&mut mock, &mut seq, Room::TaskLog(task_id), |l| {
        l["log"].as_str().is_some_and(|l| l.contains("it fails for good"))
    });
    let manager = setup.with_mock_and(mock, hard_failures());
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(&worker)
        .json(json!({"taskStatus": "failed", "activity": "echo crashed"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn task_update_from_another_worker_is_409_and_sends_nothing() {
    let setup = Setup::new();
    setup.echo_job().await;
    let worker = setup.awake_worker().await;
    let other = setup.awake_worker().await;
    let task = setup.assign(&worker).await;
    let manager = setup.silent();
    post(format!("/api/v3/worker/task/{}", task.id))
        .worker(&other)
        .json(json!({"taskStatus": "completed", "log": "sneaky"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::CONFLICT, "is not assigned to worker");
    post(format!("/api/v3/worker/task/{}", task.id))
        .worker(&worker)
        .json(json!({"taskStatus": "queued"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::CONFLICT, "a worker cannot set a task to queued");
    assert_eq!(setup.manager.task(task.id).unwrap().status, TaskStatus::Active);
}

#[tokio::test]
async fn output_produced_sends_last_rendered_to_the_job_room_then_last_rendered() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let (task_id, job_id) = (task.id, job.id);
    let expected = json!({
        "job_id": job_id,
        "task_id": task_id,
        "thumbnail": {"base": job_files(job_id), "suffixes": SUFFIXES}
    });
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    let first = expected.clone();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |u| *u == first);
    expect(&mut mock, &mut seq, Room::LastRendered, move |u| *u == expected);
    let manager = setup.with_mock(mock);
    let png = picture(image::ImageFormat::Png, 1000, 500, 7);
    post(format!("/api/v3/worker/task/{task_id}/output-produced"))
        .worker(&worker)
        .raw("image/png", png)
        .send(&manager)
        .await
        .assert_status(StatusCode::ACCEPTED);

    let info = get(format!("/api/v3/jobs/{job_id}/last-rendered")).send(&manager).await;
    info.assert_status(StatusCode::OK);
    assert_eq!(info.json(), json!({"base": job_files(job_id), "suffixes": SUFFIXES}));
    let mut sizes = Vec::new();
    for suffix in SUFFIXES {
        let image = get(format!("{}/{suffix}", job_files(job_id))).send(&manager).await;
        image.assert_status(StatusCode::OK);
        assert_eq!(image.headers["content-type"], "image/jpeg");
        sizes.push(jpeg_size(&image.body));
    }
    assert_eq!(sizes, [(1000, 500), (600, 300), (200, 100)], "each fit in its box, proportions kept");
    get(format!("{}/last-rendered.png", job_files(job_id)))
        .send(&manager)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn output_that_is_not_an_image_is_refused_and_sends_nothing() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let manager = setup.silent();
    let uri = format!("/api/v3/worker/task/{}/output-produced", task.id);
    post(&uri)
        .worker(&worker)
        .raw("text/plain", "hello")
        .send(&manager)
        .await
        .assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "image/jpeg or image/png");
    post(&uri)
        .worker(&worker)
        .raw("image/jpeg", Vec::new())
        .send(&manager)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "the image is empty");
    let response = get(format!("/api/v3/jobs/{}/last-rendered", job.id)).send(&manager).await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
}
