//! [`Broadcaster`]: the one thing a transport implements.

use async_trait::async_trait;

use crate::{Event, Room, Update};

/// Delivers one typed update to every client in one room.
///
/// This is the seam between the rules of who receives what (in [`notify`](crate::notify))
/// and a transport such as Socket.IO. Implementations must keep order: two calls made one
/// after the other for the same room reach every member in that order. A call returns once
/// the update is queued for every member; it must not wait for slow clients, and a client
/// that cannot take the update must not be skipped silently (an implementation disconnects
/// or reports it, and says which in its docs).
///
/// A room that [`Room::is_retained`] holds a state, not a stream of events: the transport
/// keeps the last update sent to it and gives that update to each new member right after
/// it joins, before any later update to the room, and never a stale one after a newer one
/// (MQTT's retain flag is the same notion). The transport needs to know nothing else
/// about what the room carries.
///
/// Held as `Arc<dyn Broadcaster>` by whoever sends updates.
///
/// The [crate docs](crate) show an implementation; implementing the trait needs the
/// `async-trait` crate.
#[cfg_attr(feature = "mock", mockall::automock)]
#[async_trait]
pub trait Broadcaster: Send + Sync {
    /// Sends `update` as its event to every member of `room`.
    async fn broadcast(&self, room: Room, update: &Update) -> Result<(), BroadcastError>;
}

/// A broadcast that did not reach every member of its room.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BroadcastError {
    /// The transport could not queue the update for some members.
    #[error("{event} to room {room} did not reach {failed} member(s): {reason}")]
    Undelivered {
        /// The room.
        room: Room,
        /// The event that was sent.
        event: Event,
        /// How many members did not get it.
        failed: usize,
        /// What the transport said.
        reason: String,
    },
    /// A transport's queue was full, so the update was not handed to it (see
    /// [`Fanout`](crate::Fanout)).
    #[error("{event} to room {room} dropped for transport {transport}: its queue of {capacity} is full")]
    Dropped {
        /// The room.
        room: Room,
        /// The event that was dropped.
        event: Event,
        /// The name the transport was added under.
        transport: String,
        /// The queue's capacity.
        capacity: usize,
    },
    /// The transport is shut down or not running.
    #[error("the transport is closed")]
    Closed,
}
