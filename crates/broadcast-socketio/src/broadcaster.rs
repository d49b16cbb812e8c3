//! [`SocketIoBroadcaster`]: the [`Broadcaster`] implementation on socketioxide.
//!
//! # Ordering
//! Every delivery, whether a notification from the manager or a chat message from a client,
//! goes through [`SocketIoBroadcaster::deliver`], which queues the update for every member
//! of the room under one lock. socketioxide's local adapter does this synchronously, so two
//! deliveries never interleave: every member of a room sees the room's updates in the same
//! order, the order in which `deliver` was called. The lock covers only the queueing, never
//! a socket write.
//!
//! # Full queues
//! Each socket has a queue of [`Config::send_buffer`] packets. A socket whose queue is
//! full does not get the update; the broadcast returns
//! [`BroadcastError::Undelivered`] with the count, and a warning is logged.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use broadcast_core::{BroadcastError, Broadcaster, Room, Update};
use futures_util::FutureExt;
use socketioxide::SocketIo;

use crate::Config;

/// Broadcasts to the rooms of one socketioxide server. Cheap to clone.
#[derive(Clone)]
pub struct SocketIoBroadcaster {
    pub(crate) io: SocketIo,
    pub(crate) shared: Arc<Shared>,
}

/// What every handler of every socket shares.
pub(crate) struct Shared {
    pub(crate) config: Config,
    /// Serialises deliveries so that every room has one order. Held only while queueing.
    order: Mutex<()>,
}

impl Shared {
    pub(crate) fn new(config: Config) -> Self {
        Shared { config, order: Mutex::new(()) }
    }
}

impl std::fmt::Debug for SocketIoBroadcaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoBroadcaster").field("config", &self.shared.config).finish_non_exhaustive()
    }
}

impl SocketIoBroadcaster {
    /// Queues `update` for every member of `room`, serialised once for all of them.
    pub fn deliver(&self, room: Room, update: &Update) -> Result<(), BroadcastError> {
        let event = update.event();
        let result = {
            let _order = self.shared.order.lock().unwrap_or_else(|p| p.into_inner());
            // The local adapter completes a broadcast without waiting; the future is ready
            // on its first poll.
            self.io.to(room.name()).emit(event.name(), update).now_or_never()
        };
        match result {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => {
                let failed = match &e {
                    socketioxide::BroadcastError::Socket(errors) => errors.len(),
                    _ => self.io.to(room.name()).sockets().len(),
                };
                tracing::warn!(%room, %event, failed, error = %e, "update not delivered to every member");
                Err(BroadcastError::Undelivered { room, event, failed, reason: e.to_string() })
            }
            None => Err(BroadcastError::Undelivered {
                room,
                event,
                failed: 0,
                reason: "the adapter did not complete the broadcast at once".into(),
            }),
        }
    }

    /// How many sockets are connected.
    pub fn connected(&self) -> usize {
        self.io.sockets().len()
    }

    /// Every non-empty room and how many sockets are in it.
    pub fn room_sizes(&self) -> BTreeMap<String, usize> {
        let rooms = self.io.rooms().now_or_never().and_then(Result::ok).unwrap_or_default();
        rooms.into_iter().map(|r| (r.to_string(), self.io.to(r).sockets().len())).collect()
    }

    /// The rooms socket `sid` is in, or `None` when no such socket is connected.
    pub fn rooms_of(&self, sid: &str) -> Option<Vec<String>> {
        let sid = sid.parse().ok()?;
        let socket = self.io.get_socket(sid)?;
        let mut rooms: Vec<String> = socket.rooms().into_iter().map(|r| r.to_string()).collect();
        rooms.sort();
        Some(rooms)
    }

    /// Closes every connection at the transport level, as a restarting server does.
    ///
    /// No Socket.IO disconnect packet is sent: socket.io-client 2.x takes one ("io server
    /// disconnect") as final and never reconnects, while a closed transport makes every
    /// client reconnect and re-subscribe by itself.
    pub async fn close(&self) {
        self.io.close().await;
    }
}

#[async_trait]
impl Broadcaster for SocketIoBroadcaster {
    async fn broadcast(&self, room: Room, update: &Update) -> Result<(), BroadcastError> {
        self.deliver(room, update)
    }
}
