//! `WorkerSleepSchedule`: when a worker should be asleep.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// A worker's sleep schedule: asleep from `start_time` to `end_time` (24-hour `HH:MM`, the
/// manager's local time) on the `days_of_week` (`"mo tu we"`; empty is every day), while
/// `is_active`; awake otherwise. An empty start is the start of the day, an empty end its
/// end. The sleep scheduler (`sleep_schedules.rs`) asks the worker to change status at
/// those times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SleepSchedule {
    /// Whether the schedule applies at all.
    pub is_active: bool,
    /// Two-letter day names separated by spaces; empty means every day.
    pub days_of_week: String,
    /// When sleep starts, `HH:MM`.
    pub start_time: String,
    /// When sleep ends, `HH:MM`.
    pub end_time: String,
    /// When the scheduler next looks at it (local time): the next start, end or midnight.
    /// Kept with the schedule; the REST answer (`WorkerSleepSchedule`) leaves it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_check: Option<NaiveDateTime>,
}
