//! The manager's life-cycle events, `/lifecycle`'s payload (`EventLifeCycle`).

use serde::{Deserialize, Serialize};

/// `LifeCycleEventType`: what the manager is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LifeCycleEventType {
    /// `manager-startup`: the manager serves.
    ManagerStartup,
    /// `manager-shutdown`: the manager is shutting down; connections close next.
    ManagerShutdown,
}

/// `EventLifeCycle` `{type}`: sent as `/lifecycle` to `Lifecycle`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLifeCycle {
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: LifeCycleEventType,
}
