//! Last-rendered image notifications.

use crate::{LastRenderedUpdate, Room, Update};

use super::Notification;

/// A job has a new last-rendered image; sent as `/last-rendered` to `job-<job_id>` first
/// and then to `Last-Rendered`. A client in both rooms receives it twice, as in Flamenco.
pub fn last_rendered(update: LastRenderedUpdate) -> Notification {
    Notification::to(Room::Job(update.job_id), Update::LastRendered(update)).then(Room::LastRendered)
}
