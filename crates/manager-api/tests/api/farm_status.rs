//! The farm's status: `starting` until computed, then recomputed after every job or worker
//! update and broadcast to `FarmStatus` only when it changed; `GET /api/v3/status`.

use std::sync::Arc;

use axum::http::StatusCode;
use broadcast_core::{FarmStatus, FarmStatusReport, MockBroadcaster, Room, Update};
use manager_api::Manager;
use mockall::Sequence;
use serde_json::json;

use crate::support::*;

fn is_status(status: FarmStatus) -> impl Fn(&Room, &Update) -> bool {
    move |room, update| {
        *room == Room::FarmStatus && *update == Update::FarmStatus(FarmStatusReport { status })
    }
}

#[tokio::test]
async fn starting_until_computed_then_broadcast_once_per_change() {
    let setup = Setup::new();
    let mut mock = MockBroadcaster::new();
    mock.expect_broadcast().withf(is_status(FarmStatus::Inoperative)).times(1).returning(|_, _| Ok(()));
    let manager = Manager::new(setup.storage.clone(), Arc::new(mock));
    let status = get("/api/v3/status").send(&manager).await;
    status.assert_status(StatusCode::OK);
    assert_eq!(status.json(), json!({"status": "starting"}));
    manager.publish_farm_status().await;
    // Unchanged: not broadcast again.
    manager.publish_farm_status().await;
    assert_eq!(get("/api/v3/status").send(&manager).await.json(), json!({"status": "inoperative"}));
}

#[tokio::test]
async fn a_job_change_that_leaves_the_status_as_it_was_broadcasts_no_status() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    mock.expect_broadcast()
        .withf(is_status(FarmStatus::Inoperative))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    mock.expect_broadcast()
        .withf(|room, _| *room == Room::Jobs)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    let manager = Manager::new(setup.storage.clone(), Arc::new(mock));
    manager.publish_farm_status().await;
    post(format!("/api/v3/jobs/{}/setpriority", job.id))
        .json(json!({"priority": 70}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_worker_change_broadcasts_the_new_status_right_after_the_worker_update() {
    let setup = Setup::new();
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    mock.expect_broadcast()
        .withf(is_status(FarmStatus::Inoperative))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    // Registered: offline, so still inoperative; no status.
    mock.expect_broadcast()
        .withf(|room, _| *room == Room::Workers)
        .times(2)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    // Signed on: starting, so operative with nothing to do.
    mock.expect_broadcast()
        .withf(is_status(FarmStatus::Idle))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    let manager = Manager::new(setup.storage.clone(), Arc::new(mock));
    manager.publish_farm_status().await;
    let response = post("/api/v3/worker/register-worker")
        .json(json!({"name": "w", "secret": SECRET, "platform": "linux", "supported_task_types": ["misc"]}))
        .send(&manager)
        .await;
    response.assert_status(StatusCode::OK);
    let worker = manager.worker(id(&response.json()["uuid"])).unwrap();
    post("/api/v3/worker/sign-on")
        .worker(&worker)
        .json(json!({"name": "w", "supported_task_types": ["misc"], "software_version": "3.6"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(manager.farm_status(), FarmStatusReport { status: FarmStatus::Idle });
}
