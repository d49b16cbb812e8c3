//! The farm's status: computed by broadcast-core's rules ([`compute_farm_status`]) from
//! storage after every job or worker update, broadcast as `/status` when it changed, and
//! served by `GET /api/v3/status`.
//!
//! It is `starting` until first computed: on the first job or worker update, or when the
//! application calls [`Manager::publish_farm_status`] (the manager does once it serves).

use broadcast_core::notify::{self, Notification};
use broadcast_core::{FarmStatus, FarmStatusReport, Update, compute_farm_status};

use crate::Manager;

impl Manager {
    /// The farm's status as last computed.
    pub fn farm_status(&self) -> FarmStatusReport {
        FarmStatusReport { status: *self.inner.farm_status.lock().unwrap_or_else(|p| p.into_inner()) }
    }

    /// Computes the farm's status from storage now, and broadcasts it if it changed.
    pub async fn publish_farm_status(&self) {
        let _order = self.inner.writes.lock().await;
        self.refresh_farm_status().await;
    }

    /// Whether `notification` tells of a job or worker change, which may change the farm's
    /// status.
    pub(crate) fn affects_farm_status(notification: &Notification) -> bool {
        notification.deliveries().iter().any(|d| matches!(d.update, Update::Job(_) | Update::Worker(_)))
    }

    /// Recomputes the farm's status and broadcasts it when it changed. The caller holds the
    /// write lock, so the status read from storage is the one the updates just sent tell of,
    /// and `/status` updates leave in the order of the changes.
    pub(crate) async fn refresh_farm_status(&self) {
        let (jobs, workers) = match self.storage().statuses() {
            Ok(statuses) => statuses,
            Err(error) => {
                // The status stays as it was; the next job or worker update tries again.
                tracing::warn!(%error, "farm status not recomputed: the store could not be read");
                return;
            }
        };
        let status = compute_farm_status(jobs, workers);
        let previous =
            std::mem::replace(&mut *self.inner.farm_status.lock().unwrap_or_else(|p| p.into_inner()), status);
        if previous != status {
            tracing::debug!(?previous, ?status, "farm status changed");
            self.send_now(notify::farm_status(FarmStatusReport { status })).await;
        }
    }
}

/// The status before it is first computed.
pub(crate) const INITIAL: FarmStatus = FarmStatus::Starting;
