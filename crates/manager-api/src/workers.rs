//! The worker service: registration, sign-on and sign-off, status reports from workers,
//! status change requests from people, deletion (`notify::worker_*`), and checking a
//! worker's credential.

use broadcast_core::notify::{self, Notification};
use broadcast_core::{JobStatus, TaskStatus, Timestamp, WorkerStatus, WorkerStatusChangeRequest};
use uuid::Uuid;

use crate::model::Worker;
use crate::schema::{
    TaskSummary, WorkerDetails, WorkerRegistration, WorkerSignOn, WorkerStateChange, WorkerSummary,
    WorkerTask,
};
use crate::{Error, Manager, Storage, now, scheduled_status};

/// Compares two secrets in time that depends only on their lengths, so a wrong guess
/// does not tell how much of it was right.
fn secrets_match(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Puts every task the worker is executing back in the queue, taken from it; `paused`
/// instead of `queued` when its job is pausing or paused (Flamenco's rule).
fn requeue_tasks_of(
    storage: &dyn Storage,
    worker: &Worker,
    why: &str,
    now: Timestamp,
) -> Result<Vec<Notification>, Error> {
    let mut notifications = Vec::new();
    for mut task in storage.tasks_of_worker(worker.id)? {
        if task.status != TaskStatus::Active {
            continue;
        }
        let pausing = storage
            .job(task.job_id)?
            .is_some_and(|j| matches!(j.status, JobStatus::PauseRequested | JobStatus::Paused));
        let (to, done) =
            if pausing { (TaskStatus::Paused, "paused") } else { (TaskStatus::Queued, "requeued") };
        task.worker = None;
        task.activity = format!("Task was {done} by the manager because {why}");
        notifications.extend(crate::jobs::change_task_status(storage, task, to, now)?);
    }
    Ok(notifications)
}

impl Manager {
    /// The worker `worker_id`, when `secret` is its secret; `Unauthorized` otherwise, with
    /// the same message for an unknown worker and a wrong secret.
    pub fn authenticate_worker(&self, worker_id: Uuid, secret: &str) -> Result<Worker, Error> {
        match self.storage().worker(worker_id)? {
            Some(worker) if secrets_match(&worker.secret, secret) => Ok(worker),
            _ => Err(Error::Unauthorized("unknown worker or wrong secret".to_owned())),
        }
    }

    /// The worker `worker_id`.
    pub fn worker(&self, worker_id: Uuid) -> Result<Worker, Error> {
        self.storage().worker(worker_id)?.ok_or(Error::worker_not_found(worker_id))
    }

    /// Every worker, in registration order.
    pub fn workers(&self) -> Result<Vec<Worker>, Error> {
        Ok(self.storage().workers()?)
    }

    /// Everything about the worker `worker_id`: the task it is executing and its tags too.
    pub fn worker_details(&self, worker_id: Uuid) -> Result<WorkerDetails, Error> {
        let worker = self.worker(worker_id)?;
        let task = self
            .storage()
            .tasks_of_worker(worker_id)?
            .into_iter()
            .find(|t| t.status == TaskStatus::Active)
            .map(|t| WorkerTask { summary: TaskSummary::from(&t), job_id: t.job_id });
        let mut tags = Vec::new();
        for tag_id in &worker.tags {
            if let Some(tag) = self.storage().worker_tag(*tag_id)? {
                tags.push(tag.to_payload());
            }
        }
        Ok(WorkerDetails {
            summary: WorkerSummary::from(&worker),
            ip_address: worker.address.clone(),
            platform: worker.platform.clone(),
            supported_task_types: worker.supported_task_types.clone(),
            task,
            tags,
        })
    }

    /// Registers a new worker, `offline` until it signs on, and broadcasts it.
    pub async fn register_worker(
        &self,
        registration: WorkerRegistration,
        address: String,
    ) -> Result<Worker, Error> {
        if registration.name.trim().is_empty() {
            return Err(Error::invalid("the worker name must not be empty"));
        }
        if registration.secret.is_empty() {
            return Err(Error::invalid("the worker secret must not be empty"));
        }
        let now = now();
        let worker = Worker {
            id: Uuid::new_v4(),
            secret: registration.secret,
            name: registration.name,
            address,
            platform: registration.platform,
            software: registration.software.unwrap_or_default(),
            supported_task_types: registration.supported_task_types,
            status: WorkerStatus::Offline,
            status_change: None,
            can_restart: false,
            tags: Vec::new(),
            created: now,
            updated: now,
            last_seen: None,
            sleep_schedule: None,
        };
        let (_, _order) = self
            .change(|storage| {
                storage.put_worker(worker.clone())?;
                Ok(())
            })
            .await?;
        self.send(notify::worker_created(worker.to_update(None))).await;
        Ok(worker)
    }

    /// The worker signs on: its metadata is updated, it becomes `starting`, and it is told
    /// which status to go to: the pending status change, or else what its sleep schedule
    /// wants now (`awake` without one), as Flamenco does.
    pub async fn sign_on(
        &self,
        worker_id: Uuid,
        sign_on: WorkerSignOn,
        address: String,
    ) -> Result<WorkerStateChange, Error> {
        let ((worker, previous), _order) = self
            .change(|storage| {
                let mut worker = storage.worker(worker_id)?.ok_or(Error::worker_not_found(worker_id))?;
                let previous = worker.status;
                let now = now();
                worker.name = sign_on.name;
                worker.supported_task_types = sign_on.supported_task_types;
                worker.software = sign_on.software_version;
                worker.can_restart = sign_on.can_restart;
                if !address.is_empty() {
                    worker.address = address;
                }
                worker.status = WorkerStatus::Starting;
                worker.updated = now;
                worker.last_seen = Some(now);
                storage.put_worker(worker.clone())?;
                Ok((worker, previous))
            })
            .await?;
        let scheduled = || {
            let now = self.options().clock.local_now();
            worker.sleep_schedule.as_ref().map_or(WorkerStatus::Awake, |s| scheduled_status(s, now))
        };
        let status_requested = worker.status_change.map_or_else(scheduled, |change| change.status);
        self.send(notify::worker_updated(worker.to_update(Some(previous)))).await;
        Ok(WorkerStateChange { status_requested })
    }

    /// The worker says it is now `status`; a status change asked for it is done once it
    /// reaches that status. Broadcasts the worker update with its previous status.
    pub async fn worker_state_changed(&self, worker_id: Uuid, status: WorkerStatus) -> Result<(), Error> {
        let ((worker, previous), _order) = self
            .change(|storage| {
                let mut worker = storage.worker(worker_id)?.ok_or(Error::worker_not_found(worker_id))?;
                let previous = worker.status;
                let now = now();
                worker.status = status;
                if worker.status_change.is_some_and(|c| c.status == status) {
                    worker.status_change = None;
                }
                worker.updated = now;
                worker.last_seen = Some(now);
                storage.put_worker(worker.clone())?;
                Ok((worker, previous))
            })
            .await?;
        self.send(notify::worker_updated(worker.to_update(Some(previous)))).await;
        Ok(())
    }

    /// The worker goes `offline`; the tasks it was executing go back to `queued`.
    /// Broadcasts the worker update, then the task updates.
    pub async fn sign_off(&self, worker_id: Uuid) -> Result<(), Error> {
        let (notifications, _order) = self
            .change(|storage| {
                let mut worker = storage.worker(worker_id)?.ok_or(Error::worker_not_found(worker_id))?;
                let previous = worker.status;
                let now = now();
                worker.status = WorkerStatus::Offline;
                if worker.status_change.is_some_and(|c| c.status == WorkerStatus::Offline) {
                    worker.status_change = None;
                }
                worker.updated = now;
                worker.last_seen = Some(now);
                storage.put_worker(worker.clone())?;
                let mut notifications = vec![notify::worker_updated(worker.to_update(Some(previous)))];
                notifications.extend(requeue_tasks_of(
                    storage,
                    &worker,
                    "the worker assigned to it signed off",
                    now,
                )?);
                Ok(notifications)
            })
            .await?;
        self.send_all(notifications).await;
        Ok(())
    }

    /// A person asks the worker to go to another status; the worker learns it when it
    /// next asks for work or signs on. Broadcasts the worker update with `status_change`.
    pub async fn request_worker_status_change(
        &self,
        worker_id: Uuid,
        change: WorkerStatusChangeRequest,
    ) -> Result<(), Error> {
        let (worker, _order) = self
            .change(|storage| {
                let mut worker = storage.worker(worker_id)?.ok_or(Error::worker_not_found(worker_id))?;
                worker.status_change = Some(change);
                worker.updated = now();
                storage.put_worker(worker.clone())?;
                Ok(worker)
            })
            .await?;
        self.send(notify::worker_updated(worker.to_update(None))).await;
        Ok(())
    }

    /// Deletes the worker; the tasks it was executing go back to `queued`. Broadcasts the
    /// task updates, then the deleted worker.
    pub async fn delete_worker(&self, worker_id: Uuid) -> Result<(), Error> {
        let (notifications, _order) = self
            .change(|storage| {
                let worker = storage.worker(worker_id)?.ok_or(Error::worker_not_found(worker_id))?;
                let now = now();
                let mut notifications =
                    requeue_tasks_of(storage, &worker, "the worker assigned to it was deleted", now)?;
                storage.remove_worker(worker_id)?;
                notifications.push(notify::worker_deleted(worker.to_update(None), now));
                Ok(notifications)
            })
            .await?;
        self.send_all(notifications).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::secrets_match;

    #[test]
    fn secrets_match_only_when_equal() {
        assert!(secrets_match("abc", "abc"));
        assert!(secrets_match("", ""));
        assert!(!secrets_match("abc", "abd"));
        assert!(!secrets_match("abc", "abcd"));
        assert!(!secrets_match("abc", ""));
    }
}
