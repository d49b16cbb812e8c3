//! `/api/v3/worker-mgt/...` (workers and worker tags) with the mock.

use axum::http::StatusCode;
use broadcast_core::{MockBroadcaster, Room, TaskStatus};
use mockall::Sequence;
use serde_json::json;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn worker_status_change_request_is_broadcast_as_status_change() {
    let setup = Setup::new();
    let worker = setup.awake_worker().await;
    let worker_id = worker.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Workers, move |w| {
        w["id"] == json!(worker_id)
            && w["status"] == "awake"
            && w["status_change"] == json!({"status": "asleep", "is_lazy": true})
            && w.get("previous_status").is_none()
    });
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/worker-mgt/workers/{worker_id}/setstatus"))
        .json(json!({"status": "asleep", "is_lazy": true}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn deleting_a_worker_requeues_its_task_then_broadcasts_deleted_at() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let (worker_id, task_id, job_id) = (worker.id, task.id, job.id);
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["id"] == json!(task_id) && t["status"] == "queued" && t["previous_status"] == "active"
    });
    expect(&mut mock, &mut seq, Room::Workers, move |w| {
        w["id"] == json!(worker_id) && w.get("deleted_at").is_some() && w["name"] == "w1"
    });
    let manager = setup.with_mock(mock);
    delete(format!("/api/v3/worker-mgt/workers/{worker_id}"))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(setup.manager.task(task_id).unwrap().status, TaskStatus::Queued);
    // Its credential no longer works.
    post("/api/v3/worker/task").worker(&worker).send(&manager).await.assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_workers_are_404_and_send_nothing() {
    let setup = Setup::new();
    let manager = setup.silent();
    let unknown = Uuid::new_v4();
    delete(format!("/api/v3/worker-mgt/workers/{unknown}"))
        .send(&manager)
        .await
        .assert_error(StatusCode::NOT_FOUND, &format!("worker {unknown} does not exist"));
    post(format!("/api/v3/worker-mgt/workers/{unknown}/setstatus"))
        .json(json!({"status": "asleep", "is_lazy": false}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn creating_a_tag_assigns_an_id_and_broadcasts_it() {
    let setup = Setup::new();
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::WorkerTags, |u| {
        u["tag"]["name"] == "GPU"
            && u["tag"]["description"] == "EEVEE"
            && u["tag"]["id"].is_string()
            && u.get("was_deleted").is_none()
    });
    let manager = setup.with_mock(mock);
    let response = post("/api/v3/worker-mgt/tags")
        .json(json!({"name": "GPU", "description": "EEVEE"}))
        .send(&manager)
        .await;
    response.assert_status(StatusCode::OK);
    let tag = response.json();
    let tag_id = id(&tag["id"]);
    assert_eq!(tag, json!({"id": tag_id, "name": "GPU", "description": "EEVEE"}));

    let list = get("/api/v3/worker-mgt/tags").send(&manager).await;
    list.assert_status(StatusCode::OK);
    assert_eq!(list.json(), json!({"tags": [tag]}));
    let one = get(format!("/api/v3/worker-mgt/tag/{tag_id}")).send(&manager).await;
    one.assert_status(StatusCode::OK);
    assert_eq!(one.json(), tag);
}

#[tokio::test]
async fn updating_a_tag_broadcasts_it() {
    let setup = Setup::new();
    let tag = setup
        .manager
        .create_worker_tag(serde_json::from_value(json!({"name": "GPU", "description": "d"})).unwrap())
        .await
        .unwrap();
    let tag_id = tag.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::WorkerTags, move |u| {
        *u == json!({"tag": {"id": tag_id, "name": "CPU", "description": "d"}})
    });
    let manager = setup.with_mock(mock);
    put(format!("/api/v3/worker-mgt/tag/{tag_id}"))
        .json(json!({"name": "CPU"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn deleting_a_tag_broadcasts_was_deleted() {
    let setup = Setup::new();
    let tag = setup
        .manager
        .create_worker_tag(serde_json::from_value(json!({"name": "GPU"})).unwrap())
        .await
        .unwrap();
    let tag_id = tag.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::WorkerTags, move |u| {
        *u == json!({"tag": {"id": tag_id, "name": "GPU"}, "was_deleted": true})
    });
    let manager = setup.with_mock(mock);
    delete(format!("/api/v3/worker-mgt/tag/{tag_id}"))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    get(format!("/api/v3/worker-mgt/tag/{tag_id}"))
        .send(&manager)
        .await
        .assert_error(StatusCode::NOT_FOUND, &format!("worker tag {tag_id} does not exist"));
}

#[tokio::test]
async fn refused_tag_requests_send_nothing() {
    let setup = Setup::new();
    let tag = setup
        .manager
        .create_worker_tag(serde_json::from_value(json!({"name": "GPU"})).unwrap())
        .await
        .unwrap();
    let manager = setup.silent();
    post("/api/v3/worker-mgt/tags")
        .json(json!({"name": "GPU"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::CONFLICT, "a worker tag named \"GPU\" already exists");
    post("/api/v3/worker-mgt/tags")
        .json(json!({"name": ""}))
        .send(&manager)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "must not be empty");
    post("/api/v3/worker-mgt/tags")
        .json(json!({"description": "no name"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "missing field `name`");
    put(format!("/api/v3/worker-mgt/tag/{}", tag.id))
        .json(json!({"id": Uuid::new_v4(), "name": "X"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "differs from");
    let unknown = Uuid::new_v4();
    put(format!("/api/v3/worker-mgt/tag/{unknown}"))
        .json(json!({"name": "X"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    delete(format!("/api/v3/worker-mgt/tag/{unknown}"))
        .send(&manager)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}
