//! What the real manager binary says about what it refused: every REST request that is
//! refused is logged with its route, status and reason; refused packets are logged with the
//! real reason and counted; every metric has help text.

use test_support::{Eio, ManagerProcess, RawClient, http, metric, polling_handshake};

const MANAGER: &str = env!("CARGO_BIN_EXE_manager");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_rest_requests_are_logged_with_route_status_and_reason_and_counted() {
    let m = ManagerProcess::start(MANAGER, &[]).await;
    let res = http().get(format!("{}/no/such/path", m.url())).send().await.expect("GET");
    assert_eq!(res.status(), 404);
    let res = http().post(format!("{}/api/v3/worker/task", m.url())).send().await.expect("POST");
    assert_eq!(res.status(), 401);
    let res = http().get(format!("{}/api/v3/version", m.url())).send().await.expect("GET");
    assert_eq!(res.status(), 200);

    m.wait_logged(&[
        "INFO",
        "route=\"unmatched\"",
        "path=\"/no/such/path\"",
        "request refused",
        "status=404",
        "no route for GET /no/such/path",
    ])
    .await;
    m.wait_logged(&[
        "INFO",
        "method=POST",
        "route=\"/api/v3/worker/task\"",
        "status=401",
        "reason=\"worker credentials (HTTP basic auth) are required\"",
    ])
    .await;
    // A request that succeeded is logged at debug only, not at the default level.
    assert!(!m.logged("route=\"/api/v3/version\""), "{:#?}", m.log.lock().unwrap());

    let text = m.metrics().await;
    assert_eq!(
        metric(&text, "http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"),
        1.0,
        "{text}"
    );
    assert_eq!(
        metric(&text, "http_requests_total{route=\"/api/v3/worker/task\",method=\"POST\",status=\"401\"}"),
        1.0,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_packets_are_logged_with_the_real_reason_and_counted() {
    let m = ManagerProcess::start(MANAGER, &["--max-payload", "2000"]).await;
    let mut bystander = RawClient::connect(m.addr, Eio::V4).await;

    // Over a websocket, from a socket.io-client 2.x (Engine.IO 3) connection.
    let mut big = RawClient::connect(m.addr, Eio::V3).await;
    big.send(&format!(r#"42["/chat",{{"name":"n","text":"{}"}}]"#, "y".repeat(3000))).await;
    assert!(big.closed().await, "the sender was disconnected");
    let line = m
        .wait_logged(&[
            "WARN",
            &big.sid,
            "socket disconnected: it sent a websocket message over the 2000-byte limit",
        ])
        .await;
    assert!(!line.contains("abruptly"), "{line}");

    // Over long-polling: refused before it is read, with the reason in the answer.
    let open = polling_handshake(&m.url(), Eio::V4).await;
    let sid = open["sid"].as_str().expect("sid");
    let res = http()
        .post(format!("{}/socket.io/?EIO=4&transport=polling&sid={sid}", m.url()))
        .body("x".repeat(3000))
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.expect("JSON body");
    assert_eq!(
        body,
        serde_json::json!({"code": 413, "message": "packet of 3000 bytes is over the 2000-byte limit"})
    );
    m.wait_logged(&[
        "WARN",
        sid,
        "refused a long-polling packet over the size limit",
        "length=3000",
        "limit=2000",
    ])
    .await;
    let res = http()
        .get(format!("{}/socket.io/?EIO=4&transport=polling&sid={sid}", m.url()))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), 400, "the session is closed, so the client connects anew");

    // A client that just goes away is not counted as a refused packet.
    let gone = RawClient::connect(m.addr, Eio::V3).await;
    let gone_sid = gone.sid.clone();
    drop(gone);
    m.wait_logged(&[&gone_sid, "socket disconnected"]).await;

    let text = m.metrics().await;
    assert_eq!(metric(&text, "webupdates_refused_packets_total{reason=\"too_large\"}"), 2.0, "{text}");
    assert!(!text.contains("reason=\"malformed\""), "{text}");
    // Nobody else paid for it.
    let ack = bystander.ack(1, r#"["/chat",{"name":"probe","text":"still here"}]"#).await;
    assert_eq!(ack, serde_json::json!(["message sent successfully."]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_has_help_text() {
    let m = ManagerProcess::start(MANAGER, &["--max-payload", "2000"]).await;
    // Make every kind of series appear: sockets, rooms, broadcasts, requests, refusals.
    let mut client = RawClient::connect(m.addr, Eio::V4).await;
    let ack = client.ack(1, r#"["/subscription",{"op":"subscribe","type":"nope"}]"#).await;
    assert_eq!(ack, serde_json::json!(["unknown subscription type, ignoring request"]));
    let ack = client.ack(2, r#"["/chat",{"name":"n"}]"#).await;
    assert!(ack[0].as_str().is_some_and(|a| a != "message sent successfully."), "{ack}");
    let ack = client.ack(3, r#"["/chat",{"name":"n","text":"hello"}]"#).await;
    assert_eq!(ack, serde_json::json!(["message sent successfully."]));
    let mut big = RawClient::connect(m.addr, Eio::V4).await;
    big.send(&format!("42[\"/chat\",\"{}\"]", "y".repeat(3000))).await;
    assert!(big.closed().await);
    let res = http().get(format!("{}/nope", m.url())).send().await.expect("GET");
    assert_eq!(res.status(), 404);

    let text = m.metrics().await;
    let types: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).filter_map(|l| l.split(' ').next()).collect();
    assert!(types.len() >= 8, "{text}");
    for name in types {
        let help = text.lines().find_map(|l| l.strip_prefix(&format!("# HELP {name} ")));
        assert!(help.is_some_and(|h| h.len() > 10), "{name} has help text in:\n{text}");
    }
}
