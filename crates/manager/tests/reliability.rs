//! Reliability and security of the real manager binary: slow clients, limits, bad input,
//! connection storms, metrics. Every wait is bounded. (Shutdown: `lifecycle.rs`.)

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use test_support::{Eio, ManagerProcess, RawClient, WAIT, http, metric};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const MANAGER: &str = env!("CARGO_BIN_EXE_manager");

async fn manager(args: &[&str]) -> ManagerProcess {
    ManagerProcess::start(MANAGER, args).await
}

/// Connects, and takes the farm's status every client is given first.
async fn client(m: &ManagerProcess, eio: Eio) -> RawClient {
    let mut c = RawClient::connect(m.addr, eio).await;
    assert_eq!(c.next_event().await.0, "/status", "the farm's status comes first");
    c
}

async fn chat_round_trip(c: &mut RawClient, id: u32) {
    let text = format!("ok {id}");
    let ack = c.ack(id, &format!(r#"["/chat",{{"name":"probe","text":"{text}"}}]"#)).await;
    assert_eq!(ack, serde_json::json!(["message sent successfully."]));
}

async fn submit_job(m: &ManagerProcess) -> String {
    let body = serde_json::json!({
        "name": "reliability", "type": "echo-sleep-test", "priority": 50, "submitter_platform": "linux",
        "settings": {"message": "hi", "sleep_duration_seconds": 1}
    });
    let res = http().post(format!("{}/api/v3/jobs", m.url())).json(&body).send().await.expect("submit");
    assert_eq!(res.status(), 200);
    res.json::<serde_json::Value>().await.expect("job")["id"].as_str().expect("id").to_owned()
}

async fn set_priority(m: &ManagerProcess, job: &str, priority: i32) {
    let res = http()
        .post(format!("{}/api/v3/jobs/{job}/setpriority", m.url()))
        .json(&serde_json::json!({ "priority": priority }))
        .send()
        .await
        .expect("setpriority");
    assert_eq!(res.status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_disconnected_and_delays_no_one() {
    let m = manager(&["--send-buffer", "16", "--max-chat-text", "70000", "--max-payload", "200000"]).await;
    let mut slow = RawClient::connect_with_recv_buffer(m.addr, Eio::V3, 4096).await;
    let sub = r#"["/subscription",{"op":"subscribe","type":"allWorkers"}]"#;
    assert_eq!(slow.ack(1, sub).await, serde_json::json!(["ok"]));
    let mut reader = client(&m, Eio::V4).await;
    let mut sender = client(&m, Eio::V3).await;

    let total = 300;
    let reading = tokio::spawn(async move {
        let mut texts = Vec::new();
        while texts.len() < total {
            let (event, payload) = reader.next_event().await;
            if event == "/message" {
                let text = payload["text"].as_str().unwrap_or_default();
                texts.push(text.rsplit(' ').next().unwrap_or_default().to_owned());
            }
        }
        texts
    });
    let filler = "x".repeat(60_000);
    for seq in 0..total {
        let ack =
            sender.ack(seq as u32, &format!(r#"["/chat",{{"name":"load","text":"{filler} {seq}"}}]"#)).await;
        assert_eq!(ack, serde_json::json!(["message sent successfully."]), "chat {seq}");
    }
    let texts = tokio::time::timeout(Duration::from_secs(60), reading)
        .await
        .expect("reader in time")
        .expect("reader");
    let expected: Vec<String> = (0..total).map(|s| s.to_string()).collect();
    assert_eq!(texts, expected, "the reading client got every message, in order");
    assert!(slow.closed().await, "the stalled client's connection was closed");
    let text = m.metrics().await;
    assert_eq!(metric(&text, "webupdates_overflow_disconnects_total"), 1.0, "{text}");
    assert!(m.logged("closing its transport so it reconnects"), "the eviction is logged");

    // Reconnecting gives a fresh membership: the default rooms, not the old allWorkers.
    let mut again = client(&m, Eio::V3).await;
    let worker = serde_json::json!({"name": "w", "secret": "s", "platform": "linux", "supported_task_types": ["misc"]});
    let res =
        http().post(format!("{}/api/v3/worker/register-worker", m.url())).json(&worker).send().await.unwrap();
    assert_eq!(res.status(), 200);
    chat_round_trip(&mut again, 900).await;
    assert!(!m.metrics().await.contains("kind=\"Workers\""), "nobody is in Workers any more");
    // ... and once it re-subscribes, as Flamenco's frontend does, it receives again.
    assert_eq!(again.ack(901, sub).await, serde_json::json!(["ok"]));
    let res =
        http().post(format!("{}/api/v3/worker/register-worker", m.url())).json(&worker).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let (event, _) = again.next_event().await;
    assert_eq!(event, "/workers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_limit_refuses_the_next_handshake_cleanly() {
    let m = manager(&["--max-connections", "3"]).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(RawClient::connect(m.addr, Eio::V3).await);
    }
    match tokio_tungstenite::connect_async(test_support::ws_url(m.addr, Eio::V4)).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 503);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned();
            assert!(body.contains("too many connections"), "{body}");
        }
        other => panic!("expected a 503, got {:?}", other.map(|_| "a connection")),
    }
    let polling = http().get(format!("{}/socket.io/?EIO=4&transport=polling", m.url())).send().await.unwrap();
    assert_eq!(polling.status(), 503);
    for (i, c) in open.iter_mut().enumerate() {
        chat_round_trip(c, i as u32).await;
    }
    assert!(metric(&m.metrics().await, "webupdates_refused_connections_total{reason=\"limit\"}") >= 2.0);
    // A place freed is a place to take.
    drop(open.pop());
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok((ws, _)) = tokio_tungstenite::connect_async(test_support::ws_url(m.addr, Eio::V3)).await {
            drop(ws);
            break;
        }
        assert!(Instant::now() < deadline, "no place freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foreign_origins_are_refused_on_the_handshake_and_by_cors() {
    let m = manager(&["--allowed-origin", "https://render.example.com"]).await;
    let handshake = |origin: &str| {
        let mut request = test_support::ws_url(m.addr, Eio::V3).into_client_request().unwrap();
        request.headers_mut().insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    match handshake("http://evil.example").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected a 403, got {:?}", other.map(|_| "a connection")),
    }
    for allowed in ["http://localhost:5173", "https://render.example.com", &format!("http://{}", m.addr)] {
        assert!(handshake(allowed).await.is_ok(), "{allowed} should be allowed");
    }
    let preflight = |origin: &'static str| {
        http()
            .request(reqwest::Method::OPTIONS, format!("{}/api/v3/jobs", m.url()))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let evil = preflight("http://evil.example").await.unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
    let ok = preflight("https://render.example.com").await.unwrap();
    assert_eq!(ok.headers().get("access-control-allow-origin").unwrap(), "https://render.example.com");
    assert!(metric(&m.metrics().await, "webupdates_refused_connections_total{reason=\"origin\"}") >= 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_text_and_packet_size_limits() {
    let m = manager(&["--max-chat-text", "10", "--max-payload", "2000"]).await;
    let mut c = client(&m, Eio::V3).await;
    let mut watcher = client(&m, Eio::V4).await;
    let ack = c.ack(1, r#"["/chat",{"name":"n","text":"12345678901"}]"#).await;
    assert_eq!(ack, serde_json::json!(["chat message too long: at most 10 characters, ignoring request"]));
    let ack = c.ack(2, r#"["/chat",{"name":"n","text":"1234567890"}]"#).await;
    assert_eq!(ack, serde_json::json!(["message sent successfully."]));
    let (event, payload) = watcher.next_event().await;
    assert_eq!(
        (event.as_str(), payload["text"].as_str()),
        ("/message", Some("1234567890")),
        "only the short one went out"
    );

    // A packet over --max-payload costs the sender its connection, and nobody else anything.
    let mut bystander = client(&m, Eio::V4).await;
    let mut big = client(&m, Eio::V3).await;
    big.send(&format!(r#"42["/chat",{{"name":"n","text":"{}"}}]"#, "y".repeat(3000))).await;
    assert!(big.closed().await, "the oversized packet's sender was disconnected");
    chat_round_trip(&mut bystander, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_body_limits_answer_413_with_an_error_body() {
    let m = manager(&["--max-json-body", "1000", "--max-image-body", "2000"]).await;
    let big = serde_json::json!({"name": "x".repeat(2000), "type": "echo-sleep-test", "priority": 50, "submitter_platform": "linux"});
    let res = http().post(format!("{}/api/v3/jobs", m.url())).json(&big).send().await.unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], 413);

    let worker = serde_json::json!({"name": "w", "secret": "s", "platform": "linux", "supported_task_types": ["misc"]});
    let registered: serde_json::Value = http()
        .post(format!("{}/api/v3/worker/register-worker", m.url()))
        .json(&worker)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = registered["uuid"].as_str().unwrap();
    let task = "0b8a5c6e-2f0e-4e7a-9a47-2f6c8f7b1d21";
    let image = |size: usize| {
        http()
            .post(format!("{}/api/v3/worker/task/{task}/output-produced", m.url()))
            .basic_auth(id, Some("s"))
            .header("content-type", "image/png")
            .body(vec![0u8; size])
            .send()
    };
    assert_eq!(image(3000).await.unwrap().status(), 413, "an image over its own limit");
    // Under the image limit but over the JSON one: the image limit applies (the task is unknown).
    assert_eq!(image(1500).await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_never_takes_the_server_down() {
    let m = manager(&[]).await;
    let mut bystander = client(&m, Eio::V3).await;

    // Malformed Engine.IO and Socket.IO packets, binary where JSON is expected, invalid UTF-8.
    let frames: Vec<Message> = vec![
        Message::text("42[]"),
        Message::text("42{"),
        Message::text("4"),
        Message::text("9x"),
        Message::text(r#"42["/subscription",{"op":"subscribe","type":"job","uuid":"\ud800"}]"#),
        Message::binary(vec![0xff, 0x00, 0x42]),
        Message::binary(b"42[\"/chat\",{\"name\":\"n\",\"text\":\"t\"}]".to_vec()),
        Message::Frame(tokio_tungstenite::tungstenite::protocol::frame::Frame::message(
            vec![b'4', b'2', 0xff, 0xfe],
            tokio_tungstenite::tungstenite::protocol::frame::coding::OpCode::Data(
                tokio_tungstenite::tungstenite::protocol::frame::coding::Data::Text,
            ),
            true,
        )),
    ];
    for (i, frame) in frames.into_iter().enumerate() {
        for eio in [Eio::V3, Eio::V4] {
            let mut c = client(&m, eio).await;
            let _ = c.ws.send(frame.clone()).await;
            // Either the packet is ignored (the connection still answers) or the connection
            // is closed; the server itself carries on.
            let _ = tokio::time::timeout(Duration::from_millis(500), c.try_recv()).await;
            chat_round_trip(&mut bystander, (i * 2 + usize::from(eio == Eio::V4)) as u32).await;
        }
    }

    // An unknown namespace is refused with a connect error, the connection stays usable.
    let mut c = client(&m, Eio::V4).await;
    c.send("40/nope,").await;
    let reply = c.recv().await;
    assert!(reply.starts_with("44/nope,"), "{reply}");
    chat_round_trip(&mut c, 100).await;

    // Long-polling requests with bogus session ids.
    for query in [
        "EIO=4&transport=polling&sid=bogus",
        "EIO=3&transport=polling&sid=",
        "EIO=9&transport=polling",
        "EIO=4&transport=carrier-pigeon",
    ] {
        let res = http().get(format!("{}/socket.io/?{query}", m.url())).send().await.unwrap();
        assert!(res.status().is_client_error(), "{query}: {}", res.status());
        let res = http().post(format!("{}/socket.io/?{query}", m.url())).body("1:6").send().await.unwrap();
        assert!(res.status().is_client_error(), "{query}: {}", res.status());
    }

    // REST bodies of the wrong type.
    for (path, body) in [
        ("/api/v3/jobs", "[]"),
        ("/api/v3/jobs", "\"job\""),
        ("/api/v3/jobs", "{\"name\": {}}"),
        ("/api/v3/worker/register-worker", "{\"name\": 1}"),
        ("/api/v3/worker-mgt/tags", "null"),
    ] {
        let res = http()
            .post(format!("{}{path}", m.url()))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{path} {body}");
        let err: serde_json::Value = res.json().await.unwrap();
        assert_eq!(err["code"], 400);
    }
    let version = http().get(format!("{}/api/v3/version", m.url())).send().await.unwrap();
    assert_eq!(version.status(), 200);
    chat_round_trip(&mut bystander, 101).await;
    assert!(!m.logged("panicked"), "no handler panicked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_storm_all_receive_and_membership_and_memory_recover() {
    let m = manager(&["--memory-reclaim-interval", "0.2"]).await;
    let job = submit_job(&m).await;
    let baseline = metric(&m.metrics().await, "webupdates_room_members{kind=\"Jobs\"}");
    let rss_before = m.resident_kib();
    let clients = 2000;
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(clients);
    let (go_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..clients {
        let ready = ready_tx.clone();
        let mut go = go_tx.subscribe();
        let addr = m.addr;
        tasks.spawn(async move {
            let eio = if i % 2 == 0 { Eio::V3 } else { Eio::V4 };
            let mut c = tokio::time::timeout(Duration::from_secs(60), RawClient::connect(addr, eio))
                .await
                .expect("connected in time");
            ready.send(()).await.expect("ready");
            let _ = go.recv().await;
            loop {
                let (event, payload) = c.next_event().await;
                if event == "/jobs" && payload["priority"] == 77 {
                    return c;
                }
            }
        });
    }
    for _ in 0..clients {
        tokio::time::timeout(Duration::from_secs(90), ready_rx.recv()).await.expect("all connected in time");
    }
    assert_eq!(
        metric(&m.metrics().await, "webupdates_room_members{kind=\"Jobs\"}"),
        baseline + clients as f64
    );
    let rss_connected = m.resident_kib();
    let _ = go_tx.send(());
    set_priority(&m, &job, 77).await;
    let mut received = Vec::new();
    while let Some(done) =
        tokio::time::timeout(Duration::from_secs(60), tasks.join_next()).await.expect("all received in time")
    {
        received.push(done.expect("client task"));
    }
    assert_eq!(received.len(), clients, "every client received the broadcast");
    drop(received); // all 2,000 disconnect at once
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = m.metrics().await;
        if metric(&text, "webupdates_room_members{kind=\"Jobs\"}") == baseline
            && metric(&text, "webupdates_room_members{kind=\"Chat\"}") == baseline
        {
            break;
        }
        assert!(Instant::now() < deadline, "membership did not recover:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // What the 2,000 connections cost is given back to the operating system once they left
    // (where the allocator can be asked to: Linux with glibc).
    if cfg!(all(target_os = "linux", target_env = "gnu")) {
        let grown = rss_connected.saturating_sub(rss_before);
        assert!(grown > 10_000, "2,000 connections grew the resident set by only {grown} KiB");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let kept = m.resident_kib().saturating_sub(rss_before);
            if kept * 2 < grown {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{kept} of the {grown} KiB the connections took is still resident after they left"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(metric(&m.metrics().await, "memory_returned_bytes_total") > 0.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_cover_sockets_rooms_broadcasts_and_requests() {
    let m = manager(&[]).await;
    let mut v3 = RawClient::connect(m.addr, Eio::V3).await;
    let mut v4 = RawClient::connect(m.addr, Eio::V4).await;
    let job = submit_job(&m).await;
    assert_eq!(
        v3.ack(1, &format!(r#"["/subscription",{{"op":"subscribe","type":"job","uuid":"{job}"}}]"#)).await,
        serde_json::json!(["ok"])
    );
    assert_eq!(
        v3.ack(2, r#"["/subscription",{"op":"subscribe","type":"nope"}]"#).await,
        serde_json::json!(["unknown subscription type, ignoring request"])
    );
    set_priority(&m, &job, 10).await;
    chat_round_trip(&mut v4, 3).await;
    let res = http()
        .get(format!("{}/api/v3/jobs/00000000-0000-4000-8000-000000000000", m.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let text = m.metrics().await;
    for (line, at_least) in [
        ("webupdates_connected_sockets{protocol=\"EIO3\"}", 1.0),
        ("webupdates_connected_sockets{protocol=\"EIO4\"}", 1.0),
        ("webupdates_rooms{kind=\"job\"}", 1.0),
        ("webupdates_room_members{kind=\"Jobs\"}", 2.0),
        ("webupdates_broadcasts_total{event=\"/jobs\"}", 2.0),
        ("webupdates_deliveries_total{event=\"/jobs\"}", 4.0),
        ("webupdates_deliveries_total{event=\"/message\"}", 2.0),
        ("webupdates_subscription_errors_total", 1.0),
        (
            "http_requests_total{route=\"/api/v3/jobs/{job_id}/setpriority\",method=\"POST\",status=\"204\"}",
            1.0,
        ),
        ("http_requests_total{route=\"/api/v3/jobs/{job_id}\",method=\"GET\",status=\"404\"}", 1.0),
    ] {
        assert!(metric(&text, line) >= at_least, "{line} >= {at_least} in:\n{text}");
    }
    for name in ["webupdates_overflow_disconnects_total", "webupdates_refused_connections_total"] {
        assert!(text.contains(&format!("# TYPE {name} counter")) || !text.contains(name), "{name}");
    }
}
