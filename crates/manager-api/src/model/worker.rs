//! `Worker`: a machine that executes tasks.

use std::fmt;

use broadcast_core::{Timestamp, WorkerStatus, WorkerStatusChangeRequest, WorkerUpdate};
use uuid::Uuid;

use super::{SleepSchedule, TaskWorker};

/// A registered worker. Its REST shape is `RegisteredWorker` (see the `http` module); the
/// secret never leaves the manager.
#[derive(Clone, PartialEq)]
pub struct Worker {
    /// The worker's UUID, its basic-auth user name.
    pub id: Uuid,
    /// The secret given at registration, its basic-auth password.
    pub secret: String,
    /// The worker's name.
    pub name: String,
    /// Where the worker connected from.
    pub address: String,
    /// The worker's operating system.
    pub platform: String,
    /// The worker's software version.
    pub software: String,
    /// Task types it can execute.
    pub supported_task_types: Vec<String>,
    /// What it is doing.
    pub status: WorkerStatus,
    /// A status change asked of it and not yet done.
    pub status_change: Option<WorkerStatusChangeRequest>,
    /// Whether it can restart itself.
    pub can_restart: bool,
    /// The worker tags it belongs to.
    pub tags: Vec<Uuid>,
    /// When it registered.
    pub created: Timestamp,
    /// When it last changed.
    pub updated: Timestamp,
    /// When the manager last heard from it.
    pub last_seen: Option<Timestamp>,
    /// When it should sleep, if it has a schedule.
    pub sleep_schedule: Option<SleepSchedule>,
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret is a credential: keep it out of logs.
        f.debug_struct("Worker")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("status", &self.status)
            .field("status_change", &self.status_change)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// The `SocketIOWorkerUpdate` describing the worker as it is now, with the status it
    /// had before this change.
    pub fn to_update(&self, previous_status: Option<WorkerStatus>) -> WorkerUpdate {
        WorkerUpdate {
            id: self.id,
            name: self.name.clone(),
            updated: self.updated,
            last_seen: self.last_seen,
            status: self.status,
            previous_status,
            status_change: self.status_change,
            version: self.software.clone(),
            deleted_at: None,
            can_restart: self.can_restart,
        }
    }

    /// The reference a task keeps to the worker it is assigned to.
    pub fn task_worker(&self) -> TaskWorker {
        TaskWorker { id: self.id, name: self.name.clone(), address: self.address.clone() }
    }

    /// Whether the worker can execute tasks of `task_type`.
    pub fn supports(&self, task_type: &str) -> bool {
        self.supported_task_types.iter().any(|t| t == task_type)
    }
}
