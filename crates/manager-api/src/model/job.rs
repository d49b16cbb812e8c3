//! `Job`: a submitted job, compiled into tasks.

use std::collections::BTreeMap;

use broadcast_core::{JobStatus, JobUpdate, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

/// `Job` of the REST API: the submitted job plus what the manager added.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    /// The job's UUID.
    pub id: Uuid,
    /// The job's name.
    pub name: String,
    /// The job type it was compiled with, e.g. `simple-blender-render`.
    #[serde(rename = "type")]
    pub job_type: String,
    /// The job type's etag as submitted, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub type_etag: Option<String>,
    /// Scheduling priority, 0 to 100; higher runs first.
    pub priority: i32,
    /// The job type's settings as submitted.
    pub settings: Map<String, Value>,
    /// Free-form metadata strings as submitted.
    pub metadata: BTreeMap<String, String>,
    /// The submitter's operating system.
    pub submitter_platform: String,
    /// `JobStorageInfo` as submitted, kept as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<Value>,
    /// The worker tag the job is limited to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_tag: Option<Uuid>,
    /// When the job was submitted.
    pub created: Timestamp,
    /// When the job last changed.
    pub updated: Timestamp,
    /// Where the job is in its life cycle.
    pub status: JobStatus,
    /// What last happened to the job, in words.
    pub activity: String,
    /// When deletion was requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_requested_at: Option<Timestamp>,
    /// Steps of its tasks done so far (see [`Task::steps_completed`](super::Task)).
    pub steps_completed: u32,
    /// Steps of its tasks in all.
    pub steps_total: u32,
}

impl Job {
    /// The `SocketIOJobUpdate` describing the job as it is now. `previous_status` and
    /// `refresh_tasks` say what just changed; the rest comes from the job.
    pub fn to_update(&self, previous_status: Option<JobStatus>, refresh_tasks: bool) -> JobUpdate {
        JobUpdate {
            id: self.id,
            name: Some(self.name.clone()),
            updated: self.updated,
            status: self.status,
            previous_status,
            job_type: self.job_type.clone(),
            priority: self.priority,
            refresh_tasks,
            delete_requested_at: self.delete_requested_at,
            was_deleted: false,
            steps_completed: Some(self.steps_completed),
            steps_total: Some(self.steps_total),
        }
    }
}
