//! A worker's tags and sleep schedule, as the Workers page sets them, and the sleep
//! scheduler acting on the schedule at its times (a clock the test sets).

use std::sync::Arc;

use axum::http::StatusCode;
use broadcast_core::testing::InMemoryBroadcaster;
use broadcast_core::{MockBroadcaster, Room, WorkerStatus};
use chrono::{NaiveDate, NaiveDateTime};
use manager_api::{Manager, ManualClock, Options, Storage};
use mockall::Sequence;
use serde_json::json;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn settags_makes_the_worker_a_member_of_exactly_those_tags_and_broadcasts_it() {
    let setup = Setup::new();
    let gpu = setup
        .manager
        .create_worker_tag(manager_api::schema::WorkerTag { id: None, name: "GPU".into(), description: None })
        .await
        .unwrap();
    let worker = setup.awake_worker().await;
    let worker_id = worker.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Workers, move |w| {
        w["id"] == json!(worker_id) && w["status"] == "awake"
    });
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/worker-mgt/workers/{worker_id}/settags"))
        .json(json!({"tag_ids": [gpu.id, gpu.id]}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let whole = get(format!("/api/v3/worker-mgt/workers/{worker_id}")).send(&manager).await.json();
    assert_eq!(whole["tags"], json!([{"id": gpu.id, "name": "GPU"}]));
}

#[tokio::test]
async fn settags_refuses_unknown_tags_workers_and_bad_bodies_and_sends_nothing() {
    let setup = Setup::new();
    let worker = setup.awake_worker().await;
    let manager = setup.silent();
    let settags = |worker_id: Uuid| format!("/api/v3/worker-mgt/workers/{worker_id}/settags");
    let unknown = Uuid::new_v4();
    post(settags(worker.id))
        .json(json!({"tag_ids": [unknown]}))
        .send(&manager)
        .await
        .assert_error(StatusCode::BAD_REQUEST, &format!("worker tag {unknown} does not exist"));
    post(settags(Uuid::new_v4()))
        .json(json!({"tag_ids": []}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    post(settags(worker.id))
        .json(json!({"tag_ids": ["GPU"]}))
        .send(&manager)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    post(settags(worker.id)).json(json!({})).send(&manager).await.assert_status(StatusCode::BAD_REQUEST);
    assert!(setup.storage.worker(worker.id).unwrap().unwrap().tags.is_empty());
}

/// 2024-05-06 is a Monday.
fn monday(hh: u32, mm: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 5, 6).unwrap().and_hms_opt(hh, mm, 0).unwrap()
}

fn with_clock(clock: Arc<ManualClock>) -> (Manager, Arc<InMemoryBroadcaster>) {
    let recorder = Arc::new(InMemoryBroadcaster::new());
    let mut options = Options::default();
    options.clock = clock;
    let manager =
        Manager::with_options(Arc::new(manager_api::InMemoryStorage::new()), recorder.clone(), options);
    (manager, recorder)
}

async fn awake(manager: &Manager) -> Uuid {
    let worker = manager.register_worker(registration("sleepy"), String::new()).await.unwrap();
    manager.worker_state_changed(worker.id, WorkerStatus::Awake).await.unwrap();
    worker.id
}

fn schedule_url(worker_id: Uuid) -> String {
    format!("/api/v3/worker-mgt/workers/{worker_id}/sleep-schedule")
}

/// The `status_change` of every worker update sent, `-` when there was none.
fn asked(recorder: &InMemoryBroadcaster) -> Vec<String> {
    recorder
        .events(Room::Workers)
        .iter()
        .map(|(_, w)| w["status_change"]["status"].as_str().unwrap_or("-").to_owned())
        .collect()
}

#[tokio::test]
async fn a_schedule_is_204_until_set_then_answered_as_stored_in_clean_form() {
    let (manager, _recorder) = with_clock(Arc::new(ManualClock::new(monday(8, 0))));
    let worker_id = awake(&manager).await;
    let none = get(schedule_url(worker_id)).send(&manager).await;
    none.assert_status(StatusCode::NO_CONTENT);
    post(schedule_url(worker_id))
        .json(json!({"is_active": true, "days_of_week": "Monday tu", "start_time": "18:00", "end_time": "09:00"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let stored = get(schedule_url(worker_id)).send(&manager).await;
    stored.assert_status(StatusCode::OK);
    assert_eq!(
        stored.json(),
        json!({"is_active": true, "days_of_week": "mo tu", "start_time": "09:00", "end_time": "18:00"})
    );
}

#[tokio::test]
async fn bad_schedules_and_unknown_workers_are_refused() {
    let (manager, recorder) = with_clock(Arc::new(ManualClock::new(monday(8, 0))));
    let worker_id = awake(&manager).await;
    recorder.take();
    for (body, why) in [
        (
            json!({"is_active": true, "days_of_week": "caturday", "start_time": "09:00", "end_time": "18:00"}),
            "is not a day",
        ),
        (
            json!({"is_active": true, "days_of_week": "", "start_time": "9 o'clock", "end_time": "18:00"}),
            "HH:MM",
        ),
        (json!({"is_active": true, "days_of_week": ""}), "missing field"),
    ] {
        post(schedule_url(worker_id))
            .json(body)
            .send(&manager)
            .await
            .assert_error(StatusCode::BAD_REQUEST, why);
    }
    let body = json!({"is_active": true, "days_of_week": "", "start_time": "", "end_time": ""});
    post(schedule_url(Uuid::new_v4())).json(body).send(&manager).await.assert_status(StatusCode::NOT_FOUND);
    get(schedule_url(Uuid::new_v4())).send(&manager).await.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(manager.sleep_schedule(worker_id).unwrap(), None);
    assert!(recorder.take().is_empty());
}

#[tokio::test]
async fn an_active_schedule_puts_the_worker_to_sleep_and_wakes_it_at_its_times() {
    let clock = Arc::new(ManualClock::new(monday(8, 0)));
    let (manager, recorder) = with_clock(clock.clone());
    let worker_id = awake(&manager).await;
    recorder.take();
    post(schedule_url(worker_id))
        .json(json!({"is_active": true, "days_of_week": "mo", "start_time": "09:00", "end_time": "18:00"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert!(asked(&recorder).is_empty(), "awake before 09:00: nothing to ask");
    assert_eq!(manager.check_sleep_schedules().await.unwrap(), 0, "not due before 09:00");

    clock.set(monday(9, 0));
    assert_eq!(manager.check_sleep_schedules().await.unwrap(), 1);
    assert_eq!(asked(&recorder), ["asleep"]);
    let worker = manager.worker(worker_id).unwrap();
    let change = worker.status_change.unwrap();
    assert_eq!(
        (change.status, change.is_lazy),
        (WorkerStatus::Asleep, false),
        "not lazy: a render can take hours"
    );
    // The worker learns it when it asks for work, and goes to sleep.
    let answer = post("/api/v3/worker/task").worker(&worker).send(&manager).await;
    assert_eq!(answer.status, StatusCode::LOCKED);
    assert_eq!(answer.json()["status_requested"], "asleep");
    manager.worker_state_changed(worker_id, WorkerStatus::Asleep).await.unwrap();

    clock.set(monday(12, 0));
    assert_eq!(manager.check_sleep_schedules().await.unwrap(), 0, "the next check is at 18:00");
    clock.set(monday(18, 0));
    assert_eq!(manager.check_sleep_schedules().await.unwrap(), 1);
    assert_eq!(asked(&recorder).last().unwrap(), "awake");
}

#[tokio::test]
async fn a_schedule_set_during_its_sleep_time_applies_at_once_but_not_to_offline_workers() {
    let clock = Arc::new(ManualClock::new(monday(10, 0)));
    let (manager, recorder) = with_clock(clock);
    let worker_id = awake(&manager).await;
    let offline = manager.register_worker(registration("off"), String::new()).await.unwrap().id;
    recorder.take();
    let body = json!({"is_active": true, "days_of_week": "", "start_time": "09:00", "end_time": "18:00"});
    for id in [worker_id, offline] {
        post(schedule_url(id)).json(body.clone()).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
    }
    assert_eq!(asked(&recorder), ["asleep"]);
    assert_eq!(
        manager.worker(worker_id).unwrap().status_change.map(|c| c.status),
        Some(WorkerStatus::Asleep)
    );
    assert_eq!(manager.worker(offline).unwrap().status_change, None);
    let inactive =
        json!({"is_active": false, "days_of_week": "", "start_time": "09:00", "end_time": "18:00"});
    post(schedule_url(worker_id)).json(inactive).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(asked(&recorder).last().unwrap(), "awake", "an inactive schedule wants it awake");
}

#[tokio::test]
async fn a_worker_signing_on_during_its_sleep_time_is_told_to_sleep() {
    let clock = Arc::new(ManualClock::new(monday(23, 0)));
    let (manager, _recorder) = with_clock(clock.clone());
    let worker = manager.register_worker(registration("night"), String::new()).await.unwrap();
    let body = json!({"is_active": true, "days_of_week": "", "start_time": "22:00", "end_time": "23:59"});
    post(schedule_url(worker.id)).json(body).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
    let sign_on = json!({"name": "night", "supported_task_types": ["misc"], "software_version": "3.9"});
    let answer = post("/api/v3/worker/sign-on").worker(&worker).json(sign_on.clone()).send(&manager).await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.json(), json!({"status_requested": "asleep"}));
    clock.set(monday(12, 0));
    let answer = post("/api/v3/worker/sign-on").worker(&worker).json(sign_on).send(&manager).await;
    assert_eq!(answer.json(), json!({"status_requested": "awake"}), "outside its sleep time");
}
