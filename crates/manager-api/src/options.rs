//! [`Options`]: how the services behave where Flamenco lets the operator choose.

use std::sync::Arc;

use crate::{Clock, FailurePolicy, SystemClock};

/// The services' settings; [`Options::default`] is Flamenco's defaults and the system
/// clock. Built with `Options::default()` and then changed field by field (more fields may
/// come).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// The failure rules' thresholds (`failures.rs`).
    pub failures: FailurePolicy,
    /// The local time sleep schedules follow (`sleep_schedules.rs`).
    pub clock: Arc<dyn Clock>,
}

impl Default for Options {
    fn default() -> Self {
        Options { failures: FailurePolicy::default(), clock: Arc::new(SystemClock) }
    }
}
