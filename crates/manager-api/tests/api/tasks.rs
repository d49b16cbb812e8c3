//! `/api/v3/tasks...` with the mock.

use axum::http::StatusCode;
use broadcast_core::{MockBroadcaster, Room, TaskStatus};
use mockall::Sequence;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn fetch_task_broadcasts_nothing() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let echo = setup.task_named(&job, "echo");
    let manager = setup.silent();
    let response = get(format!("/api/v3/tasks/{}", echo.id)).send(&manager).await;
    response.assert_status(StatusCode::OK);
    let task = response.json();
    assert_eq!(task["name"], "echo");
    assert_eq!(task["job_id"], json!(job.id));
    assert_eq!(task["status"], "queued");
    assert_eq!(task["commands"], json!([{"name": "echo", "parameters": {"message": "hello"}}]));
    for field in ["id", "created", "updated", "priority", "task_type", "activity"] {
        assert!(task.get(field).is_some(), "Task has {field}: {task}");
    }
    assert!(task.get("worker").is_none());
}

#[tokio::test]
async fn set_task_status_sends_a_task_update_to_the_job_room() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let echo = setup.task_named(&job, "echo");
    let (task_id, job_id) = (echo.id, job.id);
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["id"] == json!(task_id)
            && t["job_id"] == json!(job_id)
            && t["name"] == "echo"
            && t["status"] == "canceled"
            && t["previous_status"] == "queued"
    });
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/tasks/{task_id}/setstatus"))
        .json(json!({"status": "canceled", "reason": "not needed"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(setup.manager.task(task_id).unwrap().status, TaskStatus::Canceled);
}

#[tokio::test]
async fn completing_the_last_task_by_hand_completes_the_job() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let echo = setup.task_named(&job, "echo");
    let sleep = setup.task_named(&job, "sleep");
    setup.manager.set_task_status(echo.id, TaskStatus::Completed, "by hand").await.unwrap();
    let (task_id, job_id) = (sleep.id, job.id);
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["id"] == json!(task_id) && t["status"] == "completed" && t["previous_status"] == "queued"
    });
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id) && j["status"] == "completed" && j["previous_status"] == "queued"
    });
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/tasks/{task_id}/setstatus"))
        .json(json!({"status": "completed", "reason": "by hand"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn refused_task_status_changes_send_nothing() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let echo = setup.task_named(&job, "echo");
    let manager = setup.silent();
    let uri = format!("/api/v3/tasks/{}/setstatus", echo.id);
    post(&uri)
        .json(json!({"status": "active", "reason": "x"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::CONFLICT, "only a worker can make a task active");
    post(&uri)
        .json(json!({"status": "queued", "reason": "x"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::CONFLICT, "the task is already queued");
    post(&uri)
        .json(json!({"status": "queued"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "missing field `reason`");
    let unknown = uuid::Uuid::new_v4();
    post(format!("/api/v3/tasks/{unknown}/setstatus"))
        .json(json!({"status": "canceled", "reason": "x"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::NOT_FOUND, &format!("task {unknown} does not exist"));
    get(format!("/api/v3/tasks/{unknown}")).send(&manager).await.assert_status(StatusCode::NOT_FOUND);
}
