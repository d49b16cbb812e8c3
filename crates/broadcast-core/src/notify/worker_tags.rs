//! Worker-tag notifications: everything goes to `WorkerTags` as `/workertags`.

use crate::{Room, Update, WorkerTag, WorkerTagUpdate};

use super::Notification;

/// A worker tag was created or changed.
pub fn worker_tag_updated(tag: WorkerTag) -> Notification {
    Notification::to(Room::WorkerTags, Update::WorkerTag(WorkerTagUpdate { tag, was_deleted: false }))
}

/// A worker tag was deleted: `{tag, was_deleted: true}`. `tag` holds its id and its last
/// known name and description, so the payload still carries the schema's required `name`.
pub fn worker_tag_deleted(tag: WorkerTag) -> Notification {
    Notification::to(Room::WorkerTags, Update::WorkerTag(WorkerTagUpdate { tag, was_deleted: true }))
}
