//! The task service: fetch a task, let a person change its status, and take a worker's
//! progress reports (`notify::task_updated`, `notify::task_log`, and `notify::job_updated`
//! when the job's status follows).

use broadcast_core::notify;
use broadcast_core::{TaskLogUpdate, TaskStatus};
use uuid::Uuid;

use crate::jobs::{change_task_status, count_job_steps, job_steps_changed};
use crate::model::{Task, Worker};
use crate::schema::WorkerTaskUpdate;
use crate::state_machine::{check_task_status_change, check_worker_task_status};
use crate::{Error, Manager, failures, now};

impl Manager {
    /// The task `task_id`.
    pub fn task(&self, task_id: Uuid) -> Result<Task, Error> {
        self.storage().task(task_id)?.ok_or(Error::task_not_found(task_id))
    }

    /// A person sets the task to `status`: broadcasts the task update with its previous
    /// status, and the job update when the job's status follows. A task put back to
    /// `queued`, `canceled` or `paused` is taken from its worker, whose further reports on
    /// it are then refused.
    pub async fn set_task_status(
        &self,
        task_id: Uuid,
        status: TaskStatus,
        reason: &str,
    ) -> Result<(), Error> {
        let (notifications, _order) = self
            .change(|storage| {
                let mut task = storage.task(task_id)?.ok_or(Error::task_not_found(task_id))?;
                check_task_status_change(task.status, status)?;
                if matches!(status, TaskStatus::Queued | TaskStatus::Canceled | TaskStatus::Paused) {
                    task.worker = None;
                }
                if status == TaskStatus::Queued {
                    task.failed_by_workers.clear();
                }
                task.activity = format!("Status set by request: {reason}");
                change_task_status(storage, task, status, now())
            })
            .await?;
        self.send_all(notifications).await;
        Ok(())
    }

    /// `worker` reports on the task it executes: a new status, activity, steps done or log
    /// lines. Broadcasts a task update when the status, the activity or the steps changed
    /// (with the previous status when that changed), the job update when the job's status
    /// or steps follow, and the log lines as a task log chunk. More steps than the task has
    /// are refused (400). A reported failure goes through the failure rules
    /// (`failures.rs`): the task may become `soft-failed` instead, and the worker may be
    /// blocklisted for the job's tasks of that type.
    pub async fn worker_task_update(
        &self,
        worker: &Worker,
        task_id: Uuid,
        update: WorkerTaskUpdate,
    ) -> Result<(), Error> {
        let policy = self.options().failures;
        let (notifications, _order) = self
            .change(|storage| {
                let mut task = storage.task(task_id)?.ok_or(Error::task_not_found(task_id))?;
                let job_id = task.job_id;
                if !task.is_assigned_to(worker.id) {
                    return Err(Error::conflict(format!(
                        "task {task_id} is not assigned to worker {}",
                        worker.id
                    )));
                }
                if let Some(status) = update.task_status {
                    check_worker_task_status(task.status, status)?;
                }
                if let Some(steps) = update.steps_completed
                    && steps > task.steps_total
                {
                    return Err(Error::invalid(format!(
                        "steps_completed {steps} is more than the task's steps_total {}",
                        task.steps_total
                    )));
                }
                let now = now();
                task.last_touched = Some(now);
                let activity_changed = update.activity.as_ref().is_some_and(|a| *a != task.activity);
                if let Some(activity) = update.activity {
                    task.activity = activity;
                }
                let steps_changed = update.steps_completed.is_some_and(|s| s != task.steps_completed);
                if let Some(steps) = update.steps_completed {
                    task.steps_completed = steps;
                }
                let mut notifications = Vec::new();
                let mut failure_note = String::new();
                match update.task_status {
                    Some(TaskStatus::Failed) if task.status != TaskStatus::Failed => {
                        let (sent, note) = failures::task_failed(storage, policy, worker, task, now)?;
                        notifications.extend(sent);
                        failure_note = note;
                    }
                    Some(status) if status != task.status => {
                        notifications.extend(change_task_status(storage, task, status, now)?);
                    }
                    _ => {
                        if activity_changed || steps_changed {
                            task.updated = now;
                            notifications.push(notify::task_updated(task.to_update(None)));
                        }
                        storage.put_task(task)?;
                        if steps_changed && let Some(mut job) = storage.job(job_id)? {
                            count_job_steps(storage, &mut job)?;
                            notifications.push(job_steps_changed(storage, job, now)?);
                        }
                    }
                }
                if let Some(mut stored) = storage.worker(worker.id)? {
                    stored.last_seen = Some(now);
                    storage.put_worker(stored)?;
                }
                if let Some(log) = update.log.filter(|l| !l.is_empty()) {
                    // Last, so that a refused change never leaves a chunk in the log.
                    storage.append_task_log(job_id, task_id, &log)?;
                    notifications.push(notify::task_log(TaskLogUpdate { task_id, log }));
                }
                // What the manager made of a failure follows the worker's own lines.
                notifications.extend(failures::append_note(storage, job_id, task_id, failure_note)?);
                Ok(notifications)
            })
            .await?;
        self.send_all(notifications).await;
        Ok(())
    }
}
