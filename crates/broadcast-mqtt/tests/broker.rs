//! Against a real Mosquitto on a loopback port: every update in order per topic, the retained
//! status for a late subscriber, a broker absent at the start, and what a full queue drops.

use std::sync::Arc;

use broadcast_core::*;
use broadcast_mqtt::{Broker, Config, MqttBroadcaster};
use test_support::{Mosquitto, Received, Subscriber};
use uuid::Uuid;

fn config(port: u16, queue: usize) -> Config {
    let broker: Broker = format!("mqtt://127.0.0.1:{port}").parse().unwrap();
    Config { queue, ..Config::new(broker) }
}

fn job(priority: i32) -> JobUpdate {
    JobUpdate {
        id: Uuid::from_u128(7),
        name: Some("in order".into()),
        updated: "2024-05-01T10:00:00Z".parse().unwrap(),
        status: JobStatus::Active,
        previous_status: None,
        job_type: "echo-sleep-test".into(),
        priority,
        refresh_tasks: false,
        delete_requested_at: None,
        was_deleted: false,
        steps_completed: None,
        steps_total: None,
    }
}

fn task(job: Uuid, n: u32) -> TaskUpdate {
    TaskUpdate {
        id: Uuid::from_u128(u128::from(n)),
        job_id: job,
        name: format!("task {n}"),
        updated: "2024-05-01T10:00:00Z".parse().unwrap(),
        status: TaskStatus::Active,
        previous_status: None,
        activity: format!("step {n}"),
        worker: None,
        steps_completed: None,
        steps_total: None,
    }
}

fn worker(n: u32) -> WorkerUpdate {
    WorkerUpdate {
        id: Uuid::from_u128(9),
        name: format!("worker {n}"),
        updated: "2024-05-01T10:00:00Z".parse().unwrap(),
        last_seen: None,
        status: WorkerStatus::Awake,
        previous_status: None,
        status_change: None,
        version: "3.6".into(),
        deleted_at: None,
        can_restart: false,
    }
}

fn json(m: &Received) -> serde_json::Value {
    serde_json::from_slice(&m.payload).unwrap()
}

/// 1,000 updates on each of three topics, interleaved: each topic gets all of its own, in
/// the order sent, with the payload's exact bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_updates_per_topic_arrive_in_order() {
    let broker = Mosquitto::start().await;
    let mut sub = Subscriber::connect(broker.port, &["flamenco/#"]).await;
    let mqtt = Arc::new(MqttBroadcaster::start(config(broker.port, 4096)));
    let notifier = Notifier::new(mqtt.clone());
    let job_id = Uuid::from_u128(7);
    let n = 1_000;
    for i in 0..n {
        notifier.send(notify::job_updated(job(i as i32))).await.unwrap();
        notifier.send(notify::task_updated(task(job_id, i))).await.unwrap();
        notifier.send(notify::worker_updated(worker(i))).await.unwrap();
    }
    let (mut jobs, mut tasks, mut workers) = (Vec::new(), Vec::new(), Vec::new());
    let task_topic = format!("flamenco/jobs/{job_id}");
    for _ in 0..3 * n {
        let m = sub.next().await;
        match m.topic.as_str() {
            "flamenco/jobs" => jobs.push(m),
            "flamenco/workers" => workers.push(m),
            t if t == task_topic => tasks.push(m),
            other => panic!("unexpected topic {other}"),
        }
    }
    let expect = |got: &[Received], make: &dyn Fn(u32) -> Update| {
        let expected: Vec<Vec<u8>> = (0..n).map(|i| serde_json::to_vec(&make(i)).unwrap()).collect();
        let got: Vec<Vec<u8>> = got.iter().map(|m| m.payload.clone()).collect();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "in order, byte for byte");
    };
    expect(&jobs, &|i| Update::Job(job(i as i32)));
    expect(&tasks, &|i| Update::Task(task(job_id, i)));
    expect(&workers, &|i| Update::Worker(worker(i)));
    assert!(jobs.iter().chain(&tasks).chain(&workers).all(|m| !m.retained));
    assert_eq!(mqtt.dropped(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_subscriber_learns_the_farm_status_from_the_retained_message() {
    let broker = Mosquitto::start().await;
    let mqtt = Arc::new(MqttBroadcaster::start(config(broker.port, 64)));
    let notifier = Notifier::new(mqtt.clone());
    let mut early = Subscriber::connect(broker.port, &["flamenco/#"]).await;
    for status in [FarmStatus::Idle, FarmStatus::Active] {
        notifier.send(notify::farm_status(FarmStatusReport { status })).await.unwrap();
    }
    notifier.send(notify::manager_startup()).await.unwrap();
    assert_eq!(json(&early.next_on("flamenco/status").await), serde_json::json!({"status": "idle"}));
    assert_eq!(json(&early.next_on("flamenco/status").await), serde_json::json!({"status": "active"}));
    assert_eq!(
        json(&early.next_on("flamenco/lifecycle").await),
        serde_json::json!({"type": "manager-startup"})
    );

    // Subscribed after all that: the broker hands over the last status, and no life-cycle
    // event (those are not retained).
    let mut late = Subscriber::connect(broker.port, &["flamenco/#"]).await;
    let first = late.next().await;
    assert_eq!((first.topic.as_str(), first.retained), ("flamenco/status", true));
    assert_eq!(json(&first), serde_json::json!({"status": "active"}));
    notifier.send(notify::job_updated(job(1))).await.unwrap();
    assert_eq!(late.next().await.topic, "flamenco/jobs", "nothing retained but the status");
}

/// The broker is not there at the start: broadcasting does not wait, updates wait in the
/// queue, and once a broker comes up on that port they are published, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_absent_at_the_start_gets_what_waited_once_it_is_up() {
    let port = Mosquitto::unused_port();
    let mqtt = Arc::new(MqttBroadcaster::start(config(port, 16)));
    let notifier = Notifier::new(mqtt.clone());
    for i in 0..10 {
        notifier.send(notify::job_updated(job(i))).await.unwrap();
    }
    let broker = Mosquitto::start_on(port).await;
    let mut sub = Subscriber::connect(broker.port, &["flamenco/jobs"]).await;
    // Whatever went out before the subscription was made is gone for it; what follows is
    // in order, and the ones sent now arrive.
    notifier.send(notify::job_updated(job(100))).await.unwrap();
    let mut seen = Vec::new();
    while seen.last() != Some(&100) {
        seen.push(json(&sub.next().await)["priority"].as_i64().unwrap());
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
    assert_eq!(mqtt.dropped(), 0);
}

/// With the broker absent, the queue holds exactly its capacity; the rest is dropped and
/// counted, and broadcasting never fails or waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_and_counts_without_waiting() {
    let mqtt = Arc::new(MqttBroadcaster::start(config(Mosquitto::unused_port(), 8)));
    let notifier = Notifier::new(mqtt.clone());
    for i in 0..100 {
        notifier.send(notify::job_updated(job(i))).await.unwrap();
    }
    assert_eq!(mqtt.dropped(), 92);
    // Not published at all: no queue, no count.
    notifier.send(notify::chat_message(ChatMessage { name: "n".into(), text: "t".into() })).await.unwrap();
    assert_eq!(mqtt.dropped(), 92);
}
