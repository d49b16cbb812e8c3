//! Test transports: an in-memory broadcaster that records what each room received, and
//! (with the `mock` feature) `MockBroadcaster` for "called exactly
//! once / never" checks.
//!
//! Swap one in where the real transport would go:
//! `Notifier::new(Arc::new(InMemoryBroadcaster::default()))`.

use std::sync::Mutex;

use async_trait::async_trait;

use crate::notify::Delivery;
use crate::{BroadcastError, Broadcaster, Event, Room, Update};

/// Records every broadcast, in order, instead of sending it anywhere.
#[derive(Debug, Default)]
pub struct InMemoryBroadcaster {
    log: Mutex<Vec<Delivery>>,
}

impl InMemoryBroadcaster {
    /// A new, empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Vec<Delivery>> {
        // A test that panicked while holding the lock has already failed; its record is
        // still worth showing.
        self.log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every delivery so far, in the order they were made.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.log().clone()
    }

    /// What `room` received, in order.
    pub fn received(&self, room: Room) -> Vec<Update> {
        self.log().iter().filter(|d| d.room == room).map(|d| d.update.clone()).collect()
    }

    /// What `room` received as a client sees it: event name and payload JSON, in order.
    pub fn events(&self, room: Room) -> Vec<(Event, serde_json::Value)> {
        self.log().iter().filter(|d| d.room == room).map(|d| (d.update.event(), d.update.to_json())).collect()
    }

    /// The update a transport would give a new member of `room`: the last one it received,
    /// when the room is retained.
    pub fn retained(&self, room: Room) -> Option<Update> {
        if !room.is_retained() {
            return None;
        }
        self.log().iter().rev().find(|d| d.room == room).map(|d| d.update.clone())
    }

    /// Returns every delivery so far and forgets them.
    pub fn take(&self) -> Vec<Delivery> {
        std::mem::take(&mut *self.log())
    }
}

#[async_trait]
impl Broadcaster for InMemoryBroadcaster {
    async fn broadcast(&self, room: Room, update: &Update) -> Result<(), BroadcastError> {
        self.log().push(Delivery { room, update: update.clone() });
        Ok(())
    }
}
