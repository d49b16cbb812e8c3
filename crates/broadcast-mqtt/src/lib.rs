//! The MQTT transport of the web-updates system, on rumqttc: every update that Flamenco
//! publishes to MQTT, on the topics of SPEC section 10 (`topics.rs`), with the same JSON
//! payload as the Socket.IO event's.
//!
//! # What it promises
//! - QoS 1 (at least once), and per topic the order in which updates were broadcast, also
//!   across a reconnection (what was in flight is sent again first).
//! - `/status` published with the retain flag (it is broadcast to a retained room,
//!   [`Room::is_retained`](broadcast_core::Room::is_retained)), so a subscriber that
//!   arrives later still learns the farm's status.
//! - [`MqttBroadcaster::broadcast`](broadcast_core::Broadcaster::broadcast) never waits for
//!   the broker: a broker that is down, slow or gone never holds up a REST request or a
//!   Socket.IO broadcast, and the manager starts and serves without it.
//!
//! # What it drops
//! Updates that find the bounded queue ([`Config::queue`]) full while the broker is slow
//! or unreachable; each is counted in `webupdates_mqtt_dropped_total{event}`, and the log
//! says when dropping starts and how many were dropped once publishing works again
//! (`queue.rs`). Task-log chunks and chat messages are never published, as in Flamenco.
//! A broker that loses its retained messages (restarted without persistence) has the
//! farm's status again at its next change.
//!
//! # Use
//! [`MqttBroadcaster::start`] (inside a tokio runtime) connects in the background and
//! returns at once; put it beside the Socket.IO transport in a
//! [`Fanout`](broadcast_core::Fanout), as a direct lane since its broadcast never waits.
//! [`describe_metrics`] gives the metrics their help text.
//!
//! # Features
//! None. Plain TCP only (rumqttc without TLS).

mod config;
mod queue;
mod topics;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use broadcast_core::{BroadcastError, Broadcaster, Room, Update};
use rumqttc::{AsyncClient, MqttOptions, QoS};

pub use config::{
    Broker, Config, Credentials, DEFAULT_CLIENT_ID, DEFAULT_QUEUE, DEFAULT_TOPIC_PREFIX, client_id,
    topic_prefix,
};
pub use topics::topic;

/// Largest packet sent or received: far above any update (REST bodies are capped lower),
/// since rumqttc treats a larger one as a broken connection.
const MAX_PACKET: usize = 16 << 20;

/// Publishes every update to an MQTT broker (see the crate docs).
pub struct MqttBroadcaster {
    client: AsyncClient,
    topic_prefix: String,
    drops: queue::Drops,
    /// Set once the connection task has ended (after [`MqttBroadcaster::close`]).
    closed: Arc<AtomicBool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for MqttBroadcaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttBroadcaster").field("topic_prefix", &self.topic_prefix).finish_non_exhaustive()
    }
}

impl MqttBroadcaster {
    /// Starts connecting to the broker in the background, and returns at once: updates
    /// queue until the connection is up. Call it inside a tokio runtime.
    pub fn start(config: Config) -> Self {
        let mut options = MqttOptions::new(config.client_id, config.broker.host.clone(), config.broker.port);
        options.set_keep_alive(config.keep_alive).set_max_packet_size(MAX_PACKET, MAX_PACKET);
        if let Some(Credentials { username, password }) = config.credentials {
            options.set_credentials(username, password);
        }
        let queue = config.queue.max(1);
        let (client, eventloop) = AsyncClient::new(options, queue);
        let closed = Arc::new(AtomicBool::new(false));
        let backoff = queue::Backoff { min: config.reconnect_min, max: config.reconnect_max };
        let task = tokio::spawn(queue::drive(eventloop, config.broker.to_string(), backoff, closed.clone()));
        MqttBroadcaster {
            client,
            topic_prefix: config.topic_prefix,
            drops: queue::Drops::new(queue),
            closed,
            task: Mutex::new(Some(task)),
        }
    }

    /// How many updates were dropped for a full queue since the start.
    pub fn dropped(&self) -> u64 {
        self.drops.total()
    }

    /// Sends what is queued, disconnects, and waits for that at most `within`; when the
    /// broker is unreachable that long, what is still queued is not published (logged).
    pub async fn close(&self, within: Duration) {
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(mut task) = task else { return };
        let disconnect = async {
            // Queued after every publish, so it goes out after them.
            if self.client.disconnect().await.is_ok() {
                let _ = (&mut task).await;
            }
        };
        if tokio::time::timeout(within, disconnect).await.is_err() {
            tracing::warn!("MQTT: the broker did not take the last updates in time; closing anyway");
            task.abort();
        }
        self.closed.store(true, Ordering::Release);
    }
}

#[async_trait]
impl Broadcaster for MqttBroadcaster {
    /// Queues `update` for its topic without waiting; a full queue drops it, counted and
    /// logged (see the crate docs), and is not an error for the sender.
    async fn broadcast(&self, room: Room, update: &Update) -> Result<(), BroadcastError> {
        let Some(topic) = topics::topic(&self.topic_prefix, room, update) else { return Ok(()) };
        if self.closed.load(Ordering::Acquire) {
            return Err(BroadcastError::Closed);
        }
        // The same bytes as the Socket.IO event's payload: the payload alone, serialised by
        // serde_json straight from the type, fields in their declared order.
        let payload = serde_json::to_vec(update).map_err(|e| BroadcastError::Undelivered {
            room,
            event: update.event(),
            failed: 0,
            reason: format!("cannot serialise the payload: {e}"),
        })?;
        match self.client.try_publish(topic, QoS::AtLeastOnce, room.is_retained(), payload) {
            Ok(()) => self.drops.queued(),
            Err(_) => self.drops.dropped(update.event()),
        }
        Ok(())
    }
}

/// Gives this crate's metrics their help text (with the `metrics` facade; a no-op until the
/// application installs a recorder).
pub fn describe_metrics() {
    metrics::describe_counter!(
        queue::DROPPED,
        "Updates not published to MQTT because the queue was full (broker slow or unreachable), by event."
    );
    metrics::describe_gauge!(queue::CONNECTED, "1 while connected to the MQTT broker, else 0.");
}
