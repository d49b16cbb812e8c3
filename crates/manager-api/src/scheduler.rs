//! The scheduler: which task a worker asking for work gets.
//!
//! The highest-priority runnable job first, then the oldest; within it, the first queued
//! (or soft-failed) task, in creation order, whose dependencies have completed, whose task
//! type the worker supports, which has not failed on this worker and whose task type the
//! worker is not blocklisted for in that job. A worker that still has an active task gets
//! that one again.

use broadcast_core::{JobStatus, TaskStatus, WorkerStatus};

use crate::failures::is_blocked;
use crate::jobs::change_task_status;
use crate::model::{Job, JobBlock, Task, Worker};
use crate::state_machine::status_name;
use crate::{Error, Manager, now};

/// What a worker asking for work gets.
#[derive(Clone, Debug, PartialEq)]
pub enum Scheduled {
    /// This task, now assigned to it and `active`, of this job.
    Task(Box<Task>, Box<Job>),
    /// Nothing to do right now.
    NothingToDo,
    /// It was asked to change status first (`423` with `WorkerStateChange`).
    ChangeStatus(WorkerStatus),
}

fn runnable(task: &Task, worker: &Worker, tasks: &[Task], blocklist: &[JobBlock]) -> bool {
    matches!(task.status, TaskStatus::Queued | TaskStatus::SoftFailed)
        && worker.supports(&task.task_type)
        && !is_blocked(blocklist, worker.id, &task.task_type)
        && !task.failed_by_workers.iter().any(|w| w.id == worker.id)
        && task
            .depends_on
            .iter()
            .all(|dep| tasks.iter().any(|t| t.id == *dep && t.status == TaskStatus::Completed))
}

impl Manager {
    /// Gives `worker` its next task: assigns it, makes it `active` and broadcasts the task
    /// update, and the job update when the job became `active`. Refused with a conflict
    /// when the worker is not `awake`.
    pub async fn schedule_task(&self, worker: &Worker) -> Result<Scheduled, Error> {
        let ((scheduled, notifications), _order) = self
            .change(|storage| {
                let mut worker = storage.worker(worker.id)?.ok_or(Error::worker_not_found(worker.id))?;
                if let Some(change) = worker.status_change {
                    return Ok((Scheduled::ChangeStatus(change.status), Vec::new()));
                }
                if worker.status != WorkerStatus::Awake {
                    return Err(Error::conflict(format!(
                        "worker {} is {}, not awake; only awake workers get tasks",
                        worker.id,
                        status_name(worker.status)
                    )));
                }
                let now = now();
                worker.last_seen = Some(now);
                storage.put_worker(worker.clone())?;

                let current =
                    storage.tasks_of_worker(worker.id)?.into_iter().find(|t| t.status == TaskStatus::Active);
                if let Some(task) = current
                    && let Some(job) = storage.job(task.job_id)?
                {
                    return Ok((Scheduled::Task(Box::new(task), Box::new(job)), Vec::new()));
                }

                let mut jobs: Vec<Job> = storage
                    .jobs()?
                    .into_iter()
                    .filter(|j| matches!(j.status, JobStatus::Queued | JobStatus::Active))
                    .filter(|j| j.delete_requested_at.is_none())
                    .filter(|j| j.worker_tag.is_none_or(|tag| worker.tags.contains(&tag)))
                    .collect();
                // Stable sort: equal priorities keep submission order, oldest first.
                jobs.sort_by_key(|j| std::cmp::Reverse(j.priority));
                for job in jobs {
                    let tasks = storage.tasks_of_job(job.id)?;
                    let blocklist = storage.job_blocklist(job.id)?;
                    let Some(task) = tasks.iter().find(|t| runnable(t, &worker, &tasks, &blocklist)) else {
                        continue;
                    };
                    let mut task = task.clone();
                    task.worker = Some(worker.task_worker());
                    task.last_touched = Some(now);
                    task.activity = format!("Assigned to worker {}", worker.name);
                    let task_id = task.id;
                    let notifications = change_task_status(storage, task, TaskStatus::Active, now)?;
                    let task = storage.task(task_id)?.ok_or(Error::task_not_found(task_id))?;
                    let job = storage.job(job.id)?.ok_or(Error::job_not_found(job.id))?;
                    return Ok((Scheduled::Task(Box::new(task), Box::new(job)), notifications));
                }
                Ok((Scheduled::NothingToDo, Vec::new()))
            })
            .await?;
        self.send_all(notifications).await;
        Ok(scheduled)
    }
}
