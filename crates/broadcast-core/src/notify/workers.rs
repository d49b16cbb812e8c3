//! Worker notifications: everything goes to `Workers` as `/workers`.

use crate::{Room, Timestamp, Update, WorkerUpdate};

use super::Notification;

/// A worker registered. `previous_status` is removed: a new worker had none.
pub fn worker_created(mut worker: WorkerUpdate) -> Notification {
    worker.previous_status = None;
    Notification::to(Room::Workers, Update::Worker(worker))
}

/// A worker changed: signed on or off, changed status, or was asked to (`status_change`).
pub fn worker_updated(worker: WorkerUpdate) -> Notification {
    Notification::to(Room::Workers, Update::Worker(worker))
}

/// A worker was deleted; `deleted_at` is set to the deletion time.
pub fn worker_deleted(mut worker: WorkerUpdate, deleted_at: Timestamp) -> Notification {
    worker.deleted_at = Some(deleted_at);
    Notification::to(Room::Workers, Update::Worker(worker))
}
