//! The job service: submit, fetch, change priority or status, delete. Each change is read,
//! change, store, broadcast (`notify::job_*`).

use broadcast_core::notify::{self, Notification};
use broadcast_core::{JobStatus, TaskStatus};
use uuid::Uuid;

use crate::model::{Job, Task};
use crate::schema::SubmittedJob;
use crate::state_machine::{
    JobStatusPlan, job_status_after_task_change, plan_after_restart, plan_job_status_change, status_name,
};
use crate::{Error, Manager, Storage, job_types, now};

/// Job priorities are 0 to 100.
pub(crate) fn check_priority(priority: i32) -> Result<(), Error> {
    if (0..=100).contains(&priority) {
        Ok(())
    } else {
        Err(Error::invalid(format!("priority must be between 0 and 100, got {priority}")))
    }
}

impl Manager {
    /// Compiles `submitted` with its job type (refused with 412 when its `type_etag` is
    /// not the job type's, see [`job_types::AvailableJobType`]), stores its tasks and then the job (queued),
    /// and broadcasts the new job once its tasks exist.
    pub async fn submit_job(&self, submitted: SubmittedJob) -> Result<Job, Error> {
        check_priority(submitted.priority)?;
        if submitted.name.trim().is_empty() {
            return Err(Error::invalid("the job name must not be empty"));
        }
        let worker_tag = match submitted.worker_tag.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<Uuid>()
                    .map_err(|_| Error::invalid(format!("worker_tag {text:?} is not a UUID")))?,
            ),
        };
        job_types::check_etag(&submitted.job_type, submitted.type_etag.as_deref())?;
        let compiled = job_types::compile(&submitted.job_type, &submitted.settings)?;

        let (job, _order) = self
            .change(|storage| {
                if let Some(tag) = worker_tag
                    && storage.worker_tag(tag)?.is_none()
                {
                    return Err(Error::invalid(format!("worker tag {tag} does not exist")));
                }
                let now = now();
                let job = Job {
                    id: Uuid::new_v4(),
                    name: submitted.name,
                    job_type: submitted.job_type,
                    type_etag: submitted.type_etag,
                    priority: submitted.priority,
                    settings: submitted.settings,
                    metadata: submitted.metadata,
                    submitter_platform: submitted.submitter_platform,
                    storage: submitted.storage,
                    worker_tag,
                    created: now,
                    updated: now,
                    status: JobStatus::Queued,
                    activity: format!("Queued with {} tasks", compiled.len()),
                    delete_requested_at: None,
                    steps_completed: 0,
                    steps_total: compiled.iter().map(|t| t.steps).sum(),
                };
                let ids: Vec<Uuid> = compiled.iter().map(|_| Uuid::new_v4()).collect();
                for (index, (compiled, id)) in (1..).zip(compiled.into_iter().zip(&ids)) {
                    storage.put_task(Task {
                        id: *id,
                        job_id: job.id,
                        name: compiled.name,
                        status: TaskStatus::Queued,
                        priority: 50,
                        task_type: compiled.task_type,
                        activity: String::new(),
                        commands: compiled.commands,
                        created: now,
                        updated: now,
                        worker: None,
                        last_touched: None,
                        failed_by_workers: Vec::new(),
                        index_in_job: index,
                        steps_completed: 0,
                        steps_total: compiled.steps,
                        depends_on: compiled.depends_on.iter().filter_map(|i| ids.get(*i).copied()).collect(),
                    })?;
                }
                storage.put_job(job.clone())?;
                Ok(job)
            })
            .await?;
        self.send(notify::job_created(job.to_update(None, false))).await;
        Ok(job)
    }

    /// Every job, in submission order.
    pub fn jobs(&self) -> Result<Vec<Job>, Error> {
        Ok(self.storage().jobs()?)
    }

    /// The job `job_id`.
    pub fn job(&self, job_id: Uuid) -> Result<Job, Error> {
        self.storage().job(job_id)?.ok_or(Error::job_not_found(job_id))
    }

    /// The tasks of the job `job_id`, in the order its job type created them.
    pub fn job_tasks(&self, job_id: Uuid) -> Result<Vec<Task>, Error> {
        self.job(job_id)?;
        Ok(self.storage().tasks_of_job(job_id)?)
    }

    /// Sets the job's priority (0 to 100) and broadcasts the job update.
    pub async fn set_job_priority(&self, job_id: Uuid, priority: i32) -> Result<(), Error> {
        check_priority(priority)?;
        let (job, _order) = self
            .change(|storage| {
                let mut job = storage.job(job_id)?.ok_or(Error::job_not_found(job_id))?;
                job.priority = priority;
                job.updated = now();
                storage.put_job(job.clone())?;
                Ok(job)
            })
            .await?;
        self.send(notify::job_updated(job.to_update(None, false))).await;
        Ok(())
    }

    /// Asks the job to go to `status` (see [`plan_job_status_change`]). Broadcasts the job
    /// update with its previous status; when tasks change with it, the job then ends in
    /// its final status with one more job update carrying `refresh_tasks: true` instead of
    /// one `/task` update per task. A job asked to pause while tasks are active stays
    /// `pause-requested` (one update, with `refresh_tasks`) until the last of them ends.
    pub async fn set_job_status(&self, job_id: Uuid, status: JobStatus, reason: &str) -> Result<(), Error> {
        let (notifications, _order) = self
            .change(|storage| {
                let mut job = storage.job(job_id)?.ok_or(Error::job_not_found(job_id))?;
                let plan = plan_job_status_change(job.status, status)?;
                let statuses: Vec<TaskStatus> =
                    storage.tasks_of_job(job_id)?.iter().map(|t| t.status).collect();
                let ends = plan.ends_with(&statuses);
                let previous = job.status;
                let now = now();
                job.status = plan.requested;
                job.activity = format!("Status changed to {} by request: {reason}", status_name(status));
                job.updated = now;
                let mut notifications = Vec::new();
                let in_between = plan.requested != ends;
                if in_between {
                    storage.put_job(job.clone())?;
                    notifications.push(notify::job_updated(job.to_update(Some(previous), false)));
                }
                if status == JobStatus::Requeueing {
                    // A fresh start: every worker may try the job's tasks again.
                    crate::failures::clear_job_blocklist(storage, job_id)?;
                }
                let before_end = job.status;
                let tasks_changed = carry_out(storage, &mut job, &plan, ends, now)?;
                let previous = if in_between { before_end } else { previous };
                notifications.push(notify::job_updated(job.to_update(Some(previous), tasks_changed)));
                Ok(notifications)
            })
            .await?;
        self.send_all(notifications).await;
        Ok(())
    }

    /// Finishes what a previous run of the manager left half-done, as Flamenco does at
    /// startup: each job still `cancel-requested` or `requeueing` has its tasks changed
    /// and ends `canceled` or `queued`; one still `pause-requested` has its queued tasks
    /// paused and ends `paused` unless a task is still active (see [`plan_after_restart`]). Broadcasts each job
    /// update; returns how many jobs were finished.
    pub async fn finish_interrupted_jobs(&self) -> Result<usize, Error> {
        let (notifications, _order) = self
            .change(|storage| {
                let mut notifications = Vec::new();
                for mut job in storage.jobs()? {
                    let statuses: Vec<TaskStatus> = storage.tasks_of_job(job.id)?.iter().map(|t| t.status).collect();
                    let Some(plan) = plan_after_restart(job.status, &statuses) else {
                        continue;
                    };
                    let ends = plan.ends_with(&statuses);
                    let nothing_to_do = ends == job.status && !statuses.iter().any(|s| plan.tasks_from.contains(s));
                    if nothing_to_do {
                        // A pausing job whose tasks are all paused or active: it waits for them.
                        continue;
                    }
                    let previous = job.status;
                    let now = now();
                    job.activity = format!("Status changed to {} after the manager restarted", status_name(ends));
                    job.updated = now;
                    let tasks_changed = carry_out(storage, &mut job, &plan, ends, now)?;
                    tracing::info!(job = %job.id, from = status_name(previous), to = status_name(job.status), "finished a job status change interrupted by a restart");
                    notifications.push(notify::job_updated(job.to_update(Some(previous), tasks_changed)));
                }
                Ok(notifications)
            })
            .await?;
        let finished = notifications.len();
        self.send_all(notifications).await;
        Ok(finished)
    }

    /// Deletes the job and its tasks: broadcasts the job with `delete_requested_at`, then
    /// the deleted job.
    pub async fn delete_job(&self, job_id: Uuid) -> Result<(), Error> {
        let (notifications, _order): (Vec<Notification>, _) = self
            .change(|storage| {
                let mut job = storage.job(job_id)?.ok_or(Error::job_not_found(job_id))?;
                let requested = now();
                job.delete_requested_at = Some(requested);
                job.updated = requested;
                job.activity = "Deletion requested".to_owned();
                storage.put_job(job.clone())?;
                let requested_update = job.to_update(None, false);
                storage.remove_job(job_id)?;
                Ok(vec![
                    notify::job_updated(requested_update.clone()),
                    notify::job_deleted(requested_update, now()),
                ])
            })
            .await?;
        self.send_all(notifications).await;
        Ok(())
    }
}

/// Changes the job's tasks as `plan` says, then stores the job in its final status `ends`.
/// Returns whether any task changed.
fn carry_out(
    storage: &dyn Storage,
    job: &mut Job,
    plan: &JobStatusPlan,
    ends: JobStatus,
    now: broadcast_core::Timestamp,
) -> Result<bool, Error> {
    let mut tasks_changed = false;
    for mut task in storage.tasks_of_job(job.id)? {
        if plan.tasks_from.contains(&task.status) && task.status != plan.tasks_to {
            task.status = plan.tasks_to;
            task.updated = now;
            if plan.tasks_to == TaskStatus::Queued {
                task.worker = None;
                task.failed_by_workers.clear();
                task.steps_completed = 0;
            }
            if plan.tasks_to == TaskStatus::Canceled {
                task.worker = None;
            }
            storage.put_task(task)?;
            tasks_changed = true;
        }
    }
    job.status = ends;
    count_job_steps(storage, job)?;
    storage.put_job(job.clone())?;
    Ok(tasks_changed)
}

/// Changes `task` to `status`, stores it, lets its job follow, and returns the task update
/// (with the previous status) and, when the job's status changed, the job update.
pub(crate) fn change_task_status(
    storage: &dyn Storage,
    mut task: Task,
    status: TaskStatus,
    now: broadcast_core::Timestamp,
) -> Result<Vec<Notification>, Error> {
    let previous = task.status;
    task.status = status;
    task.updated = now;
    match status {
        TaskStatus::Completed => task.steps_completed = task.steps_total,
        TaskStatus::Queued => task.steps_completed = 0,
        _ => {}
    }
    let mut notifications = vec![notify::task_updated(task.to_update(Some(previous)))];
    let job_id = task.job_id;
    storage.put_task(task)?;
    if let Some(mut job) = storage.job(job_id)? {
        let statuses: Vec<TaskStatus> = storage.tasks_of_job(job_id)?.iter().map(|t| t.status).collect();
        let steps_changed = count_job_steps(storage, &mut job)?;
        if let Some(next) = job_status_after_task_change(job.status, status, &statuses) {
            notifications.push(set_job_status_following_tasks(storage, job, next, now)?);
        } else if steps_changed {
            notifications.push(job_steps_changed(storage, job, now)?);
        }
    }
    Ok(notifications)
}

/// Sets the job's step counts to the sums of its tasks'; returns whether they changed.
pub(crate) fn count_job_steps(storage: &dyn Storage, job: &mut Job) -> Result<bool, Error> {
    let tasks = storage.tasks_of_job(job.id)?;
    let completed = tasks.iter().map(|t| t.steps_completed).fold(0u32, u32::saturating_add);
    let total = tasks.iter().map(|t| t.steps_total).fold(0u32, u32::saturating_add);
    let changed = (completed, total) != (job.steps_completed, job.steps_total);
    job.steps_completed = completed;
    job.steps_total = total;
    Ok(changed)
}

/// Stores the job whose step counts changed and returns its update, so that the jobs
/// list's progress follows the tasks'.
pub(crate) fn job_steps_changed(
    storage: &dyn Storage,
    mut job: Job,
    now: broadcast_core::Timestamp,
) -> Result<Notification, Error> {
    job.updated = now;
    storage.put_job(job.clone())?;
    Ok(notify::job_updated(job.to_update(None, false)))
}

fn set_job_status_following_tasks(
    storage: &dyn Storage,
    mut job: Job,
    status: JobStatus,
    now: broadcast_core::Timestamp,
) -> Result<Notification, Error> {
    let previous = job.status;
    job.status = status;
    job.updated = now;
    job.activity = format!("Status follows its tasks: {}", status_name(status));
    storage.put_job(job.clone())?;
    Ok(notify::job_updated(job.to_update(Some(previous), false)))
}
