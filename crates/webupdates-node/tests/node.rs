//! The `webupdates-node` binary against a real `redis-server`: two nodes deliver what a
//! publisher sends through Redis, in order, to raw Engine.IO 3 and 4 clients; a chat
//! message crosses nodes; losing Redis closes every client's connection and turns new ones
//! away with 503 until Redis is back.

use std::sync::Arc;
use std::time::Duration;

use broadcast_core::testing::InMemoryBroadcaster;
use broadcast_core::{Broadcaster, ChatMessage, Room, Update};
use broadcast_redis::{Clients, RedisBroadcaster, RedisConfig};
use test_support::{Eio, ManagerProcess, RawClient, RedisServer, WAIT};

const NODE: &str = env!("CARGO_BIN_EXE_webupdates-node");

async fn status(node: &ManagerProcess, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("{}{path}", node.url())).await.expect("the node answers");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

/// Waits until `GET /ready` answers `code`.
async fn until_ready(node: &ManagerProcess, code: u16) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (got, body) = status(node, "/ready").await;
        if got == code {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "/ready: {got} {body}, waiting for {code}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A publisher on the same stream, as the manager is.
async fn publisher(url: &str) -> RedisBroadcaster {
    let clients = Clients { set_ready: Box::new(|_| {}), restart_all: Box::new(|_| {}) };
    let relay = RedisBroadcaster::start(RedisConfig::new(url), Arc::new(InMemoryBroadcaster::new()), clients)
        .unwrap();
    tokio::time::timeout(WAIT, relay.receiving()).await.expect("the publisher reaches Redis");
    relay
}

fn chat(text: &str) -> Update {
    Update::Chat(ChatMessage { name: "farm".into(), text: text.into() })
}

/// The texts of the next `count` `/message` events.
async fn messages(client: &mut RawClient, count: usize) -> Vec<String> {
    let mut texts = Vec::new();
    while texts.len() < count {
        let (event, payload) = client.next_event().await;
        if event == "/message" {
            texts.push(payload["text"].as_str().unwrap().to_owned());
        }
    }
    texts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_updates_and_chat_and_make_clients_resync_when_redis_restarts() {
    let mut redis = RedisServer::start().await;
    let url = redis.url();
    let nodes = [
        ManagerProcess::start(NODE, &["--redis", &url]).await,
        ManagerProcess::start(NODE, &["--redis", &url]).await,
    ];
    for node in &nodes {
        until_ready(node, 200).await;
    }
    let publisher = publisher(&url).await;
    let mut clients =
        [RawClient::connect(nodes[0].addr, Eio::V3).await, RawClient::connect(nodes[1].addr, Eio::V4).await];

    let sent: Vec<String> = (0..300).map(|i| format!("update {i}")).collect();
    for text in &sent {
        publisher.broadcast(Room::Chat, &chat(text)).await.unwrap();
    }
    for client in &mut clients {
        assert_eq!(messages(client, sent.len()).await, sent, "every update, in order");
    }

    // A chat message from a client of the first node reaches the second node's client.
    let ack = clients[0].ack(1, r#"["/chat",{"name":"page","text":"across nodes"}]"#).await;
    assert_eq!(ack, serde_json::json!(["message sent successfully."]));
    assert_eq!(messages(&mut clients[1], 1).await, ["across nodes"]);

    // Redis goes away: every client's transport is closed (no Socket.IO disconnect), and
    // the nodes turn new clients away until it is back.
    redis.kill();
    for client in &mut clients {
        assert!(client.closed().await, "the client's connection is closed so it resyncs");
    }
    for node in &nodes {
        until_ready(node, 503).await;
        let (code, body) = status(node, "/socket.io/?EIO=4&transport=polling").await;
        assert_eq!(code, 503, "{body}");
        assert!(body.contains("not ready"), "{body}");
        let (_, ready) = status(node, "/ready").await;
        assert!(ready.contains("Redis"), "{ready}");
    }

    let _redis = RedisServer::start_on(redis.port).await;
    for node in &nodes {
        until_ready(node, 200).await;
    }
    let mut again =
        [RawClient::connect(nodes[0].addr, Eio::V3).await, RawClient::connect(nodes[1].addr, Eio::V4).await];
    publisher.receiving().await;
    publisher.broadcast(Room::Chat, &chat("after the restart")).await.unwrap();
    for client in &mut again {
        assert_eq!(messages(client, 1).await, ["after the restart"]);
    }
    for node in &nodes {
        let (_, metrics) = status(node, "/metrics").await;
        assert!(
            metrics.contains("webupdates_redis_resyncs_total{reason=\"connection_lost\"} 1"),
            "{metrics}"
        );
        assert!(metrics.contains("webupdates_restarted_sockets_total 1"), "{metrics}");
        assert!(metrics.contains("webupdates_refused_connections_total{reason=\"not_ready\"}"), "{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_before_redis_becomes_ready_once_redis_is_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("redis://127.0.0.1:{port}");
    let node = ManagerProcess::start(NODE, &["--redis", &url]).await;
    let (code, body) = status(&node, "/ready").await;
    assert_eq!(code, 503, "{body}");
    assert!(body.contains(&url), "{body}");
    let _redis = RedisServer::start_on(port).await;
    until_ready(&node, 200).await;
    let mut client = RawClient::connect(node.addr, Eio::V4).await;
    publisher(&url).await.broadcast(Room::Chat, &chat("hello")).await.unwrap();
    assert_eq!(messages(&mut client, 1).await, ["hello"]);
}

#[tokio::test]
async fn bad_flags_are_refused_by_the_parser() {
    for (args, expected) in [
        (&["--redis", "localhost:6379"][..], "must start with redis://"),
        (&[][..], "--redis <URL>"),
        (&["--redis", "redis://127.0.0.1:6379", "--send-buffer", "0"][..], "must be at least 1"),
    ] {
        let out =
            tokio::process::Command::new(NODE).args(args).env_remove("MANAGER_REDIS").output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}
