//! The notification rules of the contract, one test per row, through the in-memory
//! broadcaster and the mock.

use std::sync::Arc;

use broadcast_core::testing::InMemoryBroadcaster;
use broadcast_core::*;
use chrono::{TimeZone, Utc};
use futures_executor::block_on;
use mockall::Sequence;
use serde_json::json;
use uuid::{Uuid, uuid};

const JOB: Uuid = uuid!("fa48930a-105c-4125-a7f7-0aa1651dcd57");
const TASK: Uuid = uuid!("0b8a5c6e-2f0e-4e7a-9a47-2f6c8f7b1d21");
const WORKER: Uuid = uuid!("7e2a8bd5-3c11-4b0f-8a62-5d9f0c4e1a10");
const TAG: Uuid = uuid!("c4a1f2e3-9b8d-4c7e-a6f5-e4d3c2b1a090");

fn t(secs: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, secs).unwrap()
}

fn job() -> JobUpdate {
    JobUpdate {
        id: JOB,
        name: Some("job".into()),
        updated: t(0),
        status: JobStatus::Active,
        previous_status: Some(JobStatus::Queued),
        job_type: "echo-sleep-test".into(),
        priority: 50,
        refresh_tasks: false,
        delete_requested_at: None,
        was_deleted: false,
        steps_completed: None,
        steps_total: None,
    }
}

fn worker() -> WorkerUpdate {
    WorkerUpdate {
        id: WORKER,
        name: "w".into(),
        updated: t(0),
        last_seen: None,
        status: WorkerStatus::Awake,
        previous_status: Some(WorkerStatus::Starting),
        status_change: None,
        version: "3.5".into(),
        deleted_at: None,
        can_restart: false,
    }
}

/// Sends `n` through a recorder and returns what each room got.
fn send(n: Notification) -> Arc<InMemoryBroadcaster> {
    let rec = Arc::new(InMemoryBroadcaster::new());
    block_on(Notifier::new(rec.clone()).send(n)).unwrap();
    rec
}

fn rooms_of(rec: &InMemoryBroadcaster) -> Vec<Room> {
    rec.deliveries().into_iter().map(|d| d.room).collect()
}

#[test]
fn new_job_goes_to_jobs_without_previous_status() {
    let rec = send(notify::job_created(job()));
    assert_eq!(rooms_of(&rec), [Room::Jobs]);
    let (event, payload) = rec.events(Room::Jobs).remove(0);
    assert_eq!(event, Event::Jobs);
    assert_eq!(payload["status"], "active");
    assert!(payload.get("previous_status").is_none(), "{payload}");
}

#[test]
fn job_update_goes_to_jobs_unchanged() {
    let rec = send(notify::job_updated(job()));
    assert_eq!(rec.received(Room::Jobs), [Update::Job(job())]);
    assert_eq!(rec.events(Room::Jobs)[0].1["previous_status"], "queued");
}

#[test]
fn deleted_job_keeps_required_fields_and_sets_was_deleted() {
    let rec = send(notify::job_deleted(job(), t(9)));
    assert_eq!(rooms_of(&rec), [Room::Jobs]);
    let payload = &rec.events(Room::Jobs)[0].1;
    assert_eq!(payload["was_deleted"], true);
    assert_eq!(payload["updated"], "2024-05-01T10:00:09Z");
    for field in ["id", "updated", "status", "type", "priority", "refresh_tasks"] {
        assert!(payload.get(field).is_some(), "{field} missing from {payload}");
    }
}

#[test]
fn task_update_goes_to_its_job_room_only() {
    let task = TaskUpdate {
        id: TASK,
        job_id: JOB,
        name: "echo".into(),
        updated: t(1),
        status: TaskStatus::Active,
        previous_status: Some(TaskStatus::Queued),
        activity: "starting".into(),
        worker: None,
        steps_completed: None,
        steps_total: None,
    };
    let rec = send(notify::task_updated(task.clone()));
    assert_eq!(rooms_of(&rec), [Room::Job(JOB)]);
    assert_eq!(rec.events(Room::Job(JOB))[0].0, Event::Task);
    assert_eq!(rec.received(Room::Job(JOB)), [Update::Task(task)]);
}

#[test]
fn task_log_goes_to_its_tasklog_room_only() {
    let rec = send(notify::task_log(TaskLogUpdate { task_id: TASK, log: "line\n".into() }));
    assert_eq!(rooms_of(&rec), [Room::TaskLog(TASK)]);
    assert_eq!(
        rec.events(Room::TaskLog(TASK)),
        [(Event::TaskLog, json!({"task_id": TASK, "log": "line\n"}))]
    );
}

#[test]
fn last_rendered_goes_to_job_room_then_last_rendered() {
    let update = LastRenderedUpdate {
        job_id: JOB,
        task_id: TASK,
        thumbnail: LastRenderedImageInfo { base: "/x".into(), suffixes: vec!["a.jpg".into()] },
    };
    let rec = send(notify::last_rendered(update.clone()));
    assert_eq!(rooms_of(&rec), [Room::Job(JOB), Room::LastRendered]);
    for d in rec.deliveries() {
        assert_eq!(d.update, Update::LastRendered(update.clone()));
        assert_eq!(d.update.event(), Event::LastRendered);
    }
}

#[test]
fn new_worker_goes_to_workers_without_previous_status() {
    let rec = send(notify::worker_created(worker()));
    assert_eq!(rooms_of(&rec), [Room::Workers]);
    let (event, payload) = rec.events(Room::Workers).remove(0);
    assert_eq!(event, Event::Workers);
    assert!(payload.get("previous_status").is_none(), "{payload}");
}

#[test]
fn worker_update_goes_to_workers_unchanged() {
    let rec = send(notify::worker_updated(worker()));
    assert_eq!(rec.received(Room::Workers), [Update::Worker(worker())]);
}

#[test]
fn deleted_worker_has_deleted_at() {
    let rec = send(notify::worker_deleted(worker(), t(5)));
    assert_eq!(rec.events(Room::Workers)[0].1["deleted_at"], "2024-05-01T10:00:05Z");
}

#[test]
fn worker_tag_update_goes_to_worker_tags() {
    let tag = WorkerTag { id: Some(TAG), name: "GPU".into(), description: None };
    let rec = send(notify::worker_tag_updated(tag));
    assert_eq!(
        rec.events(Room::WorkerTags),
        [(Event::WorkerTags, json!({"tag": {"id": TAG, "name": "GPU"}}))]
    );
}

#[test]
fn deleted_worker_tag_has_was_deleted() {
    let tag = WorkerTag { id: Some(TAG), name: "GPU".into(), description: None };
    let rec = send(notify::worker_tag_deleted(tag));
    let payload = &rec.events(Room::WorkerTags)[0].1;
    assert_eq!(payload["tag"]["id"], TAG.to_string());
    assert_eq!(payload["was_deleted"], true);
}

#[test]
fn chat_goes_to_chat_as_message() {
    let msg = ChatMessage { name: "a".into(), text: "b".into() };
    let rec = send(notify::chat_message(msg.clone()));
    assert_eq!(rec.events(Room::Chat), [(Event::Message, json!({"name": "a", "text": "b"}))]);
    assert_eq!(notify::CHAT_ACK, "message sent successfully.");
}

#[test]
fn farm_status_goes_to_farm_status_as_status_and_is_retained() {
    let rec = send(notify::farm_status(FarmStatusReport { status: FarmStatus::Idle }));
    assert_eq!(rooms_of(&rec), [Room::FarmStatus]);
    assert_eq!(rec.events(Room::FarmStatus), [(Event::Status, json!({"status": "idle"}))]);
    block_on(
        Notifier::new(rec.clone()).send(notify::farm_status(FarmStatusReport { status: FarmStatus::Active })),
    )
    .unwrap();
    assert_eq!(
        rec.retained(Room::FarmStatus),
        Some(Update::FarmStatus(FarmStatusReport { status: FarmStatus::Active }))
    );
}

#[test]
fn lifecycle_events_go_to_lifecycle_and_are_not_retained() {
    let rec = send(notify::manager_startup());
    block_on(Notifier::new(rec.clone()).send(notify::manager_shutdown())).unwrap();
    assert_eq!(
        rec.events(Room::Lifecycle),
        [
            (Event::Lifecycle, json!({"type": "manager-startup"})),
            (Event::Lifecycle, json!({"type": "manager-shutdown"}))
        ]
    );
    assert_eq!(rooms_of(&rec), [Room::Lifecycle, Room::Lifecycle]);
    assert_eq!(rec.retained(Room::Lifecycle), None);
}

#[test]
fn in_memory_broadcaster_keeps_order_per_room() {
    let rec = Arc::new(InMemoryBroadcaster::new());
    let notifier = Notifier::new(rec.clone());
    for priority in 0..5 {
        block_on(notifier.send(notify::job_updated(JobUpdate { priority, ..job() }))).unwrap();
    }
    let priorities: Vec<_> = rec.events(Room::Jobs).iter().map(|(_, p)| p["priority"].clone()).collect();
    assert_eq!(priorities, [0, 1, 2, 3, 4]);
    assert_eq!(rec.take().len(), 5);
    assert!(rec.deliveries().is_empty());
}

#[test]
fn notifier_is_usable_as_trait_object() {
    let shared: Arc<dyn Broadcaster> = Arc::new(InMemoryBroadcaster::new());
    let notifier = Notifier::new(shared.clone());
    block_on(notifier.send(notify::job_updated(job()))).unwrap();
}

/// A failed delivery does not stop the next one; the first error is returned.
#[test]
fn failed_delivery_does_not_stop_the_rest() {
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    mock.expect_broadcast()
        .withf(|room, update| *room == Room::Job(JOB) && update.event() == Event::LastRendered)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|room, update| {
            Err(BroadcastError::Undelivered { room, event: update.event(), failed: 1, reason: "full".into() })
        });
    mock.expect_broadcast()
        .withf(|room, _| *room == Room::LastRendered)
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(()));
    let update = LastRenderedUpdate {
        job_id: JOB,
        task_id: TASK,
        thumbnail: LastRenderedImageInfo { base: "/x".into(), suffixes: vec![] },
    };
    let err = block_on(Notifier::new(Arc::new(mock)).send(notify::last_rendered(update))).unwrap_err();
    assert_eq!(err.to_string(), format!("/last-rendered to room job-{JOB} did not reach 1 member(s): full"));
}
