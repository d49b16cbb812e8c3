//! Job notifications: everything goes to `Jobs` as `/jobs`.

use crate::{JobUpdate, Room, Timestamp, Update};

use super::Notification;

/// A job was submitted. `previous_status` is removed: a new job had none.
///
/// Send it only once the job's tasks exist, so that a client fetching the tasks on seeing
/// the job finds them.
pub fn job_created(mut job: JobUpdate) -> Notification {
    job.previous_status = None;
    Notification::to(Room::Jobs, Update::Job(job))
}

/// A job changed: status, priority, deletion request, or a mass change of its tasks
/// (`refresh_tasks`).
pub fn job_updated(job: JobUpdate) -> Notification {
    Notification::to(Room::Jobs, Update::Job(job))
}

/// A job was deleted. `job` holds its last known values, so the payload still carries every
/// field the schema requires; `was_deleted` is set and `updated` becomes `deleted_at`.
pub fn job_deleted(mut job: JobUpdate, deleted_at: Timestamp) -> Notification {
    job.was_deleted = true;
    job.updated = deleted_at;
    Notification::to(Room::Jobs, Update::Job(job))
}
