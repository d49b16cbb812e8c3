//! Flamenco Manager's job, task, worker and worker-tag services and its REST routes.
//!
//! Every operation that changes something reads, changes, stores and then broadcasts:
//! the service picks the `broadcast_core::notify` rule that names what happened and
//! builds its payload; the rule decides the rooms and the event. This crate never names a
//! room, an event or a transport: it holds an `Arc<dyn Broadcaster>`.
//!
//! # Entry points
//! - [`Manager`]: the services ([`Manager::new`] with any [`Storage`], or
//!   [`Manager::in_memory`]). Its methods live one file per concept: `jobs.rs`
//!   ([`Manager::submit_job`], [`Manager::set_job_priority`], ...), `tasks.rs`,
//!   `scheduler.rs`, `failures.rs` (soft failures and job blocklists), `sleep_schedules.rs`,
//!   `workers.rs`, `worker_tags.rs`, `last_rendered.rs`, `task_logs.rs`, and
//!   `farm_status.rs` ([`Manager::farm_status`], recomputed after every job or worker
//!   update and broadcast when it changes).
//! - [`Storage`]: where state is kept: [`InMemoryStorage`] or [`SqliteStorage`]
//!   (`storage/`).
//! - [`router`]: every REST route, Flamenco's paths, on top of a [`Manager`] (`http/`).
//! - [`job_types`]: the built-in job compilers; [`state_machine`]: the status rules.
//!
//! # Failure
//! A refused request ([`Error`]) changes nothing and broadcasts nothing. A broadcast that
//! fails does not fail the request that caused it (the change is stored already); it is
//! logged at `warn` with the rooms and events that may have missed it.
//!
//! # Ordering
//! Changes are serialised by one async lock, held while reading, storing and then
//! broadcasting what changed. Updates therefore reach each room in the order the changes
//! were stored, also across concurrent requests: the last update a page sees is the
//! stored state. Broadcasting only queues updates for the sockets (it never waits for a
//! client), so the lock is held for microseconds.
//!
//! # Features
//! None.

mod clock;
mod error;
mod failures;
mod farm_status;
mod http;
pub mod job_types;
mod jobs;
mod last_rendered;
pub mod model;
mod options;
mod scheduler;
pub mod schema;
mod sleep_schedules;
pub mod state_machine;
mod storage;
mod task_logs;
mod tasks;
mod thumbnails;
mod worker_tags;
mod workers;

use std::sync::Arc;

use broadcast_core::notify::Notification;
use broadcast_core::{Broadcaster, Notifier};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::Error;
pub use failures::{FailurePolicy, JobBlocklistEntry};
pub use http::{ErrorBody, Limits, WORKER_AUTH_REALM, describe_metrics, router, router_with_limits};
pub use last_rendered::{IMAGE_TYPES, JOB_FILES_PREFIX};
pub use options::Options;
pub use scheduler::Scheduled;
pub use sleep_schedules::{next_check, scheduled_status};
pub use storage::{InMemoryStorage, JobFile, OpenError, SqliteStorage, Storage, StorageError, StorageResult};
pub use task_logs::{LOG_TAIL_BYTES, cut_tail};
pub use thumbnails::{MAX_SIDE, THUMBNAILS_AT_ONCE};

/// The manager's services over one [`Storage`] and one [`Broadcaster`]. Cheap to clone:
/// clones share everything.
#[derive(Clone)]
pub struct Manager {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Arc<dyn Storage + Send + Sync>,
    notifier: Notifier,
    options: Options,
    /// Serialises read-change-store-broadcast sequences (see [`Manager::change`]).
    writes: tokio::sync::Mutex<()>,
    /// The farm's status as last computed (`farm_status.rs`).
    farm_status: std::sync::Mutex<broadcast_core::FarmStatus>,
}

impl std::fmt::Debug for Manager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager").finish_non_exhaustive()
    }
}

impl Manager {
    /// Services keeping their state in `storage` and broadcasting through `broadcaster`.
    pub fn new(storage: Arc<dyn Storage + Send + Sync>, broadcaster: Arc<dyn Broadcaster>) -> Self {
        Self::with_options(storage, broadcaster, Options::default())
    }

    /// Services as [`Manager::new`] makes them, with `options` instead of the defaults.
    pub fn with_options(
        storage: Arc<dyn Storage + Send + Sync>,
        broadcaster: Arc<dyn Broadcaster>,
        options: Options,
    ) -> Self {
        Manager {
            inner: Arc::new(Inner {
                storage,
                notifier: Notifier::new(broadcaster),
                options,
                writes: tokio::sync::Mutex::new(()),
                farm_status: std::sync::Mutex::new(farm_status::INITIAL),
            }),
        }
    }

    /// Services keeping their state in memory ([`InMemoryStorage`]).
    pub fn in_memory(broadcaster: Arc<dyn Broadcaster>) -> Self {
        Self::new(Arc::new(InMemoryStorage::new()), broadcaster)
    }

    /// The options the services run with.
    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// The storage, for reads.
    pub fn storage(&self) -> &dyn Storage {
        &*self.inner.storage
    }

    /// Runs `change` under the write lock, so its reads and writes are not interleaved
    /// with another request's, as one unit of the store ([`Storage::atomically`]: with
    /// SQLite, one transaction, committed before this returns). `change` is synchronous. The lock comes back with the
    /// result: the caller holds it while it broadcasts what changed, so that updates leave
    /// in the order the changes were made (two requests changing one job never reach the
    /// pages in the opposite order). Broadcasting only queues updates; it does not wait for
    /// any client.
    async fn change<T>(
        &self,
        change: impl FnOnce(&dyn Storage) -> Result<T, Error>,
    ) -> Result<(T, tokio::sync::MutexGuard<'_, ()>), Error> {
        let order = self.inner.writes.lock().await;
        let mut change = Some(change);
        let mut value = None;
        self.storage().atomically(&mut |storage| {
            let change = change.take().ok_or_else(|| StorageError::failed("the store ran a change twice"))?;
            value = Some(change(storage)?);
            Ok(())
        })?;
        let value = value.ok_or_else(|| StorageError::failed("the store did not run a change"))?;
        Ok((value, order))
    }

    /// Sends `notification`, then the farm's status if a job or worker change altered it;
    /// a failure is logged, never returned (see the crate docs).
    async fn send(&self, notification: Notification) {
        let affects_farm_status = Self::affects_farm_status(&notification);
        self.send_now(notification).await;
        if affects_farm_status {
            self.refresh_farm_status().await;
        }
    }

    /// Sends `notification`; a failure is logged, never returned (see the crate docs).
    async fn send_now(&self, notification: Notification) {
        // Kept as (event, room), which are copies; words are made only when something failed.
        let sent: Vec<_> = notification.deliveries().iter().map(|d| (d.update.event(), d.room)).collect();
        if let Err(error) = self.inner.notifier.send(notification).await {
            let lost: Vec<String> = sent.iter().map(|(event, room)| format!("{event} to {room}")).collect();
            tracing::warn!(%error, lost = ?lost, "broadcast failed; web clients may have missed an update");
        }
    }

    /// Sends each notification in order.
    async fn send_all(&self, notifications: Vec<Notification>) {
        for notification in notifications {
            self.send(notification).await;
        }
    }
}

fn now() -> broadcast_core::Timestamp {
    chrono::Utc::now()
}
