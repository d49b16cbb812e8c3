//! The queue and the failure policy: what waits while the broker is slow or gone, what is
//! dropped, how it is counted and logged, and how the connection comes back.
//!
//! # The queue
//! [`MqttBroadcaster::broadcast`](crate::MqttBroadcaster) hands each publish to rumqttc's
//! request channel, bounded at [`Config::queue`](crate::Config::queue), without waiting. The
//! connection task drains it in order; up to 100 publishes may be in flight (sent, not yet
//! acknowledged) beyond it.
//!
//! # Drops
//! When the queue is full (the broker is unreachable, or slower than the updates), the
//! update is dropped for MQTT alone: Socket.IO and REST are never held up. Each drop counts
//! in `webupdates_mqtt_dropped_total{event}`. The log gets one `warn` line when dropping
//! starts and one when publishing works again, saying how many were dropped in between;
//! never one line per update.
//!
//! # Reconnecting
//! A lost or refused connection is retried after a wait that starts at
//! [`Config::reconnect_min`](crate::Config::reconnect_min) and doubles up to
//! [`Config::reconnect_max`](crate::Config::reconnect_max) (rumqttc itself would retry at
//! once, in a busy loop). The first failure of an outage is logged at `warn`, the retries at
//! `debug`, the reconnection at `info`; `webupdates_mqtt_connected` is 1 while connected.
//! Publishes that were in flight or queued when the connection broke are sent again first
//! on the new connection, in their order, even when the broker lost its session (a broker
//! restarted without persistence): QoS 1 allows a duplicate, not a gap.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use broadcast_core::Event;
use rumqttc::{ConnectionError, EventLoop, Outgoing, Packet, Request};

/// Names of the metrics, with their help text.
pub(crate) const DROPPED: &str = "webupdates_mqtt_dropped_total";
pub(crate) const CONNECTED: &str = "webupdates_mqtt_connected";

/// Counts and logs what the full queue drops (see the module docs).
#[derive(Debug)]
pub(crate) struct Drops {
    capacity: usize,
    /// Dropped since dropping last started; 0 while publishing works.
    episode: AtomicU64,
    total: AtomicU64,
}

impl Drops {
    pub(crate) fn new(capacity: usize) -> Self {
        Drops { capacity, episode: AtomicU64::new(0), total: AtomicU64::new(0) }
    }

    /// An update of `event` could not be queued.
    pub(crate) fn dropped(&self, event: Event) {
        metrics::counter!(DROPPED, "event" => event.name()).increment(1);
        self.total.fetch_add(1, Ordering::Relaxed);
        if self.episode.fetch_add(1, Ordering::Relaxed) == 0 {
            tracing::warn!(
                queue = self.capacity,
                "MQTT: the queue is full (the broker is slow or unreachable); dropping updates for MQTT \
                 until it takes them again, counted in {DROPPED}"
            );
        }
    }

    /// An update was queued: if some were dropped before it, say how many.
    pub(crate) fn queued(&self) {
        // A plain load first: while publishing works this is the only cost.
        if self.episode.load(Ordering::Relaxed) > 0 {
            let dropped = self.episode.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                tracing::warn!(dropped, "MQTT: publishing again; {dropped} update(s) were dropped meanwhile");
            }
        }
    }

    /// Every drop since the start.
    pub(crate) fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

/// How the connection task waits between attempts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Backoff {
    pub(crate) min: Duration,
    pub(crate) max: Duration,
}

/// Drives rumqttc's event loop until the client disconnects or every handle is dropped:
/// connects, sends what is queued, reconnects with backoff (see the module docs).
pub(crate) async fn drive(
    mut eventloop: EventLoop,
    broker: String,
    backoff: Backoff,
    closed: Arc<AtomicBool>,
) {
    let mut wait = backoff.min;
    let mut failures: u64 = 0;
    // What the broken connection had not delivered, sent first on the next one.
    let mut carried: VecDeque<Request> = VecDeque::new();
    loop {
        match eventloop.poll().await {
            Ok(rumqttc::Event::Incoming(Packet::ConnAck(_))) => {
                // rumqttc forgets what was pending when the new session is a clean one;
                // put it back, in front of anything newer.
                carried.extend(eventloop.pending.drain(..));
                eventloop.pending = std::mem::take(&mut carried);
                metrics::gauge!(CONNECTED).set(1.0);
                if failures == 0 {
                    tracing::info!(%broker, "MQTT: connected to the broker");
                } else {
                    tracing::info!(%broker, attempts = failures, "MQTT: connected to the broker again");
                }
                failures = 0;
                wait = backoff.min;
            }
            Ok(rumqttc::Event::Outgoing(Outgoing::Disconnect)) => {
                tracing::info!(%broker, "MQTT: disconnected from the broker");
                break;
            }
            Ok(_) => {}
            Err(ConnectionError::RequestsDone) => break,
            Err(error) => {
                carried.extend(eventloop.pending.drain(..));
                metrics::gauge!(CONNECTED).set(0.0);
                if failures == 0 {
                    tracing::warn!(
                        %broker,
                        %error,
                        "MQTT: no connection to the broker; reconnecting with backoff while updates wait in the queue"
                    );
                } else {
                    tracing::debug!(%broker, %error, attempt = failures + 1, "MQTT: still no connection");
                }
                failures += 1;
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(backoff.max);
            }
        }
    }
    metrics::gauge!(CONNECTED).set(0.0);
    closed.store(true, Ordering::Release);
}
