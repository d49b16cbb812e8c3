//! Web updates shared by several processes through Redis, so that clients spread over the
//! manager and any number of Socket.IO-only nodes get every update, in one order.
//!
//! **What it promises.** Every update given to [`RedisBroadcaster::broadcast`], on any
//! node, goes once into one Redis stream; every node, the publishing one included, reads
//! that stream in order and hands each update to its own transport (the
//! `Arc<dyn Broadcaster>` given to [`RedisBroadcaster::start`]), which applies it to its
//! rooms as it does in a single process. So every node delivers the same updates in the
//! same order, and a chat message from a client on one node reaches `Chat` everywhere.
//! Publishing never waits for Redis.
//!
//! **What it drops under failure, and how no one is left behind.** An update that cannot
//! be published (the publish queue is full, or Redis is unreachable or refuses it) reaches
//! no node; it is logged and counted in `webupdates_redis_unpublished_total`. A node that
//! may have missed updates (it lost Redis, or finds a publisher's sequence number skipped)
//! closes every client's connection at the transport level, counted in
//! `webupdates_redis_resyncs_total`, so that each reconnects, subscribes again and
//! refetches; and while it cannot read from Redis it refuses new clients (see [`Clients`]
//! and [`RedisBroadcaster::status`]). The details are in the `queue` module's docs.
//!
//! Files: `lib.rs` (this type), `stream.rs` (what an entry holds), `config.rs`
//! ([`RedisConfig`]), `queue.rs` (the publish queue and the failure policy), `metrics.rs`.
//!
//! ```no_run
//! # async fn run(local: std::sync::Arc<dyn broadcast_core::Broadcaster>) -> Result<(), String> {
//! use broadcast_redis::{Clients, RedisBroadcaster, RedisConfig};
//! let clients = Clients {
//!     set_ready: Box::new(|why| eprintln!("ready: {}", why.is_none())),
//!     restart_all: Box::new(|why| eprintln!("close every client: {why}")),
//! };
//! let relay = RedisBroadcaster::start(RedisConfig::new("redis://127.0.0.1:6379"), local, clients)?;
//! let notifier = broadcast_core::Notifier::new(std::sync::Arc::new(relay));
//! # Ok(()) }
//! ```

mod config;
mod metrics;
mod queue;
mod stream;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use broadcast_core::{BroadcastError, Broadcaster, Room, Update};
use tokio::sync::{mpsc, watch};

pub use config::{RedisConfig, check_url};
pub use metrics::describe as describe_metrics;
pub use queue::Status;
use stream::Entry;

/// Told whether the node reads from Redis: `None` when it does, else the reason.
pub type SetReady = Box<dyn Fn(Option<&str>) + Send + Sync>;

/// What the relay asks of the transport whose clients it serves.
pub struct Clients {
    /// Called with `None` when the node reads from Redis again, so new clients are welcome,
    /// and with the reason when it does not, so new clients are refused (a load balancer
    /// then sends them to another node).
    pub set_ready: SetReady,
    /// Closes every client's connection at the transport level, so each reconnects,
    /// subscribes again and refetches what it shows.
    pub restart_all: Box<dyn Fn(&str) + Send + Sync>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clients").finish_non_exhaustive()
    }
}

/// Publishes every update to Redis, and delivers what every node published to the local
/// transport. Cheap to clone.
#[derive(Clone, Debug)]
pub struct RedisBroadcaster {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// This process, as publisher: a random UUID.
    publisher: String,
    /// The next sequence number, and the queue; one lock so that numbers follow the queue's
    /// order.
    queue: Mutex<(u64, mpsc::Sender<Entry>)>,
    status: watch::Receiver<Status>,
    url: String,
}

impl RedisBroadcaster {
    /// Starts publishing and receiving, on the current tokio runtime, and returns at once:
    /// Redis need not be up yet (the node is not ready until it is). `local` is the node's
    /// own transport; `clients` is how the relay refuses and closes its clients. The error
    /// is for a URL that cannot be used.
    pub fn start(config: RedisConfig, local: Arc<dyn Broadcaster>, clients: Clients) -> Result<Self, String> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| format!("invalid Redis URL {:?}: {e}", config.url))?;
        let publish = queue::connection(client.clone(), &config, false).map_err(|e| e.to_string())?;
        let read = queue::connection(client, &config, true).map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let waiting = format!("not connected to Redis at {} yet", config.url);
        (clients.set_ready)(Some(&waiting));
        metrics::receiving(false);
        let (status_tx, status) = watch::channel(Status::NotReceiving(waiting));
        tokio::spawn(queue::publish(rx, publish, config.clone()));
        tokio::spawn(queue::receive(read, config.clone(), local, clients, status_tx));
        Ok(RedisBroadcaster {
            inner: Arc::new(Inner {
                publisher: uuid::Uuid::new_v4().to_string(),
                queue: Mutex::new((0, tx)),
                status,
                url: config.url,
            }),
        })
    }

    /// Whether the node reads from Redis now, and if not, why.
    pub fn status(&self) -> Status {
        self.inner.status.borrow().clone()
    }

    /// Waits until the node reads from Redis.
    pub async fn receiving(&self) {
        let mut status = self.inner.status.clone();
        let _ = status.wait_for(|s| *s == Status::Receiving).await;
    }
}

#[async_trait]
impl Broadcaster for RedisBroadcaster {
    /// Queues `update` for publishing and returns at once; an update that does not fit in
    /// the queue is counted, logged and returned as an error.
    async fn broadcast(&self, room: Room, update: &Update) -> Result<(), BroadcastError> {
        let event = update.event();
        let mut queue = self.inner.queue.lock().unwrap_or_else(|p| p.into_inner());
        let seq = queue.0;
        // A number is used whether or not the update goes out, so that a skipped one tells
        // every node that something is missing.
        queue.0 += 1;
        let entry = Entry { publisher: self.inner.publisher.clone(), seq, room, update: update.clone() };
        match queue.1.try_send(entry) {
            Ok(()) => Ok(()),
            Err(e) => {
                drop(queue);
                let reason = match e {
                    mpsc::error::TrySendError::Full(_) => "the queue of updates for Redis is full",
                    mpsc::error::TrySendError::Closed(_) => "the Redis publisher has stopped",
                };
                metrics::unpublished("queue_full", 1);
                tracing::warn!(%room, %event, seq, redis = %self.inner.url, reason, "update not published");
                Err(BroadcastError::Undelivered { room, event, failed: 0, reason: reason.to_owned() })
            }
        }
    }
}
