//! Golden tests: each payload type against a JSON fixture under `tests/fixtures/`, both ways.
//!
//! `BLESS=1 cargo test -p broadcast-core --test golden` rewrites the fixtures from the code
//! (review the diff before committing); CI refuses to bless.

use std::path::PathBuf;

use broadcast_core::*;
use chrono::{TimeZone, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::{Uuid, uuid};

const JOB: Uuid = uuid!("fa48930a-105c-4125-a7f7-0aa1651dcd57");
const TASK: Uuid = uuid!("0b8a5c6e-2f0e-4e7a-9a47-2f6c8f7b1d21");
const WORKER: Uuid = uuid!("7e2a8bd5-3c11-4b0f-8a62-5d9f0c4e1a10");
const TAG: Uuid = uuid!("c4a1f2e3-9b8d-4c7e-a6f5-e4d3c2b1a090");

fn at(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(fixture: &str, value: T) {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(format!("{fixture}.json"));
    let produced = serde_json::to_value(&value).unwrap();
    if std::env::var_os("BLESS").is_some() {
        assert!(std::env::var_os("CI").is_none(), "BLESS is refused under CI");
        std::fs::write(&path, serde_json::to_string_pretty(&produced).unwrap() + "\n").unwrap();
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let expected: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(produced, expected, "serialising to {fixture}.json");
    assert_no_nulls(&produced, fixture);
    let parsed: T = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, value, "parsing {fixture}.json");
}

fn assert_no_nulls(v: &Value, fixture: &str) {
    match v {
        Value::Null => panic!("{fixture}: optional fields must be omitted, not null"),
        Value::Array(items) => items.iter().for_each(|i| assert_no_nulls(i, fixture)),
        Value::Object(map) => map.values().for_each(|i| assert_no_nulls(i, fixture)),
        _ => {}
    }
}

fn job() -> JobUpdate {
    JobUpdate {
        id: JOB,
        name: Some("3Д рендеринг".into()),
        updated: Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap()
            + chrono::Duration::microseconds(123_456),
        status: JobStatus::CancelRequested,
        previous_status: Some(JobStatus::Active),
        job_type: "simple-blender-render".into(),
        priority: 50,
        refresh_tasks: true,
        delete_requested_at: Some(at("2024-05-01T09:59:00Z")),
        was_deleted: false,
        steps_completed: Some(3),
        steps_total: Some(10),
    }
}

#[test]
fn job_update() {
    check("job_update", job());
}

#[test]
fn job_update_minimal() {
    check(
        "job_update_minimal",
        JobUpdate {
            id: JOB,
            name: None,
            updated: at("2024-05-01T10:00:00Z"),
            status: JobStatus::UnderConstruction,
            previous_status: None,
            job_type: "echo-sleep-test".into(),
            priority: 0,
            refresh_tasks: false,
            delete_requested_at: None,
            was_deleted: false,
            steps_completed: None,
            steps_total: None,
        },
    );
}

#[test]
fn job_deleted() {
    check(
        "job_deleted",
        JobUpdate {
            id: JOB,
            name: Some("old job".into()),
            updated: at("2024-05-02T00:00:00Z"),
            status: JobStatus::Canceled,
            previous_status: None,
            job_type: "simple-blender-render".into(),
            priority: 100,
            refresh_tasks: false,
            delete_requested_at: Some(at("2024-05-01T23:59:59Z")),
            was_deleted: true,
            steps_completed: None,
            steps_total: None,
        },
    );
}

fn task() -> TaskUpdate {
    TaskUpdate {
        id: TASK,
        job_id: JOB,
        name: "render-1-3".into(),
        updated: at("2024-05-01T10:00:01Z"),
        status: TaskStatus::SoftFailed,
        previous_status: Some(TaskStatus::Active),
        activity: "Blender crashed".into(),
        worker: Some(TaskWorker { id: WORKER, name: "spaceship".into(), address: "192.0.2.1".into() }),
        steps_completed: Some(2),
        steps_total: Some(3),
    }
}

#[test]
fn task_update() {
    check("task_update", task());
}

#[test]
fn task_update_new() {
    check(
        "task_update_new",
        TaskUpdate {
            status: TaskStatus::Queued,
            previous_status: None,
            activity: String::new(),
            worker: None,
            steps_completed: Some(0),
            ..task()
        },
    );
}

#[test]
fn task_log_update() {
    check(
        "task_log_update",
        TaskLogUpdate { task_id: TASK, log: "Fra:1 Mem:12.00M\nFra:2 Mem:12.50M\n".into() },
    );
}

#[test]
fn last_rendered_update() {
    check(
        "last_rendered_update",
        LastRenderedUpdate {
            job_id: JOB,
            task_id: TASK,
            thumbnail: LastRenderedImageInfo {
                base: format!("/job-files/{JOB}/last-rendered"),
                suffixes: vec!["last-rendered-small.jpg".into(), "last-rendered-medium.jpg".into()],
            },
        },
    );
}

#[test]
fn last_rendered_image_info() {
    check(
        "last_rendered_image_info",
        LastRenderedImageInfo { base: format!("/job-files/{JOB}/last-rendered"), suffixes: vec![] },
    );
}

fn worker() -> WorkerUpdate {
    WorkerUpdate {
        id: WORKER,
        name: "render-node-01".into(),
        updated: at("2024-05-01T10:00:02Z"),
        last_seen: Some(at("2024-05-01T10:00:02Z")),
        status: WorkerStatus::Awake,
        previous_status: Some(WorkerStatus::Starting),
        status_change: Some(WorkerStatusChangeRequest { status: WorkerStatus::Asleep, is_lazy: true }),
        version: "3.5".into(),
        deleted_at: Some(at("2024-05-03T08:00:00Z")),
        can_restart: true,
    }
}

#[test]
fn worker_update() {
    check("worker_update", worker());
}

#[test]
fn worker_update_minimal() {
    check(
        "worker_update_minimal",
        WorkerUpdate {
            last_seen: None,
            status: WorkerStatus::Offline,
            previous_status: None,
            status_change: None,
            deleted_at: None,
            can_restart: false,
            ..worker()
        },
    );
}

#[test]
fn worker_status_change_request() {
    check(
        "worker_status_change_request",
        WorkerStatusChangeRequest { status: WorkerStatus::Restart, is_lazy: false },
    );
}

fn tag() -> WorkerTag {
    WorkerTag {
        id: Some(TAG),
        name: "GPU-EEVEE".into(),
        description: Some("All workers that can do GPU rendering with EEVEE.".into()),
    }
}

#[test]
fn worker_tag() {
    check("worker_tag", tag());
}

#[test]
fn worker_tag_minimal() {
    check("worker_tag_minimal", WorkerTag { id: None, name: "GPU-EEVEE".into(), description: None });
}

#[test]
fn worker_tag_update() {
    check("worker_tag_update", WorkerTagUpdate { tag: tag(), was_deleted: false });
}

#[test]
fn worker_tag_deleted() {
    check(
        "worker_tag_deleted",
        WorkerTagUpdate { tag: WorkerTag { description: None, ..tag() }, was_deleted: true },
    );
}

#[test]
fn farm_status_report() {
    check("farm_status_report", FarmStatusReport { status: FarmStatus::Inoperative });
}

#[test]
fn farm_status_strings() {
    let expected = [
        (FarmStatus::Active, "active"),
        (FarmStatus::Idle, "idle"),
        (FarmStatus::Waiting, "waiting"),
        (FarmStatus::Asleep, "asleep"),
        (FarmStatus::Inoperative, "inoperative"),
        (FarmStatus::Unknown, "unknown"),
        (FarmStatus::Starting, "starting"),
    ];
    for (status, name) in expected {
        assert_eq!(serde_json::to_value(status).unwrap(), Value::from(name));
        assert_eq!(serde_json::from_value::<FarmStatus>(Value::from(name)).unwrap(), status);
    }
}

#[test]
fn lifecycle_manager_startup() {
    check("lifecycle_manager_startup", EventLifeCycle { event_type: LifeCycleEventType::ManagerStartup });
}

#[test]
fn lifecycle_manager_shutdown() {
    check("lifecycle_manager_shutdown", EventLifeCycle { event_type: LifeCycleEventType::ManagerShutdown });
}

#[test]
fn chat_message() {
    check("chat_message", ChatMessage { name: "Sybren".into(), text: "Renders are done 🎉".into() });
}

#[test]
fn subscription_request() {
    check(
        "subscription_request",
        SubscriptionRequest { op: Operation::Subscribe, kind: SubscriptionType::TaskLog, uuid: Some(TASK) },
    );
}

#[test]
fn subscription_request_minimal() {
    check(
        "subscription_request_minimal",
        SubscriptionRequest { op: Operation::Unsubscribe, kind: SubscriptionType::AllWorkerTags, uuid: None },
    );
}

/// A typed request resolves to the same room as its JSON, so clients built on the type
/// and the resolver cannot drift apart.
#[test]
fn subscription_request_type_agrees_with_resolver() {
    for kind in [
        SubscriptionType::AllJobs,
        SubscriptionType::AllWorkers,
        SubscriptionType::Job,
        SubscriptionType::TaskLog,
        SubscriptionType::AllLastRendered,
        SubscriptionType::AllWorkerTags,
    ] {
        let req = SubscriptionRequest { op: Operation::Subscribe, kind, uuid: Some(TASK) };
        let sub = resolve_subscription(Some(&serde_json::to_value(&req).unwrap())).unwrap();
        assert_eq!(sub.op, Operation::Subscribe);
        let expected = match kind {
            SubscriptionType::AllJobs => Room::Jobs,
            SubscriptionType::AllWorkers => Room::Workers,
            SubscriptionType::Job => Room::Job(TASK),
            SubscriptionType::TaskLog => Room::TaskLog(TASK),
            SubscriptionType::AllLastRendered => Room::LastRendered,
            SubscriptionType::AllWorkerTags => Room::WorkerTags,
        };
        assert_eq!(sub.room, expected);
    }
}

/// An `Update` serialises to its payload alone, with no wrapper or tag.
#[test]
fn update_serialises_as_bare_payload() {
    let update = Update::Job(job());
    assert_eq!(update.to_json(), serde_json::to_value(job()).unwrap());
    assert_eq!(update.event(), Event::Jobs);
}
