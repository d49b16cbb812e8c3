//! The manager with `--mqtt-broker`, against a real Mosquitto on a loopback port: every
//! topic of SPEC section 10 carries the Socket.IO event's payload byte for byte; a broker
//! absent at the start; a broker killed and started again mid-run while Socket.IO clients
//! keep receiving every update in order, the drops counted, and publishing resumed.

use std::collections::BTreeMap;
use std::time::Duration;

use test_support::{Eio, ManagerProcess, Mosquitto, RawClient, Subscriber, http, metric};

const MANAGER: &str = env!("CARGO_BIN_EXE_manager");

async fn post(m: &ManagerProcess, path: &str, body: serde_json::Value) -> reqwest::Response {
    http().post(format!("{}{path}", m.url())).json(&body).send().await.expect(path)
}

async fn post_as(
    m: &ManagerProcess,
    worker: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> reqwest::Response {
    let request = http().post(format!("{}{path}", m.url())).basic_auth(worker, Some("s"));
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.expect(path)
}

/// An event packet `42["<event>",<payload>]` split into the event and the payload's exact text.
fn split_event(packet: &str) -> Option<(String, String)> {
    let body = packet.strip_prefix("42[\"")?;
    let (event, rest) = body.split_once("\",")?;
    Some((event.to_owned(), rest.strip_suffix(']')?.to_owned()))
}

/// Sends `42<id>[args]` and waits for its ack, keeping the events that arrive meanwhile.
async fn ack_keeping(c: &mut RawClient, id: u32, args: &str, events: &mut Vec<(String, String)>) {
    c.send(&format!("42{id}{args}")).await;
    loop {
        let packet = c.recv().await;
        if packet.starts_with(&format!("43{id}")) {
            return;
        }
        events.extend(split_event(&packet));
    }
}

/// The topic of SPEC section 10 an event goes to, for the events this test causes.
fn topics_of(event: &str, job: &str) -> Vec<String> {
    match event {
        "/jobs" => vec!["flamenco/jobs".into()],
        "/task" => vec![format!("flamenco/jobs/{job}")],
        "/last-rendered" => {
            vec![format!("flamenco/jobs/{job}/last-rendered"), "flamenco/last-rendered".into()]
        }
        "/workers" => vec!["flamenco/workers".into()],
        "/workertags" => vec!["flamenco/workertags".into()],
        "/status" => vec!["flamenco/status".into()],
        "/lifecycle" => vec!["flamenco/lifecycle".into()],
        other => panic!("no topic for {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_topic_carries_the_socketio_payload_byte_for_byte() {
    let broker = Mosquitto::start().await;
    // Subscribed before the manager starts, so it hears `manager-startup` too.
    let mut sub = Subscriber::connect(broker.port, &["flamenco/#"]).await;
    let mut m = ManagerProcess::start(MANAGER, &["--mqtt-broker", &broker.url()]).await;
    let mut page = RawClient::connect(m.addr, Eio::V4).await;
    let mut events = Vec::new();
    for (id, kind) in [(1, "allWorkers"), (2, "allWorkerTags"), (3, "allLastRendered")] {
        ack_keeping(
            &mut page,
            id,
            &format!(r#"["/subscription",{{"op":"subscribe","type":"{kind}"}}]"#),
            &mut events,
        )
        .await;
    }

    let job_id = submit_job(&m, "mqtt", 50).await;
    let sub_job = format!(r#"["/subscription",{{"op":"subscribe","type":"job","uuid":"{job_id}"}}]"#);
    ack_keeping(&mut page, 4, &sub_job, &mut events).await;
    let registered: serde_json::Value = post(
        &m,
        "/api/v3/worker/register-worker",
        serde_json::json!({
            "name": "w", "secret": "s", "platform": "linux", "supported_task_types": ["misc"]
        }),
    )
    .await
    .json()
    .await
    .expect("worker");
    let worker = registered["uuid"].as_str().expect("uuid").to_owned();
    let sign_on =
        serde_json::json!({"name": "w", "supported_task_types": ["misc"], "software_version": "3.6"});
    assert_eq!(post_as(&m, &worker, "/api/v3/worker/sign-on", Some(sign_on)).await.status(), 200);
    let awake = serde_json::json!({"status": "awake"});
    assert_eq!(post_as(&m, &worker, "/api/v3/worker/state-changed", Some(awake)).await.status(), 204);
    let task: serde_json::Value =
        post_as(&m, &worker, "/api/v3/worker/task", None).await.json().await.expect("task");
    let task_path = format!("/api/v3/worker/task/{}", task["uuid"].as_str().expect("task id"));
    let progress = serde_json::json!({"activity": "rendering", "log": "a log line\n"});
    assert_eq!(post_as(&m, &worker, &task_path, Some(progress)).await.status(), 204);
    let png = test_support::ONE_PIXEL_PNG.to_vec();
    let output = http()
        .post(format!("{}{task_path}/output-produced", m.url()))
        .basic_auth(&worker, Some("s"))
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .expect("output-produced");
    assert_eq!(output.status(), 202);
    let tag = post(&m, "/api/v3/worker-mgt/tags", serde_json::json!({"name": "GPU"})).await;
    assert_eq!(tag.status(), 200);

    // The manager stops: `manager-shutdown` goes to both, then Socket.IO closes.
    let kill = std::process::Command::new("kill").args(["-TERM", &m.pid().to_string()]).status().unwrap();
    assert!(kill.success());
    while let Some(packet) = page.try_recv().await {
        events.extend(split_event(&packet));
    }
    assert!(m.wait(Duration::from_secs(20)).await.is_some_and(|s| s.success()), "the manager exits 0");

    // What MQTT got, by topic, up to `manager-shutdown`.
    let mut mqtt: BTreeMap<String, Vec<String>> = BTreeMap::new();
    loop {
        let message = sub.next().await;
        let payload = String::from_utf8(message.payload).expect("UTF-8 JSON");
        let done = message.topic == "flamenco/lifecycle" && payload.contains("manager-shutdown");
        mqtt.entry(message.topic).or_default().push(payload);
        if done {
            break;
        }
    }
    // What Socket.IO got, by the topic it maps to. The page is in the job's room and in
    // `Last-Rendered`, so it got each image twice, once per room, as MQTT publishes it once
    // per topic.
    let mut socketio: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut images = Vec::new();
    for (event, payload) in &events {
        if event == "/last-rendered" {
            images.push(payload.clone());
            continue;
        }
        for topic in topics_of(event, &job_id) {
            socketio.entry(topic).or_default().push(payload.clone());
        }
    }
    assert_eq!(images.len(), 2, "one image, to the page's two rooms: {images:?}");
    assert_eq!(images[0], images[1]);
    for topic in topics_of("/last-rendered", &job_id) {
        socketio.entry(topic).or_default().push(images[0].clone());
    }
    // The page connected after `manager-startup`; MQTT heard it first.
    let lifecycle = mqtt.get_mut("flamenco/lifecycle").expect("life-cycle events on MQTT");
    assert_eq!(lifecycle.remove(0), r#"{"type":"manager-startup"}"#);
    for topic in [
        "flamenco/lifecycle".to_owned(),
        "flamenco/status".to_owned(),
        "flamenco/jobs".to_owned(),
        format!("flamenco/jobs/{job_id}"),
        format!("flamenco/jobs/{job_id}/last-rendered"),
        "flamenco/last-rendered".to_owned(),
        "flamenco/workers".to_owned(),
        "flamenco/workertags".to_owned(),
    ] {
        let (on_socketio, on_mqtt) = (socketio.get(&topic), mqtt.get(&topic));
        assert!(
            on_socketio.is_some_and(|l| !l.is_empty()),
            "Socket.IO saw something for {topic}: {events:?}"
        );
        assert_eq!(on_socketio, on_mqtt, "{topic}: the same payloads, byte for byte, in the same order");
    }
    assert_eq!(socketio.len(), mqtt.len(), "no other topic: {:?}", mqtt.keys().collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_manager_starts_and_serves_with_the_broker_absent() {
    let port = Mosquitto::unused_port();
    let m = ManagerProcess::start(MANAGER, &["--mqtt-broker", &format!("mqtt://127.0.0.1:{port}")]).await;
    let mut page = RawClient::connect(m.addr, Eio::V3).await;
    assert_eq!(page.next_event().await.0, "/status");
    let res = http().get(format!("{}/api/v3/status", m.url())).send().await.expect("GET /api/v3/status");
    assert_eq!(res.status(), 200);
    assert!(m.logged("MQTT: no connection to the broker"), "the outage is logged");
    assert_eq!(metric(&m.metrics().await, "webupdates_mqtt_connected"), 0.0);
    // The broker comes up: the manager connects and publishes.
    let broker = Mosquitto::start_on(port).await;
    let mut sub = Subscriber::connect(broker.port, &["flamenco/jobs"]).await;
    wait_connected(&m).await;
    submit_job(&m, "late broker", 50).await;
    let published = sub.next_on("flamenco/jobs").await;
    assert!(String::from_utf8_lossy(&published.payload).contains("late broker"));
}

/// Waits (at most 30 s, beyond the longest reconnection backoff) until the manager says it
/// is connected to the broker.
async fn wait_connected(m: &ManagerProcess) {
    tokio::time::timeout(Duration::from_secs(30), async {
        while metric(&m.metrics().await, "webupdates_mqtt_connected") != 1.0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the manager connects to the broker");
}

/// Submits an echo-sleep job; its id.
async fn submit_job(m: &ManagerProcess, name: &str, priority: i32) -> String {
    let body = serde_json::json!({
        "name": name, "type": "echo-sleep-test", "priority": priority, "submitter_platform": "linux",
        "settings": {"message": "hi", "sleep_duration_seconds": 1}
    });
    let res = post(m, "/api/v3/jobs", body).await;
    assert_eq!(res.status(), 200);
    res.json::<serde_json::Value>().await.expect("job")["id"].as_str().expect("id").to_owned()
}

async fn set_priority(m: &ManagerProcess, job: &str, priority: i32) {
    let res =
        post(m, &format!("/api/v3/jobs/{job}/setpriority"), serde_json::json!({ "priority": priority }))
            .await;
    assert_eq!(res.status(), 204, "setpriority {priority}");
}

/// The next `/jobs` priorities a Socket.IO page receives, `n` of them.
async fn job_priorities(page: &mut RawClient, n: usize) -> Vec<i64> {
    let mut seen = Vec::new();
    while seen.len() < n {
        let (event, payload) = page.next_event().await;
        if event == "/jobs" {
            seen.push(payload["priority"].as_i64().expect("priority"));
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_killed_and_restarted_mid_run_costs_socketio_nothing_and_publishing_resumes() {
    let mut broker = Mosquitto::start().await;
    let m = ManagerProcess::start(MANAGER, &["--mqtt-broker", &broker.url(), "--mqtt-queue", "8"]).await;
    let mut pages =
        vec![RawClient::connect(m.addr, Eio::V3).await, RawClient::connect(m.addr, Eio::V4).await];
    let job = submit_job(&m, "outage", 0).await;
    {
        let mut sub = Subscriber::connect(broker.port, &["flamenco/jobs"]).await;
        for p in 1..=20 {
            set_priority(&m, &job, p).await;
        }
        let mut on_mqtt = Vec::new();
        while on_mqtt.last() != Some(&20) {
            let m = sub.next_on("flamenco/jobs").await;
            on_mqtt.push(
                serde_json::from_slice::<serde_json::Value>(&m.payload).unwrap()["priority"]
                    .as_i64()
                    .unwrap(),
            );
        }
        // The new job (priority 0) may have been published before the subscription.
        on_mqtt.retain(|&p| p > 0);
        assert_eq!(on_mqtt, (1..=20).collect::<Vec<_>>(), "before the outage, every update in order");
    }

    // The broker dies; REST and Socket.IO go on as if nothing happened. (Priorities go up
    // to 100, so the 200 updates of the outage cycle through 21 to 99.)
    broker.kill().await;
    let mut sent: Vec<i64> = (0..=20).collect();
    for i in 0..200 {
        let p = 21 + i % 79;
        set_priority(&m, &job, p).await;
        sent.push(i64::from(p));
    }
    for page in &mut pages {
        assert_eq!(job_priorities(page, sent.len()).await, sent, "Socket.IO got every update, in order");
    }
    let text = m.metrics().await;
    let dropped = metric(&text, "webupdates_mqtt_dropped_total{event=\"/jobs\"}");
    assert!(dropped > 0.0, "drops counted:\n{text}");
    assert!(text.contains("# HELP webupdates_mqtt_dropped_total"), "with its help text");
    // Logged when dropping starts, not once per update: one line, or a few if the queue
    // drained in between as the client took in what waited when the connection broke.
    let warned = m.log.lock().unwrap().iter().filter(|l| l.contains("MQTT: the queue is full")).count();
    assert!((1..=3).contains(&warned) && (warned as f64) < dropped, "{warned} lines for {dropped} drops");

    // The broker is back: the manager reconnects and publishes again, in order.
    broker.start_again().await;
    let mut sub = Subscriber::connect(broker.port, &["flamenco/jobs"]).await;
    wait_connected(&m).await;
    set_priority(&m, &job, 100).await;
    sent.push(100);
    let mut after = Vec::new();
    while after.last() != Some(&100) {
        let m = sub.next_on("flamenco/jobs").await;
        after.push(
            serde_json::from_slice::<serde_json::Value>(&m.payload).unwrap()["priority"].as_i64().unwrap(),
        );
    }
    // What was kept through the outage comes first, then the new update: in the order sent,
    // with gaps only where updates were dropped.
    let mut rest = sent.iter();
    assert!(after.iter().all(|p| rest.any(|s| s == p)), "in the order sent after the outage: {after:?}");
    assert!(m.logged("MQTT: connected to the broker again"));
    assert!(m.logged("MQTT: publishing again"), "the drops are summed up once publishing works");
    for page in &mut pages {
        assert_eq!(job_priorities(page, 1).await, [100]);
    }
}
