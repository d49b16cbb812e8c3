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

mod chat;
mod jobs;
mod last_rendered;
mod tasks;
mod worker_tags;
mod workers;

use std::sync::Arc;

pub use chat::{CHAT_ACK, chat_message};
pub use jobs::{job_created, job_deleted, job_updated};
pub use last_rendered::last_rendered;
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
