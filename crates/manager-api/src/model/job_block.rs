//! `JobBlock`: one entry of a job's blocklist.

use uuid::Uuid;

/// The worker `worker_id` may no longer run tasks of type `task_type` of the job `job_id`:
/// it failed too many of them (see the failure rules in `failures.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JobBlock {
    /// The job.
    pub job_id: Uuid,
    /// The worker kept away.
    pub worker_id: Uuid,
    /// The task type it is kept from.
    pub task_type: String,
}
