//! The JSON bodies of Flamenco's REST operations that are not stored things: what clients
//! send (`SubmittedJob`, `JobPriorityChange`, ...) and the response shapes built from the
//! model (`JobTasksSummary`, `RegisteredWorker`, `AssignedTask`, ...). Field names follow
//! Flamenco's OpenAPI file exactly, `taskStatus` included.
//!
//! Unknown fields are ignored, as Flamenco's clients may send more than this subset knows.

use std::collections::BTreeMap;

use broadcast_core::{JobStatus, TaskStatus, Timestamp, WorkerStatus};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::model::{Command, Job, Task, TaskWorker, Worker};

pub use broadcast_core::{WorkerStatusChangeRequest, WorkerTag};

fn default_priority() -> i32 {
    50
}

/// `SubmittedJob`: a job to compile and queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmittedJob {
    /// The job's name.
    pub name: String,
    /// The job type to compile it with.
    #[serde(rename = "type")]
    pub job_type: String,
    /// The job type's etag when the client knew it; a different one than the job type's
    /// is refused with 412.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_etag: Option<String>,
    /// Scheduling priority, 0 to 100; 50 when omitted.
    #[serde(default = "default_priority")]
    pub priority: i32,
    /// The job type's settings.
    #[serde(default)]
    pub settings: Map<String, Value>,
    /// Free-form metadata strings.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The submitter's operating system.
    pub submitter_platform: String,
    /// `JobStorageInfo`, kept as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Value>,
    /// The worker tag to limit the job to; empty means none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_tag: Option<String>,
}

/// `JobPriorityChange`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobPriorityChange {
    /// The new priority, 0 to 100.
    pub priority: i32,
}

/// `JobStatusChange`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobStatusChange {
    /// The status asked for.
    pub status: JobStatus,
    /// Why, in words.
    pub reason: String,
}

/// `TaskStatusChange`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskStatusChange {
    /// The status asked for.
    pub status: TaskStatus,
    /// Why, in words.
    pub reason: String,
}

/// `JobTasksSummary`: every task of a job, briefly.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobTasksSummary {
    /// The tasks, in the order the job type created them.
    pub tasks: Vec<TaskSummary>,
}

/// `TaskSummary`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TaskSummary {
    /// The task's UUID.
    pub id: Uuid,
    /// Its position in its job, from 1.
    pub index_in_job: u32,
    /// The worker it is assigned to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<TaskWorker>,
    /// Steps of its work done so far.
    pub steps_completed: u32,
    /// Steps of its work in all.
    pub steps_total: u32,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: TaskStatus,
    /// Its priority.
    pub priority: i32,
    /// Its task type.
    pub task_type: String,
    /// When it last changed.
    pub updated: Timestamp,
}

impl From<&Task> for TaskSummary {
    fn from(task: &Task) -> Self {
        TaskSummary {
            id: task.id,
            index_in_job: task.index_in_job,
            worker: task.worker.clone(),
            steps_completed: task.steps_completed,
            steps_total: task.steps_total,
            name: task.name.clone(),
            status: task.status,
            priority: task.priority,
            task_type: task.task_type.clone(),
            updated: task.updated,
        }
    }
}

/// `WorkerRegistration`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerRegistration {
    /// The password the worker will use.
    pub secret: String,
    /// Its operating system.
    pub platform: String,
    /// Task types it can execute.
    pub supported_task_types: Vec<String>,
    /// Its name.
    pub name: String,
    /// Its software version (in the schema's example, not its properties).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
}

/// `RegisteredWorker`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegisteredWorker {
    /// The worker's UUID, its basic-auth user name from now on.
    pub uuid: Uuid,
    /// Its name.
    pub name: String,
    /// Where it registered from.
    pub address: String,
    /// Its status: `offline` until it signs on.
    pub status: WorkerStatus,
    /// Its operating system.
    pub platform: String,
    /// Its software version.
    pub software: String,
    /// Task types it can execute.
    pub supported_task_types: Vec<String>,
}

impl From<&Worker> for RegisteredWorker {
    fn from(worker: &Worker) -> Self {
        RegisteredWorker {
            uuid: worker.id,
            name: worker.name.clone(),
            address: worker.address.clone(),
            status: worker.status,
            platform: worker.platform.clone(),
            software: worker.software.clone(),
            supported_task_types: worker.supported_task_types.clone(),
        }
    }
}

/// `WorkerSignOn`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerSignOn {
    /// The worker's name, possibly changed since registration.
    pub name: String,
    /// Task types it can execute.
    pub supported_task_types: Vec<String>,
    /// Its software version.
    pub software_version: String,
    /// Whether it can restart itself.
    #[serde(default)]
    pub can_restart: bool,
}

/// `WorkerStateChange`: what the manager wants the worker to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerStateChange {
    /// The status to go to.
    pub status_requested: WorkerStatus,
}

/// `WorkerStateChanged`: what the worker now does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerStateChanged {
    /// Its new status.
    pub status: WorkerStatus,
}

/// `TaskUpdate` (the REST one, from a worker; not `SocketIOTaskUpdate`). Every field is
/// optional and an omitted one changes nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerTaskUpdate {
    /// The task's new status.
    #[serde(rename = "taskStatus", default, skip_serializing_if = "Option::is_none")]
    pub task_status: Option<TaskStatus>,
    /// What is happening now, replacing the previous activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<String>,
    /// Log lines to append.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// Steps of the task's work done so far; at most its `steps_total`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps_completed: Option<u32>,
}

/// `AssignedTask`: a task as the worker receives it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AssignedTask {
    /// The task's UUID.
    pub uuid: Uuid,
    /// The job's UUID.
    pub job: String,
    /// The task's name.
    pub name: String,
    /// Its status (`active` once assigned).
    pub status: TaskStatus,
    /// Its priority.
    pub priority: i32,
    /// Its job's priority.
    pub job_priority: i32,
    /// Its job's type.
    pub job_type: String,
    /// Its task type.
    pub task_type: String,
    /// What to run.
    pub commands: Vec<Command>,
}

impl AssignedTask {
    /// The task `task` of `job`, as sent to the worker executing it.
    pub fn new(task: &Task, job: &Job) -> Self {
        AssignedTask {
            uuid: task.id,
            job: job.id.to_string(),
            name: task.name.clone(),
            status: task.status,
            priority: task.priority,
            job_priority: job.priority,
            job_type: job.job_type.clone(),
            task_type: task.task_type.clone(),
            commands: task.commands.clone(),
        }
    }
}

/// `TaskLogInfo`: where a task's log can be downloaded, and its size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskLogInfo {
    /// The task's UUID.
    pub task_id: Uuid,
    /// Its job's UUID.
    pub job_id: Uuid,
    /// The URL path that serves the whole log.
    pub url: String,
    /// The log's size in bytes.
    pub size: u64,
}

/// `JobsQueryResult`: every job.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobsQueryResult {
    /// The jobs, in submission order.
    pub jobs: Vec<Job>,
}

/// `WorkerSummary`: what the workers list shows of a worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkerSummary {
    /// The worker's UUID.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// What it is doing.
    pub status: WorkerStatus,
    /// A status change asked of it and not yet done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_change: Option<WorkerStatusChangeRequest>,
    /// When the manager last heard from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// Its software version.
    pub version: String,
    /// Whether it can restart itself.
    pub can_restart: bool,
}

impl From<&Worker> for WorkerSummary {
    fn from(worker: &Worker) -> Self {
        WorkerSummary {
            id: worker.id,
            name: worker.name.clone(),
            status: worker.status,
            status_change: worker.status_change,
            last_seen: worker.last_seen,
            version: worker.software.clone(),
            can_restart: worker.can_restart,
        }
    }
}

/// `WorkerList`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkerList {
    /// Every worker, in registration order.
    pub workers: Vec<WorkerSummary>,
}

/// `WorkerTask`: the task a worker is executing, with its job.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkerTask {
    /// The task, briefly.
    #[serde(flatten)]
    pub summary: TaskSummary,
    /// Its job's UUID.
    pub job_id: Uuid,
}

/// `Worker`: everything about one worker (its secret excepted).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkerDetails {
    /// What the list shows.
    #[serde(flatten)]
    pub summary: WorkerSummary,
    /// Where it connects from.
    pub ip_address: String,
    /// Its operating system.
    pub platform: String,
    /// Task types it can execute.
    pub supported_task_types: Vec<String>,
    /// The task it is executing, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<WorkerTask>,
    /// The tags it belongs to.
    pub tags: Vec<WorkerTag>,
}

/// `WorkerTagList`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkerTagList {
    /// Every tag, in creation order.
    pub tags: Vec<WorkerTag>,
}

/// `JobLastRenderedImageInfo`, for `GET /api/v3/jobs/{job_id}/last-rendered`.
pub use broadcast_core::LastRenderedImageInfo;

/// `FlamencoVersion`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlamencoVersion {
    /// Version for humans.
    pub version: String,
    /// Short version.
    pub shortversion: String,
    /// The manager's name.
    pub name: String,
    /// Git description of the build.
    pub git: String,
}

impl FlamencoVersion {
    /// This build's version.
    pub fn current() -> Self {
        let version = env!("CARGO_PKG_VERSION").to_owned();
        FlamencoVersion {
            version: version.clone(),
            shortversion: version,
            name: "Flamenco Manager (Rust web updates)".to_owned(),
            git: String::new(),
        }
    }
}

/// `ManagerConfiguration`: what the web app needs to know before it shows anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManagerConfiguration {
    /// The folder job files are kept in; empty when they are kept in memory.
    pub storage_location: String,
    /// Whether the Shaman file transfer API is available: never here.
    pub shaman_enabled: bool,
    /// Whether the manager still has to be set up: never here (it runs from its flags).
    pub is_first_run: bool,
}

/// `JobDeletionInfo`: what deleting a job removes besides the job, its logs and images.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobDeletionInfo {
    /// Whether a Shaman checkout goes with it: never here (there is no Shaman).
    pub shaman_checkout: bool,
}

/// `WorkerTagChangeRequest`: the tags a worker should be a member of.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerTagChangeRequest {
    /// The worker tags' UUIDs.
    pub tag_ids: Vec<Uuid>,
}
