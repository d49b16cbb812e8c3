//! The adapter's handlers, driven over a real websocket by a raw Engine.IO client, for both
//! protocol generations: default rooms, subscription acks and their order, chat, broadcasts
//! through the `Broadcaster` trait, unknown events, disconnects; and an HTTP long-polling
//! session that falls behind.

mod common;

use std::sync::Arc;
use std::time::Duration;

use broadcast_core::{Notifier, TaskStatus, TaskUpdate, notify};
use broadcast_socketio::Config;
use common::server;
use test_support::{Eio, RawClient, WAIT};

const JOB: &str = "fa48930a-105c-4125-a7f7-0aa1651dcd57";
/// The default rooms, as `rooms_of` lists them (sorted).
const DEFAULT_ROOMS: [&str; 4] = ["Chat", "FarmStatus", "Jobs", "Lifecycle"];

async fn check_default_rooms(eio: Eio) {
    let (addr, b) = server(Config::default()).await;
    let c = RawClient::connect(addr, eio).await;
    assert_eq!(b.rooms_of(&c.sid), Some(DEFAULT_ROOMS.map(String::from).to_vec()));
    assert_eq!(b.connected(), 1);
}

#[tokio::test]
async fn eio3_client_joins_the_default_rooms() {
    check_default_rooms(Eio::V3).await;
}

#[tokio::test]
async fn eio4_client_joins_the_default_rooms() {
    check_default_rooms(Eio::V4).await;
}

/// Pipelined subscribe/unsubscribe of one room: handled strictly in order, so every ack
/// comes back in order and the last request decides the membership.
async fn check_ordered_handling(eio: Eio) {
    let (addr, b) = server(Config::default()).await;
    let mut c = RawClient::connect(addr, eio).await;
    let n = 200;
    for id in 0..n {
        let op = if id % 2 == 0 { "subscribe" } else { "unsubscribe" };
        c.send(&format!(r#"42{id}["/subscription",{{"op":"{op}","type":"job","uuid":"{JOB}"}}]"#)).await;
    }
    c.send(&format!(r#"42{n}["/subscription",{{"op":"subscribe","type":"job","uuid":"{JOB}"}}]"#)).await;
    for id in 0..=n {
        assert_eq!(c.recv().await, format!(r#"43{id}["ok"]"#));
    }
    assert_eq!(
        b.rooms_of(&c.sid).unwrap(),
        ["Chat", "FarmStatus", "Jobs", "Lifecycle", &format!("job-{JOB}")]
    );
}

#[tokio::test]
async fn eio3_messages_are_handled_in_order() {
    check_ordered_handling(Eio::V3).await;
}

#[tokio::test]
async fn eio4_messages_are_handled_in_order() {
    check_ordered_handling(Eio::V4).await;
}

#[tokio::test]
async fn subscription_ack_texts() {
    let (addr, _) = server(Config { max_dynamic_rooms: 1, ..Config::default() }).await;
    let mut c = RawClient::connect(addr, Eio::V3).await;
    let cases = [
        (r#"["/subscription"]"#.to_owned(), "missing subscription payload, ignoring request"),
        (r#"["/subscription",null]"#.to_owned(), "subscription payload must be an object, ignoring request"),
        (r#"["/subscription",{"op":"subscribe","type":"job"}]"#.to_owned(), "operation on job requires a UUID"),
        (r#"["/subscription",{"op":"subscribe","type":"tasklog"}]"#.to_owned(), "operation on task requires a UUID"),
        (r#"["/subscription",{"op":"subscribe","type":"x"}]"#.to_owned(), "unknown subscription type, ignoring request"),
        (r#"["/subscription",{"op":"x","type":"allJobs"}]"#.to_owned(), "invalid subscription operation, ignoring request"),
        (format!(r#"["/subscription",{{"op":"subscribe","type":"job","uuid":"{}"}}]"#, "a".repeat(10_240)), "invalid UUID, ignoring request"),
        (format!(r#"["/subscription",{{"op":"subscribe","type":"job","uuid":"{JOB}"}}]"#), "ok"),
        (
            r#"["/subscription",{"op":"subscribe","type":"tasklog","uuid":"0b8a5c6e-2f0e-4e7a-9a47-2f6c8f7b1d21"}]"#.to_owned(),
            "too many subscriptions, ignoring request",
        ),
    ];
    for (id, (args, ack)) in cases.iter().enumerate() {
        assert_eq!(c.ack(id as u32, args).await, serde_json::json!([ack]), "{args:.80}");
    }
}

#[tokio::test]
async fn chat_goes_to_everyone_in_chat_and_is_acked() {
    let (addr, _) = server(Config::default()).await;
    let mut a = RawClient::connect(addr, Eio::V3).await;
    let mut b = RawClient::connect(addr, Eio::V4).await;
    a.send(r#"427["/chat",{"name":"a","text":"hé"}]"#).await;
    // The broadcast is queued before the ack, so the sender sees its message first.
    assert_eq!(a.recv().await, r#"42["/message",{"name":"a","text":"hé"}]"#);
    assert_eq!(a.recv().await, r#"437["message sent successfully."]"#);
    assert_eq!(b.recv().await, r#"42["/message",{"name":"a","text":"hé"}]"#);
    assert_eq!(
        a.ack(8, r#"["/chat",{"name":"a"}]"#).await,
        serde_json::json!([broadcast_core::ChatError::WrongShape.ack_text()])
    );
}

#[tokio::test]
async fn unknown_events_are_ignored() {
    let (addr, _) = server(Config::default()).await;
    let mut c = RawClient::connect(addr, Eio::V4).await;
    c.send(r#"421["/nope",{"op":"subscribe"}]"#).await;
    c.send(r#"42["/jobs",{"id":"spoof"}]"#).await;
    c.send(r#"42["/subscriptionx"]"#).await;
    // The next answer is the chat's: nothing came back for the unknown events.
    c.send(r#"422["/chat",{"name":"n","text":"t"}]"#).await;
    assert_eq!(c.recv().await, r#"42["/message",{"name":"n","text":"t"}]"#);
    assert_eq!(c.recv().await, r#"432["message sent successfully."]"#);
}

#[tokio::test]
async fn broadcaster_delivers_to_room_members_in_order() {
    let (addr, b) = server(Config::default()).await;
    let notifier = Notifier::new(Arc::new(b.clone()));
    let mut member = RawClient::connect(addr, Eio::V3).await;
    let mut other = RawClient::connect(addr, Eio::V4).await;
    let sub = format!(r#"["/subscription",{{"op":"subscribe","type":"job","uuid":"{JOB}"}}]"#);
    assert_eq!(member.ack(1, &sub).await, serde_json::json!(["ok"]));
    for seq in 0..500 {
        let task = TaskUpdate {
            id: uuid::Uuid::from_u128(seq),
            job_id: JOB.parse().unwrap(),
            name: "t".into(),
            updated: "2024-05-01T10:00:00Z".parse().unwrap(),
            status: TaskStatus::Active,
            previous_status: None,
            activity: seq.to_string(),
            worker: None,
            steps_completed: None,
            steps_total: None,
        };
        notifier.send(notify::task_updated(task)).await.unwrap();
    }
    for seq in 0..500u128 {
        let expected = format!(
            r#"42["/task",{{"id":"{}","job_id":"{JOB}","name":"t","updated":"2024-05-01T10:00:00Z","status":"active","activity":"{seq}"}}]"#,
            uuid::Uuid::from_u128(seq)
        );
        assert_eq!(member.recv().await, expected);
    }
    // The other client was in none of those rooms: its next packet is the chat after them.
    other.send(r#"42["/chat",{"name":"x","text":"y"}]"#).await;
    assert_eq!(other.recv().await, r#"42["/message",{"name":"x","text":"y"}]"#);
}

#[tokio::test]
async fn disconnect_leaves_no_membership_behind() {
    let (addr, b) = server(Config::default()).await;
    let mut c = RawClient::connect(addr, Eio::V3).await;
    let sub = format!(r#"["/subscription",{{"op":"subscribe","type":"job","uuid":"{JOB}"}}]"#);
    assert_eq!(c.ack(1, &sub).await, serde_json::json!(["ok"]));
    assert_eq!(b.room_sizes().get(&format!("job-{JOB}")), Some(&1));
    drop(c);
    let deadline = tokio::time::Instant::now() + WAIT;
    while b.connected() > 0 || !b.room_sizes().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "left behind: {:?}", b.room_sizes());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A packet that is not Socket.IO at all costs the sender its connection, and no one else
/// anything.
#[tokio::test]
async fn malformed_packets_close_only_their_connection() {
    let (addr, b) = server(Config::default()).await;
    let mut bystander = RawClient::connect(addr, Eio::V3).await;
    for garbage in ["42[]", r#"42[12,"x"]"#, "42{", "4\u{0}", "9", "42[\"/chat\",{\"name\":\"\u{FFFF}"] {
        for eio in [Eio::V3, Eio::V4] {
            let mut c = RawClient::connect(addr, eio).await;
            c.send(garbage).await;
            let closed = c.closed().await;
            assert!(closed, "{eio:?} connection not closed after {garbage:?}");
        }
    }
    bystander.send(r#"421["/chat",{"name":"n","text":"t"}]"#).await;
    assert_eq!(bystander.recv().await, r#"42["/message",{"name":"n","text":"t"}]"#);
    assert_eq!(bystander.recv().await, r#"431["message sent successfully."]"#);
    assert_eq!(b.connected(), 1);
}

/// A client that stops reading fills only its own send buffer: it is disconnected at the
/// transport level and counted, while a reading client gets every update, in order.
#[tokio::test]
async fn a_client_that_stops_reading_is_evicted_and_delays_no_one() {
    let (addr, b) = server(Config { send_buffer: 8, ..Config::default() }).await;
    let notifier = Notifier::new(Arc::new(b.clone()));
    let task = uuid::Uuid::from_u128(7);
    let sub = format!(r#"["/subscription",{{"op":"subscribe","type":"tasklog","uuid":"{task}"}}]"#);

    // The slow client: a tiny receive buffer, and it never reads after subscribing.
    let mut slow = RawClient::connect_with_recv_buffer(addr, Eio::V3, 4096).await;
    assert_eq!(slow.ack(1, &sub).await, serde_json::json!(["ok"]));

    let mut healthy = RawClient::connect(addr, Eio::V4).await;
    assert_eq!(healthy.ack(1, &sub).await, serde_json::json!(["ok"]));
    let total = 3000usize;
    let progress = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let reader = tokio::spawn({
        let progress = progress.clone();
        async move {
            let mut seen = Vec::new();
            while seen.len() < total {
                // Events only: acks the client never asked for (the adapter's probes) are
                // ignored, as socket.io clients do.
                let (_, payload) = healthy.next_event().await;
                let log = payload["log"].as_str().unwrap_or_default().trim_end();
                seen.push(log.rsplit(' ').next().unwrap_or_default().to_owned());
                progress.store(seen.len(), std::sync::atomic::Ordering::Release);
            }
            seen
        }
    });

    let line = "x".repeat(4000);
    for seq in 0..total {
        let chunk = broadcast_core::TaskLogUpdate { task_id: task, log: format!("{line} {seq}\n") };
        let _ = notifier.send(notify::task_log(chunk)).await;
        // Keep the reading client well within its buffer of 8: it reads normally, the slow
        // one does not read at all.
        let deadline = tokio::time::Instant::now() + WAIT;
        while seq + 1 > progress.load(std::sync::atomic::Ordering::Acquire) + 4 {
            assert!(tokio::time::Instant::now() < deadline, "the reading client stalled at {seq}");
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    let seen =
        tokio::time::timeout(Duration::from_secs(60), reader).await.expect("healthy client in time").unwrap();
    let expected: Vec<String> = (0..total).map(|s| s.to_string()).collect();
    assert_eq!(seen, expected, "the reading client got every update in order");
    assert_eq!(b.evicted(), 1, "the slow client was evicted once");
    assert_eq!(b.rooms_of(&slow.sid).map(|r| r.len()).unwrap_or(0), 0, "it left every room");
    // Its connection is closed: reading what it had buffered ends in an error or a close.
    assert!(slow.closed().await, "the slow client's connection was closed");
}

/// A long-polling client has no connection of its own to cut. When its queue overflows,
/// its next request is refused like one for an unknown session, so socket.io-client gives
/// the session up and connects anew, instead of staying connected in no room.
#[tokio::test]
async fn an_overflowed_long_polling_client_has_its_next_request_refused() {
    let (addr, b) = server(Config { send_buffer: 4, ..Config::default() }).await;
    let http = reqwest::Client::builder().timeout(WAIT).build().unwrap();
    let base = format!("http://{addr}/socket.io/?EIO=4&transport=polling");
    let open = http.get(&base).send().await.unwrap().text().await.unwrap();
    let handshake: serde_json::Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
    let session = format!("{base}&sid={}", handshake["sid"].as_str().unwrap());
    assert_eq!(http.post(&session).body("40").send().await.unwrap().status(), 200);
    let connect = http.get(&session).send().await.unwrap().text().await.unwrap();
    // Packets in one long-polling response are separated by the record separator; the
    // first heartbeat may come before the connect.
    let connected = connect.split('\u{1e}').find_map(|p| p.strip_prefix("40")).expect("a connect packet");
    let socket: serde_json::Value = serde_json::from_str(connected).unwrap();
    let sid = socket["sid"].as_str().unwrap();
    assert_eq!(b.rooms_of(sid), Some(DEFAULT_ROOMS.map(String::from).to_vec()));

    // It does not poll while more chats than its queue holds go to `Chat`.
    let mut chatter = RawClient::connect(addr, Eio::V3).await;
    for id in 0..10 {
        let ack = chatter.ack(id, r#"["/chat",{"name":"n","text":"t"}]"#).await;
        assert_eq!(ack, serde_json::json!(["message sent successfully."]));
    }
    assert_eq!(b.rooms_of(sid), Some(vec![]), "evicted: in no room");
    assert_eq!(b.evicted(), 1);
    let refused = http.get(&session).send().await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = serde_json::from_str(&refused.text().await.unwrap()).unwrap();
    assert_eq!(body["code"], 400);
    assert_eq!(http.post(&session).body("42[\"/chat\",{}]").send().await.unwrap().status(), 400);

    // A new session is served as usual, and the rest of `Chat` never noticed.
    let again = http.get(&base).send().await.unwrap().text().await.unwrap();
    assert!(again.starts_with("0{"), "{again}");
    assert_eq!(
        chatter.ack(10, r#"["/chat",{"name":"n","text":"t"}]"#).await,
        serde_json::json!(["message sent successfully."])
    );
}
