//! `SocketIOJobUpdate`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{JobStatus, Timestamp, is_false};

/// `SocketIOJobUpdate`: the part of a job that the jobs list shows, sent as `/jobs` to `Jobs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobUpdate {
    /// The job's UUID.
    pub id: Uuid,
    /// The job's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When the job last changed.
    pub updated: Timestamp,
    /// The job's status now.
    pub status: JobStatus,
    /// The status before this change; never sent for a new job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<JobStatus>,
    /// The job type, e.g. `simple-blender-render`.
    #[serde(rename = "type")]
    pub job_type: String,
    /// Scheduling priority, 0 to 100.
    pub priority: i32,
    /// Set for mass changes: the client should fetch all the job's tasks again instead of
    /// waiting for one `/task` update per task.
    pub refresh_tasks: bool,
    /// When deletion of the job was requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_requested_at: Option<Timestamp>,
    /// Set when the job was just deleted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub was_deleted: bool,
    /// Steps of the job's tasks done so far (Flamenco 3.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps_completed: Option<u32>,
    /// Steps of the job's tasks in all (Flamenco 3.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps_total: Option<u32>,
}
