//! `/api/v3/jobs...` with the mock: which notification each route sends.

use std::sync::Arc;

use axum::http::StatusCode;
use broadcast_core::{BroadcastError, MockBroadcaster, Room, Update};
use manager_api::Storage;
use mockall::Sequence;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn submit_job_broadcasts_the_new_job_once_its_tasks_exist() {
    let setup = Setup::new();
    let storage = setup.storage.clone();
    let mut mock = MockBroadcaster::new();
    mock.expect_broadcast()
        .withf(|room, update| *room == Room::Jobs && matches!(update, Update::Job(_)))
        .times(1)
        .returning(move |_, update| {
            let Update::Job(job) = update else { unreachable!() };
            // The rule: a client that fetches the tasks on seeing the job finds them.
            assert_eq!(storage.tasks_of_job(job.id).unwrap().len(), 2);
            let json = update.to_json();
            assert_eq!(json["status"], "queued");
            assert_eq!(json["type"], "echo-sleep-test");
            assert_eq!(json["name"], "echo test");
            assert_eq!(json["priority"], 50);
            assert_eq!(json["refresh_tasks"], false);
            assert!(json.get("previous_status").is_none());
            assert!(json.get("was_deleted").is_none());
            Ok(())
        });
    let manager = setup.with_mock(mock);

    let response = post("/api/v3/jobs").json(echo_sleep_json()).send(&manager).await;
    response.assert_status(StatusCode::OK);
    let job = response.json();
    assert_eq!(job["status"], "queued");
    assert_eq!(job["type"], "echo-sleep-test");
    assert_eq!(job["settings"]["message"], "hello");
    assert_eq!(job["submitter_platform"], "linux");
    for field in ["id", "created", "updated", "activity"] {
        assert!(job.get(field).is_some(), "Job has {field}: {job}");
    }

    let tasks = get(format!("/api/v3/jobs/{}/tasks", job["id"].as_str().unwrap())).send(&manager).await;
    tasks.assert_status(StatusCode::OK);
    let tasks = tasks.json();
    let names: Vec<_> = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].clone(), t["task_type"].clone(), t["status"].clone()))
        .collect();
    assert_eq!(
        names,
        [(json!("echo"), json!("misc"), json!("queued")), (json!("sleep"), json!("misc"), json!("queued"))]
    );
}

#[tokio::test]
async fn submit_render_job_compiles_chunks_and_a_preview() {
    let setup = Setup::new();
    let mut mock = MockBroadcaster::new();
    mock.expect_broadcast().times(1).returning(|_, _| Ok(()));
    let manager = setup.with_mock(mock);
    let response = post("/api/v3/jobs").json(render_json("1-10", 3)).send(&manager).await;
    response.assert_status(StatusCode::OK);
    let job = setup.manager.job(id(&response.json()["id"])).unwrap();
    let tasks = setup.manager.job_tasks(job.id).unwrap();
    let names: Vec<_> = tasks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["render-1-3", "render-4-6", "render-7-9", "render-10", "preview-video"]);
    let task = get(format!("/api/v3/tasks/{}", tasks[0].id)).send(&manager).await;
    task.assert_status(StatusCode::OK);
    let task = task.json();
    assert_eq!(task["task_type"], "blender");
    assert_eq!(task["commands"][0]["name"], "blender-render");
    assert_eq!(task["commands"][0]["parameters"]["blendfile"], "/s.blend");
    assert_eq!(task["job_id"], json!(job.id));
}

#[tokio::test]
async fn fetching_jobs_broadcasts_nothing() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let manager = setup.silent();
    let response = get(format!("/api/v3/jobs/{}", job.id)).send(&manager).await;
    response.assert_status(StatusCode::OK);
    assert_eq!(response.json()["id"], json!(job.id));
    get(format!("/api/v3/jobs/{}/tasks", job.id)).send(&manager).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn set_priority_broadcasts_one_job_update() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let job_id = job.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id)
            && j["priority"] == 70
            && j["status"] == "queued"
            && j.get("previous_status").is_none()
            && j["refresh_tasks"] == false
    });
    let manager = setup.with_mock(mock);
    let response =
        post(format!("/api/v3/jobs/{job_id}/setpriority")).json(json!({"priority": 70})).send(&manager).await;
    response.assert_status(StatusCode::NO_CONTENT);
    assert!(response.body.is_empty());
    assert_eq!(setup.manager.job(job_id).unwrap().priority, 70);
}

#[tokio::test]
async fn set_priority_edges_are_accepted_and_outside_refused() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let mut mock = MockBroadcaster::new();
    mock.expect_broadcast().withf(|room, _| *room == Room::Jobs).times(2).returning(|_, _| Ok(()));
    let manager = setup.with_mock(mock);
    for ok in [0, 100] {
        post(format!("/api/v3/jobs/{}/setpriority", job.id))
            .json(json!({"priority": ok}))
            .send(&manager)
            .await
            .assert_status(StatusCode::NO_CONTENT);
    }
    for bad in [101, -1] {
        post(format!("/api/v3/jobs/{}/setpriority", job.id))
            .json(json!({"priority": bad}))
            .send(&manager)
            .await
            .assert_error(StatusCode::BAD_REQUEST, &format!("priority must be between 0 and 100, got {bad}"));
    }
    assert_eq!(setup.manager.job(job.id).unwrap().priority, 100);
}

#[tokio::test]
async fn cancel_broadcasts_cancel_requested_then_canceled_with_refresh_tasks() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let job_id = job.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id)
            && j["status"] == "cancel-requested"
            && j["previous_status"] == "queued"
            && j["refresh_tasks"] == false
    });
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id)
            && j["status"] == "canceled"
            && j["previous_status"] == "cancel-requested"
            && j["refresh_tasks"] == true
    });
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/jobs/{job_id}/setstatus"))
        .json(json!({"status": "cancel-requested", "reason": "testing"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let tasks = setup.manager.job_tasks(job_id).unwrap();
    assert!(tasks.iter().all(|t| t.status == broadcast_core::TaskStatus::Canceled));
}

#[tokio::test]
async fn invalid_job_status_changes_are_conflicts_and_send_nothing() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let manager = setup.silent();
    for (status, message) in [
        ("completed", "a job cannot be set to completed"),
        ("active", "a job cannot be set to active"),
        ("requeueing", "the job is queued and cannot be set to requeueing"),
    ] {
        post(format!("/api/v3/jobs/{}/setstatus", job.id))
            .json(json!({"status": status, "reason": "testing"}))
            .send(&manager)
            .await
            .assert_error(StatusCode::CONFLICT, message);
    }
    post(format!("/api/v3/jobs/{}/setstatus", job.id))
        .json(json!({"status": "cancelRequested", "reason": "testing"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "unknown variant `cancelRequested`");
}

#[tokio::test]
async fn delete_broadcasts_deletion_requested_then_deleted() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let job_id = job.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id)
            && j.get("delete_requested_at").is_some()
            && j.get("was_deleted").is_none()
            && j["status"] == "queued"
    });
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id)
            && j["was_deleted"] == true
            && j["status"] == "queued"
            && j["type"] == "echo-sleep-test"
    });
    let manager = setup.with_mock(mock);
    delete(format!("/api/v3/jobs/{job_id}")).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
    get(format!("/api/v3/jobs/{job_id}")).send(&manager).await.assert_status(StatusCode::NOT_FOUND);
    assert!(setup.storage.tasks_of_job(job_id).unwrap().is_empty());
}

#[tokio::test]
async fn unknown_jobs_are_404_and_send_nothing() {
    let setup = Setup::new();
    let manager = setup.silent();
    let unknown = uuid::Uuid::new_v4();
    for call in [
        get(format!("/api/v3/jobs/{unknown}")),
        get(format!("/api/v3/jobs/{unknown}/tasks")),
        post(format!("/api/v3/jobs/{unknown}/setpriority")).json(json!({"priority": 5})),
        post(format!("/api/v3/jobs/{unknown}/setstatus"))
            .json(json!({"status": "cancel-requested", "reason": "x"})),
        delete(format!("/api/v3/jobs/{unknown}")),
        get(format!("/api/v3/jobs/{unknown}/last-rendered")),
    ] {
        call.send(&manager)
            .await
            .assert_error(StatusCode::NOT_FOUND, &format!("job {unknown} does not exist"));
    }
}

/// Collects what tracing writes, to check that a lost update is logged.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failed_broadcast_does_not_fail_the_request_and_is_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    // A current-thread test runtime: the whole request runs on this thread.
    let _logging = tracing::subscriber::set_default(subscriber);
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let mut mock = MockBroadcaster::new();
    mock.expect_broadcast()
        .withf(|room, _| *room == Room::Jobs)
        .times(1)
        .returning(|_, _| Err(BroadcastError::Closed));
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/jobs/{}/setpriority", job.id))
        .json(json!({"priority": 10}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(setup.manager.job(job.id).unwrap().priority, 10);
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("WARN"), "{log}");
    assert!(log.contains("broadcast failed"), "{log}");
    assert!(log.contains("the transport is closed"), "{log}");
    assert!(log.contains("/jobs to Jobs"), "says what was lost: {log}");
}
