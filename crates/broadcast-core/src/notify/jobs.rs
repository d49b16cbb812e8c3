//! Job notifications: everything goes to `Jobs` as `/jobs`.

use crate::{JobUpdate, Room, Timestamp, Update};

use super::Notification;

/// A job was submitted. `previous_status` is removed: a new job had none.
///
/// Send it only once the job's tasks exist, so that a client fetching the tasks on seeing
/// the job finds them.
///
/// ```
/// use broadcast_core::{JobStatus, JobUpdate, Room, Update, notify};
///
/// let job = JobUpdate {
///     id: uuid::Uuid::new_v4(),
///     name: Some("my first job".into()),
///     updated: chrono::Utc::now(),
///     status: JobStatus::Queued,
///     previous_status: Some(JobStatus::UnderConstruction),
///     job_type: "echo-sleep-test".into(),
///     priority: 50,
///     refresh_tasks: false,
///     delete_requested_at: None,
///     was_deleted: false,
///     steps_completed: Some(0),
///     steps_total: Some(2),
/// };
/// let deliveries = notify::job_created(job).into_deliveries();
/// assert_eq!(deliveries.len(), 1);
/// assert_eq!(deliveries[0].room, Room::Jobs);
/// let Update::Job(sent) = &deliveries[0].update else { panic!("not a job update") };
/// assert_eq!(sent.previous_status, None);
/// ```
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
