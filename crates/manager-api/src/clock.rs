//! [`Clock`]: the manager's local time of day, which sleep schedules are written in. Tests
//! set a [`ManualClock`] instead of waiting for the time to come.

use std::fmt;
use std::sync::Mutex;

use chrono::NaiveDateTime;

/// Where the services read the local date and time from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The local date and time now.
    fn local_now(&self) -> NaiveDateTime;
}

/// The system's clock in its local time zone.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn local_now(&self) -> NaiveDateTime {
        chrono::Local::now().naive_local()
    }
}

/// A clock that shows what it was last set to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<NaiveDateTime>,
}

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: NaiveDateTime) -> Self {
        ManualClock { now: Mutex::new(now) }
    }

    /// Makes it show `now`.
    pub fn set(&self, now: NaiveDateTime) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }
}

impl Clock for ManualClock {
    fn local_now(&self) -> NaiveDateTime {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}
