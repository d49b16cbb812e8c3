//! Task failure as Flamenco does it. A worker reports `failed`; whether that is a soft or
//! a hard failure is the manager's to decide:
//!
//! - The worker joins the task's `failed_by_workers`. While fewer workers than
//!   [`FailurePolicy::task_fail_after_softfail_count`] have failed it, the task is
//!   `soft-failed`: another worker may try it (never one that failed it before). Then it is
//!   `failed`, which fails its job.
//! - A worker that has failed [`FailurePolicy::blocklist_threshold`] tasks of one task type
//!   of one job is put on that job's blocklist for that task type: it is not given those
//!   tasks any more, and the tasks of that job it had hard-failed go back to the queue for
//!   others. When no worker is left that could run the task, it is failed (and its job with
//!   it) at once.
//! - Requeueing a job clears its blocklist; `DELETE /api/v3/jobs/{job_id}/blocklist` removes
//!   single entries.
//!
//! What the manager decided is appended to the task's log (and sent as a `/tasklog` chunk).

use broadcast_core::notify::{self, Notification};
use broadcast_core::{TaskLogUpdate, TaskStatus, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::jobs::change_task_status;
use crate::model::{JobBlock, Task, Worker};
use crate::{Error, Manager, Storage};

/// The thresholds of the failure rules (see the module docs), Flamenco's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailurePolicy {
    /// Failed tasks of one type of one job after which a worker is blocklisted for them.
    /// Default 3. At least 1.
    pub blocklist_threshold: u32,
    /// Workers that may fail a task before it is failed for good. Default 3. At least 1
    /// (1: the first failure is a hard one).
    pub task_fail_after_softfail_count: u32,
}

impl Default for FailurePolicy {
    fn default() -> Self {
        FailurePolicy { blocklist_threshold: 3, task_fail_after_softfail_count: 3 }
    }
}

/// `JobBlocklistEntry`: a worker kept from a task type of a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobBlocklistEntry {
    /// The worker's UUID.
    pub worker_id: Uuid,
    /// The task type it is kept from.
    pub task_type: String,
    /// The worker's name; left out when the worker is unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_name: Option<String>,
}

impl Manager {
    /// The blocklist of the job `job_id`, each entry with its worker's name.
    pub fn job_blocklist(&self, job_id: Uuid) -> Result<Vec<JobBlocklistEntry>, Error> {
        self.job(job_id)?;
        let storage = self.storage();
        storage
            .job_blocklist(job_id)?
            .into_iter()
            .map(|b| {
                let worker_name = storage.worker(b.worker_id)?.map(|w| w.name);
                Ok(JobBlocklistEntry { worker_id: b.worker_id, task_type: b.task_type, worker_name })
            })
            .collect()
    }

    /// Removes `entries` from the job's blocklist (entries that are not on it are
    /// skipped): those workers may run those tasks again.
    pub async fn remove_from_job_blocklist(
        &self,
        job_id: Uuid,
        entries: Vec<JobBlocklistEntry>,
    ) -> Result<(), Error> {
        let (removed, _order) = self
            .change(|storage| {
                storage.job(job_id)?.ok_or(Error::job_not_found(job_id))?;
                let mut removed = 0;
                for entry in entries {
                    let block = JobBlock { job_id, worker_id: entry.worker_id, task_type: entry.task_type };
                    removed += usize::from(storage.remove_job_block(&block)?);
                }
                Ok(removed)
            })
            .await?;
        tracing::info!(job = %job_id, removed, "removed entries from a job's blocklist");
        Ok(())
    }
}

/// Empties the job's blocklist (when it is requeued).
pub(crate) fn clear_job_blocklist(storage: &dyn Storage, job_id: Uuid) -> Result<(), Error> {
    for block in storage.job_blocklist(job_id)? {
        storage.remove_job_block(&block)?;
    }
    Ok(())
}

/// Whether `worker` is blocklisted for tasks of `task_type` of the job `job_id`, given
/// that job's blocklist.
pub(crate) fn is_blocked(blocklist: &[JobBlock], worker_id: Uuid, task_type: &str) -> bool {
    blocklist.iter().any(|b| b.worker_id == worker_id && b.task_type == task_type)
}

/// `worker` reported that it failed `task` (stored as it was before): applies the rules of
/// the module docs. Returns the updates to send and the lines for the task's log.
pub(crate) fn task_failed(
    storage: &dyn Storage,
    policy: FailurePolicy,
    worker: &Worker,
    mut task: Task,
    now: Timestamp,
) -> Result<(Vec<Notification>, String), Error> {
    if !task.failed_by_workers.iter().any(|w| w.id == worker.id) {
        task.failed_by_workers.push(worker.task_worker());
    }
    let failed_by = task.failed_by_workers.len();
    let job_id = task.job_id;
    let task_type = task.task_type.clone();
    let tasks = storage.tasks_of_job(job_id)?;
    // This failure is not stored yet: count it on top of the stored ones.
    let failures_here = 1 + tasks
        .iter()
        .filter(|t| t.id != task.id && t.task_type == task_type)
        .filter(|t| t.failed_by_workers.iter().any(|w| w.id == worker.id))
        .count();

    let mut notifications = Vec::new();
    let mut log = String::new();
    if failures_here >= policy.blocklist_threshold as usize {
        storage.add_job_block(&JobBlock { job_id, worker_id: worker.id, task_type: task_type.clone() })?;
        log.push_str(&format!(
            "Worker {} failed {failures_here} tasks of type {task_type:?} of this job and may no longer run them.\n",
            worker.name
        ));
        let blocklist = storage.job_blocklist(job_id)?;
        let left = storage
            .workers()?
            .iter()
            .filter(|w| w.supports(&task_type) && !is_blocked(&blocklist, w.id, &task_type))
            .filter(|w| !task.failed_by_workers.iter().any(|f| f.id == w.id))
            .count();
        if left == 0 {
            log.push_str(&format!(
                "No worker is left that may run tasks of type {task_type:?} of this job: the task fails, and the job with it.\n"
            ));
            task.activity = format!("Failed: no worker is left for tasks of type {task_type:?}");
            notifications.extend(change_task_status(storage, task, TaskStatus::Failed, now)?);
            return Ok((notifications, log));
        }
        for mut failed in tasks.into_iter().filter(|t| t.id != task.id) {
            if failed.status == TaskStatus::Failed && failed.is_assigned_to(worker.id) {
                failed.worker = None;
                failed.activity = format!(
                    "Task was requeued by the manager because worker {} may no longer run tasks of type {task_type:?}",
                    worker.name
                );
                notifications.extend(change_task_status(storage, failed, TaskStatus::Queued, now)?);
            }
        }
    }

    let threshold = policy.task_fail_after_softfail_count as usize;
    let status = if failed_by < threshold {
        let more = threshold - failed_by;
        log.push_str(&format!(
            "Task failed on {failed_by} worker(s): a soft failure, another worker may try it. {more} more failure(s) fail it for good.\n"
        ));
        TaskStatus::SoftFailed
    } else {
        log.push_str(&format!("Task failed on {failed_by} worker(s): it fails for good.\n"));
        TaskStatus::Failed
    };
    notifications.extend(change_task_status(storage, task, status, now)?);
    Ok((notifications, log))
}

/// The `/tasklog` chunk for `log` appended to the task's log, if there is any.
pub(crate) fn append_note(
    storage: &dyn Storage,
    job_id: Uuid,
    task_id: Uuid,
    log: String,
) -> Result<Option<Notification>, Error> {
    if log.is_empty() {
        return Ok(None);
    }
    storage.append_task_log(job_id, task_id, &log)?;
    Ok(Some(notify::task_log(TaskLogUpdate { task_id, log })))
}
