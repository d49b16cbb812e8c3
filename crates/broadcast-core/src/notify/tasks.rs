//! Task notifications: updates go to the task's job room, log chunks to its log room.

use crate::{Room, TaskLogUpdate, TaskUpdate, Update};

use super::Notification;

/// A task changed; sent as `/task` to `job-<job_id>`, so only clients looking at that job
/// receive it.
pub fn task_updated(task: TaskUpdate) -> Notification {
    Notification::to(Room::Job(task.job_id), Update::Task(task))
}

/// A worker sent log lines for a task; sent as `/tasklog` to `tasklog-<task_id>`.
pub fn task_log(chunk: TaskLogUpdate) -> Notification {
    Notification::to(Room::TaskLog(chunk.task_id), Update::TaskLog(chunk))
}
