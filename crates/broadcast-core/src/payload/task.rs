//! `SocketIOTaskUpdate` and `SocketIOTaskLogUpdate`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{TaskStatus, Timestamp};

/// `SocketIOTaskUpdate`: the part of a task that a job's task list shows, sent as `/task`
/// to the task's job room.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskUpdate {
    /// The task's UUID.
    pub id: Uuid,
    /// The UUID of the job the task belongs to; decides the room.
    pub job_id: Uuid,
    /// The task's name.
    pub name: String,
    /// When the task last changed.
    pub updated: Timestamp,
    /// The task's status now.
    pub status: TaskStatus,
    /// The status before this change; absent for a new task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<TaskStatus>,
    /// What the task is doing, as its worker last said.
    pub activity: String,
    /// The worker the task is assigned to, once it is (Flamenco 3.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<TaskWorker>,
    /// Steps of the task's work done so far (Flamenco 3.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps_completed: Option<u32>,
    /// Steps of the task's work in all (Flamenco 3.9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps_total: Option<u32>,
}

/// `TaskWorker`: the worker a task is assigned to, as tasks and their updates name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskWorker {
    /// The worker's UUID.
    pub id: Uuid,
    /// The worker's name.
    pub name: String,
    /// The worker's network address.
    pub address: String,
}

/// `SocketIOTaskLogUpdate`: a chunk of a task's log, sent as `/tasklog` to the task's log room.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskLogUpdate {
    /// The task's UUID; decides the room.
    pub task_id: Uuid,
    /// One or more lines of log text.
    pub log: String,
}
