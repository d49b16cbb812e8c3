//! [`Fanout`]: a [`Broadcaster`] that sends each update to several transports (Socket.IO and
//! MQTT), so that whoever sends updates never learns how many there are.
//!
//! Each transport is a lane of one of two kinds:
//! - *queued* ([`Fanout::queued`]): a bounded queue of its own, drained in order by a
//!   [`LaneDriver`], a future the caller runs on its executor (`tokio::spawn(driver)`).
//!   broadcast-core has no runtime of its own; the driver needs none but an executor. A
//!   transport that may be slow or fail (a broker over the network) goes here.
//! - *direct* ([`Fanout::direct`]): called in the sender's task, after every queued lane was
//!   handed the update. Only for a transport whose broadcast queues and returns without
//!   waiting, such as Socket.IO's; its errors are returned to the sender as they are today.
//!
//! # Failure and slowness
//! A queued lane is handed an update with a non-blocking send, so a slow or failed queued
//! transport never delays the others or the sender. When its queue is full the update is
//! dropped for that lane alone: counted ([`Fanout::dropped`]), and
//! [`BroadcastError::Dropped`] is returned once every lane was tried. A transport's own
//! error, met by its driver, goes to the `on_error` function given with the lane, since no
//! sender is waiting for it any more.
//!
//! # Ordering
//! Each lane receives every update in the order [`Broadcaster::broadcast`] was called (one
//! queue, one driver, one update at a time), so each transport keeps the order it promises.
//! Lanes are independent: one may be ahead of another.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_channel::mpsc;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;

use crate::notify::Delivery;
use crate::{BroadcastError, Broadcaster, Room, Update};

/// What a queued lane's driver does with its transport's errors.
pub type OnError = Box<dyn Fn(BroadcastError) + Send + Sync>;

/// Sends every update to each of its transports (see the module docs).
///
/// ```
/// use std::sync::Arc;
///
/// use broadcast_core::testing::InMemoryBroadcaster;
/// use broadcast_core::{Fanout, Notifier, Room, notify};
///
/// let socketio = Arc::new(InMemoryBroadcaster::new());
/// let mqtt = Arc::new(InMemoryBroadcaster::new());
/// let (fanout, driver) = Fanout::new()
///     .queued("mqtt", mqtt.clone(), 100, Box::new(|e| eprintln!("mqtt: {e}")));
/// let fanout = fanout.direct(socketio.clone());
/// let notifier = Notifier::new(Arc::new(fanout));
/// futures_executor::block_on(notifier.send(notify::manager_startup()))?;
/// drop(notifier); // the driver ends once the fanout is gone and its queue is drained
/// futures_executor::block_on(driver);
/// assert_eq!(socketio.received(Room::Lifecycle), mqtt.received(Room::Lifecycle));
/// # Ok::<(), broadcast_core::BroadcastError>(())
/// ```
#[derive(Default)]
pub struct Fanout {
    queued: Vec<Lane>,
    direct: Vec<Arc<dyn Broadcaster>>,
}

struct Lane {
    name: String,
    capacity: usize,
    /// The lane's one sender: a clone would bring a slot of its own, unbounding the queue.
    tx: Mutex<mpsc::Sender<Delivery>>,
    dropped: Arc<AtomicU64>,
}

/// Drains one queued lane into its transport, in order; ends once the [`Fanout`] is dropped
/// and the queue is empty. Run it on any executor.
#[must_use = "a queued lane delivers nothing until its driver runs"]
pub struct LaneDriver(BoxFuture<'static, ()>);

impl std::future::Future for LaneDriver {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl std::fmt::Debug for LaneDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LaneDriver").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Fanout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fanout")
            .field("queued", &self.queued.iter().map(|l| &l.name).collect::<Vec<_>>())
            .field("direct", &self.direct.len())
            .finish()
    }
}

impl Fanout {
    /// A fanout with no transports yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `transport` behind a queue of `capacity` updates (at least one), drained by the
    /// returned driver; `name` names it in errors and in [`Fanout::dropped`].
    pub fn queued(
        mut self,
        name: impl Into<String>,
        transport: Arc<dyn Broadcaster>,
        capacity: usize,
        on_error: OnError,
    ) -> (Self, LaneDriver) {
        let capacity = capacity.max(1);
        // futures' channel holds one more slot per sender than asked for; the lane has one
        // sender, so this makes the queue exactly `capacity` long.
        let (tx, mut rx) = mpsc::channel::<Delivery>(capacity - 1);
        let driver = LaneDriver(Box::pin(async move {
            while let Some(Delivery { room, update }) = rx.next().await {
                if let Err(e) = transport.broadcast(room, &update).await {
                    on_error(e);
                }
            }
        }));
        self.queued.push(Lane { name: name.into(), capacity, tx: Mutex::new(tx), dropped: Arc::default() });
        (self, driver)
    }

    /// Adds `transport`, called in the sender's task after the queued lanes (see the module
    /// docs: only for a transport whose broadcast never waits).
    pub fn direct(mut self, transport: Arc<dyn Broadcaster>) -> Self {
        self.direct.push(transport);
        self
    }

    /// How many updates the queued lane `name` dropped for a full queue; `None` when there is
    /// no such lane.
    pub fn dropped(&self, name: &str) -> Option<u64> {
        self.queued.iter().find(|l| l.name == name).map(|l| l.dropped.load(Ordering::Relaxed))
    }
}

#[async_trait]
impl Broadcaster for Fanout {
    /// Hands `update` to every queued lane without waiting, then sends it through every
    /// direct one; returns the first error after trying them all.
    async fn broadcast(&self, room: Room, update: &Update) -> Result<(), BroadcastError> {
        let mut first_error = None;
        for lane in &self.queued {
            // Held for a non-blocking send only, never across an await.
            let sent = lane
                .tx
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .try_send(Delivery { room, update: update.clone() });
            match sent {
                Ok(()) => {}
                Err(e) if e.is_full() => {
                    lane.dropped.fetch_add(1, Ordering::Relaxed);
                    first_error.get_or_insert(BroadcastError::Dropped {
                        room,
                        event: update.event(),
                        transport: lane.name.clone(),
                        capacity: lane.capacity,
                    });
                }
                Err(_) => {
                    first_error.get_or_insert(BroadcastError::Closed);
                }
            }
        }
        for transport in &self.direct {
            if let Err(e) = transport.broadcast(room, update).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
