//! The farm's status, `/status`'s payload (`FarmStatusReport`).

use serde::{Deserialize, Serialize};

/// `FarmStatus`: what the farm as a whole is doing, as the rules in
/// [`compute_farm_status`](crate::compute_farm_status) decide it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FarmStatus {
    /// `active`: a job is active and a worker is awake to work on it.
    Active,
    /// `idle`: workers are available and there is nothing to do.
    Idle,
    /// `waiting`: there is work, but no awake worker on an active job.
    Waiting,
    /// `asleep`: no worker is awake and some are asleep.
    Asleep,
    /// `inoperative`: there are no workers, or all are offline or in error.
    Inoperative,
    /// `unknown`: in the schema; never produced here.
    Unknown,
    /// `starting`: the manager has not computed the status yet.
    Starting,
}

/// `FarmStatusReport` `{status}`: sent as `/status` to `FarmStatus`, and the answer of
/// `GET /api/v3/status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FarmStatusReport {
    /// The farm's status.
    pub status: FarmStatus,
}
