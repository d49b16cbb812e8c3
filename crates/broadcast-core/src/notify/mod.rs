//! The notification rules: which update goes to which rooms, in which order.
//!
//! Each rule is a plain function that turns a payload into a [`Notification`]; a
//! [`Notifier`] hands its deliveries to a [`Broadcaster`] in order. Callers pick the rule
//! that names what happened and never choose rooms themselves; transports never see the
//! rules at all.
//!
//! # Failure
//! A delivery that fails does not stop the ones after it: a last-rendered update that
//! cannot reach the job room still goes to `Last-Rendered`. [`Notifier::send`] returns the
//! first error after trying them all, so the caller can log and count it.
//!
//! # Example
//!
//! A rule is a plain function, so what it decides can be looked at without sending:
//! a last-rendered image goes to its job's room first, then to `Last-Rendered`.
//!
//! ```
//! use broadcast_core::{LastRenderedImageInfo, LastRenderedUpdate, Room, notify};
//! use uuid::Uuid;
//!
//! let job = Uuid::new_v4();
//! let image = LastRenderedUpdate {
//!     job_id: job,
//!     task_id: Uuid::new_v4(),
//!     thumbnail: LastRenderedImageInfo { base: "/job-files/x".into(), suffixes: vec!["last-rendered.jpg".into()] },
//! };
//! let rooms: Vec<Room> = notify::last_rendered(image).deliveries().iter().map(|d| d.room).collect();
//! assert_eq!(rooms, [Room::Job(job), Room::LastRendered]);
//! ```

mod chat;
mod farm_status;
mod jobs;
mod last_rendered;
mod lifecycle;
mod tasks;
mod worker_tags;
mod workers;

use std::sync::Arc;

pub use chat::{CHAT_ACK, chat_message};
pub use farm_status::farm_status;
pub use jobs::{job_created, job_deleted, job_updated};
pub use last_rendered::last_rendered;
pub use lifecycle::{manager_shutdown, manager_startup};
pub use tasks::{task_log, task_updated};
pub use worker_tags::{worker_tag_deleted, worker_tag_updated};
pub use workers::{worker_created, worker_deleted, worker_updated};

use crate::{BroadcastError, Broadcaster, Room, Update};

/// One update for one room.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// Who receives it.
    pub room: Room,
    /// What they receive.
    pub update: Update,
}

/// What a rule decided: deliveries to make, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    deliveries: Vec<Delivery>,
}

impl Notification {
    fn to(room: Room, update: Update) -> Self {
        Notification { deliveries: vec![Delivery { room, update }] }
    }

    fn then(mut self, room: Room) -> Self {
        let update = self.deliveries[0].update.clone();
        self.deliveries.push(Delivery { room, update });
        self
    }

    /// The deliveries, in the order they are made.
    pub fn deliveries(&self) -> &[Delivery] {
        &self.deliveries
    }

    /// The deliveries, in the order they are made.
    pub fn into_deliveries(self) -> Vec<Delivery> {
        self.deliveries
    }
}

/// Sends [`Notification`]s through a [`Broadcaster`].
///
/// Callers hold one per transport and hand it the rule that names what happened; here the
/// transport is the in-memory recorder of [`testing`](crate::testing):
///
/// ```
/// use std::sync::Arc;
///
/// use broadcast_core::testing::InMemoryBroadcaster;
/// use broadcast_core::{ChatMessage, Event, Notifier, Room, notify};
/// use serde_json::json;
///
/// let recorder = Arc::new(InMemoryBroadcaster::new());
/// let notifier = Notifier::new(recorder.clone());
/// let message = ChatMessage { name: "farm".into(), text: "render done".into() };
/// futures_executor::block_on(notifier.send(notify::chat_message(message)))?;
/// assert_eq!(recorder.events(Room::Chat), [(Event::Message, json!({"name": "farm", "text": "render done"}))]);
/// assert!(recorder.received(Room::Jobs).is_empty());
/// # Ok::<(), broadcast_core::BroadcastError>(())
/// ```
#[derive(Clone)]
pub struct Notifier {
    broadcaster: Arc<dyn Broadcaster>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").finish_non_exhaustive()
    }
}

impl Notifier {
    /// A notifier that sends through `broadcaster`.
    pub fn new(broadcaster: Arc<dyn Broadcaster>) -> Self {
        Notifier { broadcaster }
    }

    /// Makes every delivery of `notification`, in order, each after the previous returned.
    pub async fn send(&self, notification: Notification) -> Result<(), BroadcastError> {
        let mut first_error = None;
        for Delivery { room, update } in notification.deliveries {
            if let Err(e) = self.broadcaster.broadcast(room, &update).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
