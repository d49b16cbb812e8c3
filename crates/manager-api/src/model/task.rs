//! `Task`: one unit of work of a job, executed by one worker.

pub use broadcast_core::TaskWorker;
use broadcast_core::{TaskStatus, TaskUpdate, Timestamp};
use serde::Serialize;
use uuid::Uuid;

use super::Command;

/// `Task` of the REST API.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Task {
    /// The task's UUID.
    pub id: Uuid,
    /// The job it belongs to.
    pub job_id: Uuid,
    /// The task's name, e.g. `render-1-3`.
    pub name: String,
    /// Where the task is in its life cycle.
    pub status: TaskStatus,
    /// Priority among the job's tasks.
    pub priority: i32,
    /// The kind of worker capability it needs: `blender`, `ffmpeg`, `misc`, ...
    pub task_type: String,
    /// What the task is doing, as its worker last said.
    pub activity: String,
    /// What the worker runs.
    pub commands: Vec<Command>,
    /// When the task was created.
    pub created: Timestamp,
    /// When the task last changed.
    pub updated: Timestamp,
    /// The worker it is assigned to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<TaskWorker>,
    /// When a worker last worked on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_touched: Option<Timestamp>,
    /// Workers on which it failed.
    pub failed_by_workers: Vec<TaskWorker>,
    /// Its position in its job, from 1, in the order the job type created the tasks.
    pub index_in_job: u32,
    /// Steps of its work done so far, as its worker last said (all of them once it
    /// completed; none once it is queued again).
    pub steps_completed: u32,
    /// Steps of its work in all: the frames a render task renders, 1 for other tasks.
    pub steps_total: u32,
    /// Tasks of the same job that must complete before this one may run. Not part of the
    /// REST schema.
    #[serde(skip)]
    pub depends_on: Vec<Uuid>,
}

impl Task {
    /// The `SocketIOTaskUpdate` describing the task as it is now, with the status it had
    /// before this change.
    pub fn to_update(&self, previous_status: Option<TaskStatus>) -> TaskUpdate {
        TaskUpdate {
            id: self.id,
            job_id: self.job_id,
            name: self.name.clone(),
            updated: self.updated,
            status: self.status,
            previous_status,
            activity: self.activity.clone(),
            worker: self.worker.clone(),
            steps_completed: Some(self.steps_completed),
            steps_total: Some(self.steps_total),
        }
    }

    /// Whether the task is assigned to the worker `worker_id`.
    pub fn is_assigned_to(&self, worker_id: Uuid) -> bool {
        self.worker.as_ref().is_some_and(|w| w.id == worker_id)
    }
}
