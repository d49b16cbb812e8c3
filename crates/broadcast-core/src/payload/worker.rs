//! `SocketIOWorkerUpdate` and `WorkerStatusChangeRequest`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Timestamp, WorkerStatus};

/// `SocketIOWorkerUpdate`: the part of a worker that the workers list shows, sent as
/// `/workers` to `Workers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkerUpdate {
    /// The worker's UUID.
    pub id: Uuid,
    /// The worker's name.
    pub name: String,
    /// When the worker last changed.
    pub updated: Timestamp,
    /// When the manager last heard from the worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    /// The worker's status now.
    pub status: WorkerStatus,
    /// The status before this change; never sent for a new worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<WorkerStatus>,
    /// A status change asked of the worker and not yet done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_change: Option<WorkerStatusChangeRequest>,
    /// The worker's software version.
    pub version: String,
    /// Set only when the worker was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Timestamp>,
    /// Whether the worker can restart itself.
    pub can_restart: bool,
}

/// `WorkerStatusChangeRequest`: asks a worker to go to `status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerStatusChangeRequest {
    /// The status to go to.
    pub status: WorkerStatus,
    /// Whether to finish the current task first.
    pub is_lazy: bool,
}
