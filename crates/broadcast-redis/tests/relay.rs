//! The relay against a real `redis-server`: two nodes, each with the in-memory recorder as
//! its local transport, share every update in one order; Redis going away and coming back
//! makes each node close its clients and refuse new ones until it reads again.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use broadcast_core::testing::InMemoryBroadcaster;
use broadcast_core::{Broadcaster, ChatMessage, Room, Update};
use broadcast_redis::{Clients, RedisBroadcaster, RedisConfig, Status};
use test_support::{RedisServer, WAIT};

/// One node: its relay, what its local transport received, and what the relay asked of its
/// clients.
struct Node {
    relay: RedisBroadcaster,
    local: Arc<InMemoryBroadcaster>,
    restarts: Arc<AtomicUsize>,
    /// Every readiness change, `None` for ready.
    readiness: Arc<Mutex<Vec<Option<String>>>>,
}

impl Node {
    fn start(url: &str) -> Node {
        Node::start_with(RedisConfig::new(url))
    }

    fn start_with(config: RedisConfig) -> Node {
        let local = Arc::new(InMemoryBroadcaster::new());
        let restarts = Arc::new(AtomicUsize::new(0));
        let readiness = Arc::new(Mutex::new(Vec::new()));
        let clients = Clients {
            set_ready: Box::new({
                let readiness = readiness.clone();
                move |why| readiness.lock().unwrap().push(why.map(str::to_owned))
            }),
            restart_all: Box::new({
                let restarts = restarts.clone();
                move |_| {
                    restarts.fetch_add(1, Ordering::SeqCst);
                }
            }),
        };
        let relay = RedisBroadcaster::start(config, local.clone(), clients).unwrap();
        Node { relay, local, restarts, readiness }
    }

    async fn ready(&self) {
        tokio::time::timeout(WAIT, self.relay.receiving()).await.expect("the node to read from Redis");
    }

    fn chats(&self) -> Vec<String> {
        self.local
            .received(Room::Chat)
            .into_iter()
            .map(|u| match u {
                Update::Chat(m) => m.text,
                other => panic!("not a chat message: {other:?}"),
            })
            .collect()
    }

    /// Waits until the local transport has received a chat message with text `text`.
    async fn until_chat(&self, text: &str) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.chats().iter().any(|t| t == text) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "chat {text:?} did not arrive; got {:?}",
                self.chats()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn chat(text: impl Into<String>) -> Update {
    Update::Chat(ChatMessage { name: "test".into(), text: text.into() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_delivers_every_update_in_one_order() {
    let redis = RedisServer::start().await;
    let (a, b) = (Node::start(&redis.url()), Node::start(&redis.url()));
    a.ready().await;
    b.ready().await;
    // Two publishers at once, as the manager's REST requests and a node's chat messages are.
    let total = 2000;
    let (from_a, from_b) = tokio::join!(
        async {
            for i in 0..total {
                a.relay.broadcast(Room::Chat, &chat(format!("a{i}"))).await.unwrap();
            }
        },
        async {
            for i in 0..total / 10 {
                b.relay.broadcast(Room::Chat, &chat(format!("b{i}"))).await.unwrap();
            }
        }
    );
    let ((), ()) = (from_a, from_b);
    a.until_chat(&format!("a{}", total - 1)).await;
    b.until_chat(&format!("a{}", total - 1)).await;
    a.until_chat(&format!("b{}", total / 10 - 1)).await;
    b.until_chat(&format!("b{}", total / 10 - 1)).await;
    let (seen_a, seen_b) = (a.chats(), b.chats());
    assert_eq!(seen_a.len(), total + total / 10);
    assert_eq!(seen_a, seen_b, "both nodes deliver the same updates in the same order");
    let own: Vec<&String> = seen_a.iter().filter(|t| t.starts_with('a')).collect();
    let sent: Vec<String> = (0..total).map(|i| format!("a{i}")).collect();
    assert_eq!(own, sent.iter().collect::<Vec<_>>(), "each publisher's updates in its order");
    assert_eq!(a.restarts.load(Ordering::SeqCst) + b.restarts.load(Ordering::SeqCst), 0);
    // Rooms and payload types survive the trip.
    let job: Room = "job-fa48930a-105c-4125-a7f7-0aa1651dcd57".parse().unwrap();
    let task = Update::from_json(
        broadcast_core::Event::Task,
        serde_json::json!({"id": "0b3e6f4a-0ad3-4ad0-9a52-1b50a0a4b7d3", "job_id": "fa48930a-105c-4125-a7f7-0aa1651dcd57",
            "name": "echo", "updated": "2030-01-02T03:04:05Z", "status": "active", "activity": "echoing"}),
    )
    .unwrap();
    a.relay.broadcast(job, &task).await.unwrap();
    a.relay.broadcast(Room::Chat, &chat("after the task")).await.unwrap();
    b.until_chat("after the task").await;
    assert_eq!(b.local.received(job), vec![task]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_redis_closes_clients_refuses_new_ones_and_recovers() {
    let mut redis = RedisServer::start().await;
    let port = redis.port;
    let (a, b) = (Node::start(&redis.url()), Node::start(&redis.url()));
    a.ready().await;
    b.ready().await;
    a.relay.broadcast(Room::Chat, &chat("before")).await.unwrap();
    b.until_chat("before").await;

    redis.kill();
    let deadline = tokio::time::Instant::now() + WAIT;
    while a.restarts.load(Ordering::SeqCst) == 0 || b.restarts.load(Ordering::SeqCst) == 0 {
        assert!(tokio::time::Instant::now() < deadline, "both nodes to close their clients");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for node in [&a, &b] {
        assert!(matches!(node.relay.status(), Status::NotReceiving(why) if why.contains("Redis")));
        assert!(node.readiness.lock().unwrap().last().unwrap().is_some(), "new clients refused");
    }
    // Publishing while Redis is away returns at once; what is lost is counted by the relay
    // and shows as a gap to whoever reads on.
    for i in 0..10 {
        let lost = chat(format!("lost{i}"));
        let sent = tokio::time::timeout(Duration::from_secs(1), a.relay.broadcast(Room::Chat, &lost));
        assert!(sent.await.is_ok(), "publishing never waits for Redis");
    }

    let _redis = RedisServer::start_on(port).await;
    a.ready().await;
    b.ready().await;
    for node in [&a, &b] {
        assert_eq!(node.readiness.lock().unwrap().last().unwrap(), &None, "new clients welcome again");
    }
    // Updates published while Redis was away are lost, or go out once it is back (the
    // publisher's connection retries), in their order; either way each node closed its
    // clients once (not once per failed retry), so no client went on believing it was current.
    a.relay.broadcast(Room::Chat, &chat("after")).await.unwrap();
    a.until_chat("after").await;
    b.until_chat("after").await;
    for node in [&a, &b] {
        let seen = node.chats();
        let lost: Vec<usize> =
            seen.iter().filter_map(|t| t.strip_prefix("lost")).map(|n| n.parse().unwrap()).collect();
        assert!(lost.windows(2).all(|w| w[0] < w[1]), "in order: {seen:?}");
        assert_eq!((seen.first().unwrap().as_str(), seen.last().unwrap().as_str()), ("before", "after"));
        assert_eq!(node.restarts.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_started_before_redis_becomes_ready_once_redis_is_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let node = Node::start(&format!("redis://127.0.0.1:{port}"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(matches!(node.relay.status(), Status::NotReceiving(_)));
    assert!(node.readiness.lock().unwrap().iter().all(Option::is_some), "never ready without Redis");
    let _redis = RedisServer::start_on(port).await;
    node.ready().await;
    node.relay.broadcast(Room::Chat, &chat("hello")).await.unwrap();
    node.until_chat("hello").await;
    assert_eq!(node.restarts.load(Ordering::SeqCst), 0, "no clients to close before it was ever ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_is_an_error_not_a_wait() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut config = RedisConfig::new(format!("redis://127.0.0.1:{port}"));
    config.queue = 1;
    config.timeout = Duration::from_secs(5);
    let node = Node::start_with(config);
    let mut refused = 0;
    for i in 0..50 {
        let update = chat(i.to_string());
        let sent = tokio::time::timeout(Duration::from_secs(1), node.relay.broadcast(Room::Chat, &update));
        if let Err(e) = sent.await.expect("publishing never waits") {
            assert!(e.to_string().contains("queue of updates for Redis is full"), "{e}");
            refused += 1;
        }
    }
    assert!(refused > 0, "with no Redis and a queue of one, some updates are refused");
}

#[test]
fn a_bad_url_is_refused_at_start() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _guard = runtime.enter();
    let clients = Clients { set_ready: Box::new(|_| {}), restart_all: Box::new(|_| {}) };
    let error = RedisBroadcaster::start(
        RedisConfig::new("http://nope"),
        Arc::new(InMemoryBroadcaster::new()),
        clients,
    )
    .unwrap_err();
    assert!(error.contains("invalid Redis URL"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_starts_later_is_given_the_retained_farm_status_first() {
    use broadcast_core::{FarmStatus, FarmStatusReport};
    let status = |status| Update::FarmStatus(FarmStatusReport { status });
    let redis = RedisServer::start().await;
    let manager = Node::start(&redis.url());
    manager.ready().await;
    manager.relay.broadcast(Room::FarmStatus, &status(FarmStatus::Waiting)).await.unwrap();
    manager.relay.broadcast(Room::FarmStatus, &status(FarmStatus::Active)).await.unwrap();
    manager.relay.broadcast(Room::Chat, &chat("published")).await.unwrap();
    manager.until_chat("published").await;

    // A node started now has missed both; it is given the newest before it is ready, so
    // its first client is told the current status, not nothing.
    let node = Node::start(&redis.url());
    node.ready().await;
    assert_eq!(node.local.received(Room::FarmStatus), vec![status(FarmStatus::Active)]);
    assert!(node.chats().is_empty(), "only retained rooms are given again");
    // Later changes follow in order.
    manager.relay.broadcast(Room::FarmStatus, &status(FarmStatus::Idle)).await.unwrap();
    manager.relay.broadcast(Room::Chat, &chat("after")).await.unwrap();
    node.until_chat("after").await;
    assert_eq!(
        node.local.received(Room::FarmStatus),
        vec![status(FarmStatus::Active), status(FarmStatus::Idle)]
    );
}
