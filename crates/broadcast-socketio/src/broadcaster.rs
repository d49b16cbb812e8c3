//! [`SocketIoBroadcaster`]: the [`Broadcaster`] implementation on socketioxide.
//!
//! # Ordering
//! Every delivery, whether a notification from the manager or a chat message from a client,
//! goes through [`SocketIoBroadcaster::deliver`], which queues the update for every member
//! of the room under one lock. Queueing never waits (a full queue is an error, not a
//! wait), so two deliveries never interleave: every member of a room sees the room's
//! updates in the same order, the order in which `deliver` was called. The lock covers only
//! the queueing, never a socket write.
//!
//! # Retained rooms
//! The last update to a room that [`Room::is_retained`] is kept, and given to each socket
//! after it is told it is connected, by the connect handler that socketioxide runs as a
//! task once the connect packet is queued (every retained room is a default room, joined
//! on connect). From joining until it has been given the retained updates, a socket is
//! also in a room of the transport's own ([`AWAITING_RETAINED`]), and broadcasts to
//! retained rooms skip it: so it never receives an update before the retained one that it
//! supersedes, nor a retained one after a newer update. Both happen under the lock that
//! orders deliveries.
//!
//! # Slow clients
//! Each socket has a queue of [`Config::send_buffer`] packets, written out as fast as the
//! client reads. A client that stops reading fills its own queue and delays no one else.
//! When an update finds a socket's queue full, that socket is evicted: it leaves every
//! room at once and its TCP connection is closed (no Socket.IO disconnect packet, which
//! would stop a socket.io-client 2.x from reconnecting). The eviction is logged at `warn`
//! and counted (`webupdates_overflow_disconnects_total`); the broadcast returns
//! [`BroadcastError::Undelivered`]. The client reconnects with a fresh membership and
//! re-subscribes, as Flamenco's frontend does, so it never shows a state with silently
//! missing updates. A long-polling client has no connection of its own to cut: its next
//! request is refused instead (see `Guard::close` in the shared module), which makes
//! socket.io-client drop the session and connect anew.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_trait::async_trait;
use broadcast_core::{BroadcastError, Broadcaster, Room, Update};
use futures_util::FutureExt;
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;
use socketioxide_core::Sid;

use crate::adapter::GuardedAdapter;
use crate::metrics;
use crate::shared::{AWAITING_RETAINED, Shared, remote_addr};
use crate::transport::Kill;

/// Broadcasts to the rooms of one socketioxide server. Cheap to clone.
#[derive(Clone)]
pub struct SocketIoBroadcaster {
    pub(crate) io: SocketIo<GuardedAdapter>,
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for SocketIoBroadcaster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SocketIoBroadcaster").field("config", &self.shared.config).finish_non_exhaustive()
    }
}

impl SocketIoBroadcaster {
    /// Queues `update` for every member of `room`, serialised once for all of them. Members
    /// whose queue is full are evicted (see the module docs).
    pub fn deliver(&self, room: Room, update: &Update) -> Result<(), BroadcastError> {
        let event = update.event();
        let (result, outcome) = {
            let mut retained = self.shared.order.lock().unwrap_or_else(|p| p.into_inner());
            // The adapter completes a broadcast without waiting; the future is ready on its
            // first poll.
            let result = if room.is_retained() {
                retained.insert(room, update.clone());
                self.io.to(room.name()).except(AWAITING_RETAINED).emit(event.name(), update).now_or_never()
            } else {
                self.io.to(room.name()).emit(event.name(), update).now_or_never()
            };
            (result, self.shared.outcomes.take())
        };
        metrics::broadcast(event, outcome.delivered, outcome.undelivered);
        for &sid in &outcome.overflowed {
            self.evict(sid, "its send buffer was full");
        }
        if outcome.unattributed > 0 {
            // A full queue drained a slot before its probe. The client behind it is still
            // far behind, so its connection is stalled in a write: evict those.
            let stalled: Vec<Sid> = outcome
                .suspects
                .iter()
                .copied()
                .filter(|&sid| self.kill_switch(sid).is_some_and(|k| k.is_write_blocked()))
                .collect();
            tracing::warn!(
                %room,
                %event,
                unattributed = outcome.unattributed,
                stalled = stalled.len(),
                "full send buffers not found by their probe; evicting the stalled members"
            );
            for sid in stalled {
                self.evict(sid, "its send buffer was full and its connection is stalled");
            }
        }
        match result {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => {
                let reason = if outcome.overflowed.is_empty() {
                    e.to_string()
                } else {
                    format!(
                        "{} client(s) with a full send buffer were disconnected",
                        outcome.overflowed.len()
                    )
                };
                tracing::warn!(%room, %event, failed = outcome.undelivered, %reason, "update not delivered to every member");
                Err(BroadcastError::Undelivered { room, event, failed: outcome.undelivered, reason })
            }
            None => Err(BroadcastError::Undelivered {
                room,
                event,
                failed: 0,
                reason: "the adapter did not complete the broadcast at once".into(),
            }),
        }
    }

    /// Gives a socket that was just told it is connected the retained update of each
    /// retained room it is in, and from then on the updates of those rooms (see the module
    /// docs).
    pub(crate) fn give_retained(&self, socket: &SocketRef<GuardedAdapter>) {
        let retained = self.shared.order.lock().unwrap_or_else(|p| p.into_inner());
        if !socket.connected() {
            // Gone already; socketioxide has taken it out of every room.
            return;
        }
        let rooms = socket.rooms();
        let mut evict_after = false;
        for room in Room::RETAINED {
            let Some(update) = retained.get(&room).filter(|_| rooms.iter().any(|r| *r == room.name())) else {
                continue;
            };
            let event = update.event();
            match socket.emit(event.name(), update) {
                Ok(()) => metrics::retained(event, true),
                Err(e) => {
                    metrics::retained(event, false);
                    tracing::warn!(sid = %socket.id, %room, %event, "retained update not delivered: {e}");
                    // A client must not be left showing a stale state: it reconnects and
                    // is given the update then.
                    evict_after = true;
                }
            }
        }
        socket.leave(AWAITING_RETAINED);
        drop(retained);
        if evict_after {
            self.evict(socket.id, "it could not be given the retained updates");
        }
    }

    /// Takes socket `sid` out of every room and closes its transport, so it reconnects;
    /// counted as an eviction.
    pub(crate) fn evict(&self, sid: Sid, why: &str) {
        let Some(socket) = self.io.get_socket(sid) else { return };
        self.shared.evicted.fetch_add(1, Ordering::Relaxed);
        metrics::overflow_disconnect();
        self.close_transport(&socket, why, tracing::Level::WARN);
    }

    /// Takes `socket` out of every room and closes its transport, without a Socket.IO
    /// disconnect, so the client reconnects; logged at `level`.
    fn close_transport(&self, socket: &SocketRef<GuardedAdapter>, why: &str, level: tracing::Level) {
        socket.leave_all();
        let (sid, remote) = (socket.id, remote_addr(socket));
        let kill = self.shared.kill_switch(socket);
        let warn = level == tracing::Level::WARN;
        match kill {
            Some(kill) => {
                if warn {
                    tracing::warn!(%sid, %remote, why, "disconnecting a client: closing its transport so it reconnects and resyncs");
                } else {
                    tracing::debug!(%sid, %remote, why, "disconnecting a client: closing its transport so it reconnects and resyncs");
                }
                kill.kill();
            }
            None if socket.transport_type() == socketioxide::TransportType::Polling => {
                if warn {
                    tracing::warn!(%sid, %remote, why, "disconnecting a long-polling client: refusing its next request so it reconnects and resyncs");
                } else {
                    tracing::debug!(%sid, %remote, why, "disconnecting a long-polling client: refusing its next request so it reconnects and resyncs");
                }
                self.shared.guard.close(&sid.to_string());
            }
            None => tracing::warn!(
                %sid,
                %remote,
                why,
                "a client left every room but its websocket cannot be closed here (not served through \
                 TrackedListener); the heartbeat timeout will drop it"
            ),
        }
    }

    /// Closes every client's connection at the transport level (no Socket.IO disconnect),
    /// so each reconnects, subscribes again and refetches: for when this server may have
    /// missed updates, e.g. it lost the Redis server that shares them. Logged at `warn` once
    /// and counted in `webupdates_restarted_sockets_total`.
    pub fn restart_all(&self, why: &str) {
        let sockets = self.io.sockets();
        tracing::warn!(
            count = sockets.len(),
            why,
            "closing every client's connection so they reconnect and refetch"
        );
        metrics::restarted(sockets.len());
        for socket in &sockets {
            self.close_transport(socket, why, tracing::Level::DEBUG);
        }
    }

    /// Refuses new clients with `503` while `unready` gives a reason (`None` welcomes them
    /// again); connected clients are not touched. For a server that does not receive every
    /// update now, so that a load balancer sends new clients elsewhere.
    pub fn set_ready(&self, unready: Option<&str>) {
        *self.shared.unready.lock().unwrap_or_else(|p| p.into_inner()) = unready.map(str::to_owned);
    }

    /// `Ok` while new clients are welcome, else why not: a readiness check's answer.
    pub fn readiness(&self) -> Result<(), String> {
        self.shared.unready().map_or(Ok(()), Err)
    }

    /// Sends clients' `/chat` messages through `relay` instead of straight to this server's
    /// `Chat` room, so that they reach `Chat` on every server that shares updates (the relay
    /// delivers them back here). A relay whose `broadcast` is not complete at its first poll
    /// (broadcast-redis's is) is awaited on a spawned task. Set once; later calls are ignored.
    pub fn relay_chat_through(&self, relay: Arc<dyn Broadcaster>) {
        let _ = self.shared.chat_relay.set(relay);
    }

    /// The kill switch of the TCP connection socket `sid`'s websocket runs on, if it has one.
    fn kill_switch(&self, sid: Sid) -> Option<Kill> {
        self.shared.kill_switch(&self.io.get_socket(sid)?)
    }

    /// How many sockets are connected: one atomic read, counted as sockets connect and
    /// disconnect (the count the connection limit applies to).
    pub fn connected(&self) -> usize {
        self.shared.guard.connected.load(Ordering::Acquire)
    }

    /// How many clients were disconnected for a full send buffer since the start.
    pub fn evicted(&self) -> usize {
        self.shared.evicted.load(Ordering::Relaxed)
    }

    /// Every non-empty room and how many sockets are in it.
    pub fn room_sizes(&self) -> BTreeMap<String, usize> {
        let rooms = self.io.rooms().now_or_never().and_then(Result::ok).unwrap_or_default();
        rooms
            .into_iter()
            .filter(|r| r != AWAITING_RETAINED)
            .map(|r| (r.to_string(), self.io.to(r).sockets().len()))
            .collect()
    }

    /// The rooms socket `sid` is in, or `None` when no such socket is connected.
    pub fn rooms_of(&self, sid: &str) -> Option<Vec<String>> {
        let sid = sid.parse().ok()?;
        let socket = self.io.get_socket(sid)?;
        let mut rooms: Vec<String> =
            socket.rooms().into_iter().filter(|r| r != AWAITING_RETAINED).map(|r| r.to_string()).collect();
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
