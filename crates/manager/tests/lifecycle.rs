//! The real manager binary's farm status and life cycle: `/status` first on connect and at
//! each change, `GET /api/v3/status`, and SIGTERM: `manager-shutdown`, then the transports
//! close without a Socket.IO disconnect. Every wait is bounded.

use std::time::{Duration, Instant};

use test_support::{Eio, ManagerProcess, RawClient, http, metric};

const MANAGER: &str = env!("CARGO_BIN_EXE_manager");

async fn manager(args: &[&str]) -> ManagerProcess {
    ManagerProcess::start(MANAGER, args).await
}

/// The next event, which must be a `/status`.
async fn next_status(c: &mut RawClient) -> serde_json::Value {
    let (event, payload) = c.next_event().await;
    assert_eq!(event, "/status", "{payload}");
    payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_farm_status_comes_first_on_connect_then_at_each_change() {
    let m = manager(&[]).await;
    let mut v3 = RawClient::connect(m.addr, Eio::V3).await;
    let mut v4 = RawClient::connect(m.addr, Eio::V4).await;
    for c in [&mut v3, &mut v4] {
        assert_eq!(next_status(c).await, serde_json::json!({"status": "inoperative"}));
    }
    let res = http()
        .post(format!("{}/api/v3/worker/register-worker", m.url()))
        .json(&serde_json::json!({"name": "w", "secret": "s", "platform": "linux", "supported_task_types": ["misc"]}))
        .send()
        .await
        .expect("register");
    let worker =
        res.json::<serde_json::Value>().await.expect("worker")["uuid"].as_str().expect("uuid").to_owned();
    let res = http()
        .post(format!("{}/api/v3/worker/sign-on", m.url()))
        .basic_auth(&worker, Some("s"))
        .json(&serde_json::json!({"name": "w", "supported_task_types": ["misc"], "software_version": "3.6"}))
        .send()
        .await
        .expect("sign on");
    assert_eq!(res.status(), 200);
    for c in [&mut v3, &mut v4] {
        // The worker updates are in `Workers`, which these clients did not join.
        assert_eq!(next_status(c).await, serde_json::json!({"status": "idle"}));
    }
    let status = http().get(format!("{}/api/v3/status", m.url())).send().await.expect("GET /api/v3/status");
    assert_eq!(
        status.json::<serde_json::Value>().await.expect("json"),
        serde_json::json!({"status": "idle"})
    );
    // A client connecting now is given the current status first.
    let mut late = RawClient::connect(m.addr, Eio::V4).await;
    assert_eq!(late.next_event().await, ("/status".to_owned(), serde_json::json!({"status": "idle"})));
    // Two broadcasts (the first status, to nobody yet, and `idle`); five deliveries: three
    // given on connect, two by the broadcast.
    let text = m.metrics().await;
    assert_eq!(metric(&text, "webupdates_broadcasts_total{event=\"/status\"}"), 2.0, "{text}");
    assert_eq!(metric(&text, "webupdates_deliveries_total{event=\"/status\"}"), 5.0, "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_sends_manager_shutdown_exits_zero_and_closes_transports_without_a_disconnect_packet() {
    let mut m = manager(&[]).await;
    let mut clients =
        vec![RawClient::connect(m.addr, Eio::V3).await, RawClient::connect(m.addr, Eio::V4).await];
    let started = Instant::now();
    let status = std::process::Command::new("kill").args(["-TERM", &m.pid().to_string()]).status().unwrap();
    assert!(status.success());
    for c in &mut clients {
        // Until the connection ends: the farm's status given on connect, `manager-shutdown`,
        // and the Engine.IO close packet; never a Socket.IO disconnect.
        let mut events = Vec::new();
        loop {
            match c.try_recv().await {
                None => break,
                Some(packet) if packet == "1" => {}
                Some(packet) if packet.starts_with("42") => events.push(packet),
                Some(packet) => panic!(
                    "unexpected packet before close: {packet:?} (a 41 would stop 2.x clients reconnecting)"
                ),
            }
        }
        assert_eq!(
            events.last().map(String::as_str),
            Some(r#"42["/lifecycle",{"type":"manager-shutdown"}]"#)
        );
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(events[0].starts_with(r#"42["/status","#), "{events:?}");
    }
    let exit = m.wait(Duration::from_secs(10)).await.expect("the manager exits within 10 s");
    assert!(exit.success(), "exit status {exit:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
