//! The manager with `--redis`, against a real `redis-server`: its REST changes reach
//! clients of another node (here one built in the test from broadcast-socketio and the
//! node's wiring) in the same order as its own clients get them, and a chat message from a
//! client of that node reaches the manager's clients.

use std::time::Duration;

use broadcast_redis::RedisConfig;
use broadcast_socketio::transport::{Peer, TrackedListener};
use test_support::{Eio, ManagerProcess, RawClient, RedisServer, WAIT};

const MANAGER: &str = env!("CARGO_BIN_EXE_manager");

/// The ids of the next `count` `/workers` events.
async fn workers(client: &mut RawClient, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    while ids.len() < count {
        let (event, payload) = client.next_event().await;
        if event == "/workers" {
            ids.push(payload["id"].as_str().unwrap().to_owned());
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_changes_reach_every_node_in_one_order_and_chat_crosses_nodes() {
    let redis = RedisServer::start().await;
    let manager = ManagerProcess::start(MANAGER, &["--redis", &redis.url()]).await;

    let (web_updates, local) = broadcast_socketio::build(broadcast_socketio::Config::default());
    let _relay = webupdates_node::share_through_redis(RedisConfig::new(redis.url()), &local).unwrap();
    let listener = TrackedListener::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let node_addr = axum::serve::Listener::local_addr(&listener).unwrap();
    let app = web_updates.mount(axum::Router::new());
    tokio::spawn(
        async move { axum::serve(listener, app.into_make_service_with_connect_info::<Peer>()).await },
    );

    let http = reqwest::Client::builder().timeout(WAIT).build().unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let manager_ready =
            http.get(format!("{}/ready", manager.url())).send().await.unwrap().status() == 200;
        if manager_ready && local.readiness().is_ok() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the manager and the node to reach Redis");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut on_manager = RawClient::connect(manager.addr, Eio::V4).await;
    let mut on_node = RawClient::connect(node_addr, Eio::V3).await;
    for client in [&mut on_manager, &mut on_node] {
        let ack = client.ack(1, r#"["/subscription",{"op":"subscribe","type":"allWorkers"}]"#).await;
        assert_eq!(ack, serde_json::json!(["ok"]));
    }

    let mut registered = Vec::new();
    for i in 0..50 {
        let worker = serde_json::json!({
            "name": format!("w{i}"), "secret": "s", "platform": "linux", "supported_task_types": ["misc"]
        });
        let response = http
            .post(format!("{}/api/v3/worker/register-worker", manager.url()))
            .json(&worker)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        registered.push(body["uuid"].as_str().unwrap().to_owned());
    }
    assert_eq!(workers(&mut on_manager, 50).await, registered);
    assert_eq!(workers(&mut on_node, 50).await, registered);

    let ack = on_node.ack(2, r#"["/chat",{"name":"page","text":"from the node"}]"#).await;
    assert_eq!(ack, serde_json::json!(["message sent successfully."]));
    let (event, payload) = on_manager.next_event().await;
    assert_eq!((event.as_str(), payload["text"].as_str()), ("/message", Some("from the node")));
}
