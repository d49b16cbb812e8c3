//! Retained rooms over real websockets: a socket is given the last `/status` right after it
//! connects, before any later one and never a stale one after a newer one, and non-retained
//! rooms keep nothing.

mod common;

use std::sync::Arc;

use broadcast_core::{FarmStatus, FarmStatusReport, Notifier, notify};
use broadcast_socketio::Config;
use common::server;
use test_support::{Eio, RawClient};

/// Every farm status, in a fixed cycle: a received sequence where each one follows its
/// predecessor in the cycle has no gap, duplicate or stale one in it.
const CYCLE: [FarmStatus; 7] = [
    FarmStatus::Starting,
    FarmStatus::Inoperative,
    FarmStatus::Idle,
    FarmStatus::Waiting,
    FarmStatus::Active,
    FarmStatus::Asleep,
    FarmStatus::Unknown,
];

fn status(n: usize) -> FarmStatusReport {
    FarmStatusReport { status: CYCLE[n % CYCLE.len()] }
}

fn name(report: FarmStatusReport) -> serde_json::Value {
    serde_json::to_value(report).unwrap()
}

async fn check_status_on_connect(eio: Eio) {
    let (addr, b) = server(Config::default()).await;
    let notifier = Notifier::new(Arc::new(b.clone()));
    // Before any status was sent, a socket is given none: the first event is a chat reply.
    let mut early = RawClient::connect(addr, eio).await;
    early.send(r#"42["/chat",{"name":"n","text":"t"}]"#).await;
    assert_eq!(early.next_event().await.0, "/message");

    for n in 0..3 {
        notifier.send(notify::farm_status(status(n))).await.unwrap();
    }
    assert_eq!(early.next_event().await, ("/status".to_owned(), name(status(0))));
    let mut late = RawClient::connect(addr, eio).await;
    // The last status only, and first.
    assert_eq!(late.next_event().await, ("/status".to_owned(), name(status(2))));
    notifier.send(notify::farm_status(status(3))).await.unwrap();
    assert_eq!(late.next_event().await, ("/status".to_owned(), name(status(3))));
}

#[tokio::test]
async fn eio3_client_is_given_the_last_status_on_connect() {
    check_status_on_connect(Eio::V3).await;
}

#[tokio::test]
async fn eio4_client_is_given_the_last_status_on_connect() {
    check_status_on_connect(Eio::V4).await;
}

/// Clients connect while statuses are being sent: each one's statuses follow each other in
/// the order sent, from the retained one on, and end with the last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_sent_while_clients_connect_arrive_in_order_without_stale_ones() {
    let (addr, b) = server(Config::default()).await;
    let notifier = Notifier::new(Arc::new(b.clone()));
    notifier.send(notify::farm_status(status(0))).await.unwrap();
    // Statuses are sent for as long as clients are connecting (bounded all the same).
    let connecting = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sending = connecting.clone();
    let sender = tokio::spawn(async move {
        let mut n = 1;
        while sending.load(std::sync::atomic::Ordering::Acquire) && n < 1_000_000 {
            notifier.send(notify::farm_status(status(n))).await.unwrap();
            n += 1;
            tokio::task::yield_now().await;
        }
        n
    });
    let mut clients = Vec::new();
    for i in 0..20 {
        clients.push(RawClient::connect(addr, if i % 2 == 0 { Eio::V3 } else { Eio::V4 }).await);
    }
    connecting.store(false, std::sync::atomic::Ordering::Release);
    let total = sender.await.unwrap();
    // Each client's first event is its retained status: once all have it, a chat message
    // sent now comes after every status each client will receive.
    let mut firsts = Vec::new();
    for c in &mut clients {
        let (event, first) = c.next_event().await;
        assert_eq!(event, "/status");
        firsts.push(first);
    }
    let chat = broadcast_core::ChatMessage { name: "end".into(), text: "of statuses".into() };
    Notifier::new(Arc::new(b)).send(notify::chat_message(chat)).await.unwrap();
    let last = name(status(total - 1));
    for (i, (c, first)) in clients.iter_mut().zip(firsts).enumerate() {
        let mut at = CYCLE.iter().position(|s| name(FarmStatusReport { status: *s }) == first).unwrap();
        let mut current = first;
        // Bounded: at most `total` statuses can arrive before the chat message.
        for _ in 0..=total {
            let (event, next) = c.next_event().await;
            if event == "/message" {
                break;
            }
            assert_eq!(event, "/status");
            at = (at + 1) % CYCLE.len();
            assert_eq!(next, name(FarmStatusReport { status: CYCLE[at] }), "client {i}: out of order");
            current = next;
        }
        assert_eq!(current, last, "client {i} ends with the last status");
    }
}

#[tokio::test]
async fn lifecycle_events_are_not_retained() {
    let (addr, b) = server(Config::default()).await;
    let notifier = Notifier::new(Arc::new(b.clone()));
    let mut member = RawClient::connect(addr, Eio::V4).await;
    notifier.send(notify::manager_startup()).await.unwrap();
    assert_eq!(
        member.next_event().await,
        ("/lifecycle".to_owned(), serde_json::json!({"type": "manager-startup"}))
    );
    let mut late = RawClient::connect(addr, Eio::V3).await;
    late.send(r#"42["/chat",{"name":"n","text":"t"}]"#).await;
    assert_eq!(late.next_event().await.0, "/message", "no /lifecycle kept for a late client");
}
