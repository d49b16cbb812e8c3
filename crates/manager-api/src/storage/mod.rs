//! [`Storage`]: where jobs, tasks, workers, worker tags, job blocklists, task logs and
//! last-rendered images are kept. Two stores implement it: [`InMemoryStorage`] (`memory.rs`), for tests and
//! embedders, and [`SqliteStorage`] (`sqlite/`), the manager's durable default.
//!
//! The trait is plain synchronous get/put/remove. The services make read-change-store
//! sequences atomic: every change runs through [`Storage::atomically`] under the manager's
//! write lock, which is held only for the synchronous part.
//!
//! # Failure
//! Every method can fail with a [`StorageError`]: the disk is full or read-only, the file
//! went away, the database answered something unexpected. Creating one logs it at `error`
//! and counts it in `storage_errors_total{kind}` (through the `metrics` facade), so a
//! caller only has to pass it on. A change that fails is rolled back by the SQLite store
//! (nothing of it is kept) and answered 500, or 503 when the disk is full or read-only
//! ([`StorageError::is_unavailable`]); nothing is broadcast for it.

mod error;
mod files;
mod memory;
mod sqlite;
#[cfg(test)]
mod tests;

use broadcast_core::{JobStatus, WorkerStatus};
use uuid::Uuid;

pub use error::{StorageError, StorageResult};
pub use files::JobFile;
pub(crate) use files::job_dir;
pub use memory::InMemoryStorage;
pub use sqlite::{OpenError, SqliteStorage};

use crate::Error;
use crate::model::{Job, JobBlock, LastRenderedImage, Task, Worker, WorkerTag};

/// Keeps the manager's state; each method on its own is atomic. A store the services
/// share is also `Send + Sync` ([`Manager::new`](crate::Manager::new) asks for it); the
/// view a transaction gives to [`Storage::atomically`]'s closure need not be.
pub trait Storage {
    /// Runs `change` as one unit: with the SQLite store, in one transaction that is
    /// committed (on disk) when `change` returns `Ok` and rolled back when it returns an
    /// error. The in-memory store runs it as it is (its writes cannot fail, and the
    /// services refuse a request before they write).
    fn atomically(&self, change: &mut dyn FnMut(&dyn Storage) -> Result<(), Error>) -> Result<(), Error>;

    /// The job `id`.
    fn job(&self, id: Uuid) -> StorageResult<Option<Job>>;
    /// Every job, in submission order.
    fn jobs(&self) -> StorageResult<Vec<Job>>;
    /// Stores `job`, replacing the one with the same id (which keeps its place in order).
    fn put_job(&self, job: Job) -> StorageResult<()>;
    /// Removes the job `id` with its tasks, their logs, its last-rendered image and its
    /// blocklist.
    fn remove_job(&self, id: Uuid) -> StorageResult<Option<Job>>;

    /// The task `id`.
    fn task(&self, id: Uuid) -> StorageResult<Option<Task>>;
    /// The tasks of the job `job_id`, in the order they were first stored.
    fn tasks_of_job(&self, job_id: Uuid) -> StorageResult<Vec<Task>>;
    /// Every task assigned to the worker `worker_id`.
    fn tasks_of_worker(&self, worker_id: Uuid) -> StorageResult<Vec<Task>>;
    /// Stores `task`, replacing the one with the same id.
    fn put_task(&self, task: Task) -> StorageResult<()>;

    /// The worker `id`.
    fn worker(&self, id: Uuid) -> StorageResult<Option<Worker>>;
    /// Every worker, in registration order.
    fn workers(&self) -> StorageResult<Vec<Worker>>;
    /// The status of every job and of every worker ([`Storage::jobs`], [`Storage::workers`]),
    /// which is all the farm's status is computed from. The default reads whole rows; a
    /// store can read the statuses alone.
    fn statuses(&self) -> StorageResult<(Vec<JobStatus>, Vec<WorkerStatus>)> {
        let jobs = self.jobs()?.into_iter().map(|j| j.status).collect();
        let workers = self.workers()?.into_iter().map(|w| w.status).collect();
        Ok((jobs, workers))
    }
    /// Stores `worker`, replacing the one with the same id.
    fn put_worker(&self, worker: Worker) -> StorageResult<()>;
    /// Removes the worker `id`, and it from every job's blocklist.
    fn remove_worker(&self, id: Uuid) -> StorageResult<Option<Worker>>;

    /// The worker tag `id`.
    fn worker_tag(&self, id: Uuid) -> StorageResult<Option<WorkerTag>>;
    /// Every worker tag, in creation order.
    fn worker_tags(&self) -> StorageResult<Vec<WorkerTag>>;
    /// Stores `tag`, replacing the one with the same id.
    fn put_worker_tag(&self, tag: WorkerTag) -> StorageResult<()>;
    /// Removes the worker tag `id`.
    fn remove_worker_tag(&self, id: Uuid) -> StorageResult<Option<WorkerTag>>;

    /// The blocklist of the job `job_id`, in the order its entries were added.
    fn job_blocklist(&self, job_id: Uuid) -> StorageResult<Vec<JobBlock>>;
    /// Adds `block` to its job's blocklist; nothing happens when it is there already.
    fn add_job_block(&self, block: &JobBlock) -> StorageResult<()>;
    /// Removes `block` from its job's blocklist; whether it was there.
    fn remove_job_block(&self, block: &JobBlock) -> StorageResult<bool>;

    /// The newest image rendered for the job `job_id`.
    fn last_rendered(&self, job_id: Uuid) -> StorageResult<Option<LastRenderedImage>>;
    /// The job whose last-rendered image arrived last, if any job has one.
    fn newest_last_rendered(&self) -> StorageResult<Option<Uuid>>;
    /// Keeps `image` as the newest of the job `job_id`, dropping the one before.
    fn put_last_rendered(&self, job_id: Uuid, image: LastRenderedImage) -> StorageResult<()>;

    /// The folder job files are kept in (`ManagerConfiguration.storageLocation`); `None`
    /// when they are kept in memory.
    fn location(&self) -> Option<&std::path::Path> {
        None
    }

    /// Appends `text` to the log of the task `task_id` of the job `job_id`.
    fn append_task_log(&self, job_id: Uuid, task_id: Uuid, text: &str) -> StorageResult<()>;
    /// The size in bytes of the task's log; `None` when it has none.
    fn task_log_size(&self, job_id: Uuid, task_id: Uuid) -> StorageResult<Option<u64>>;
    /// The task's log from byte `from` on; `None` when it has none.
    fn read_task_log(&self, job_id: Uuid, task_id: Uuid, from: u64) -> StorageResult<Option<Vec<u8>>>;
}
