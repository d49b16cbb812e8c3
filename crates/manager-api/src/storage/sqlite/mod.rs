//! [`SqliteStorage`]: jobs, tasks, workers and tags in one SQLite file, task logs and
//! last-rendered images as files below a storage path (`files.rs`).
//!
//! # Durability
//! Every change the services make runs in one transaction ([`Storage::atomically`]),
//! committed before the request is answered. The database is in WAL mode with
//! `synchronous = NORMAL`: a committed transaction survives the process being killed
//! (it is in the WAL file, which the operating system keeps), not a power loss or a
//! kernel crash (the WAL is synced at checkpoints, not at each commit). Log chunks are
//! appended with `write` before the answer too, with the same guarantee.
//!
//! # Connections
//! One connection writes, behind a mutex (the services already serialise changes, so it
//! is never contended by them); one read-only connection serves reads outside changes,
//! which in WAL mode see the last committed state and never wait for the writer. A thread
//! with a third connection checkpoints the WAL (`checkpoint.rs`), so that no request waits
//! for the disk syncs a checkpoint makes.
//!
//! # Schema
//! Migrations are the `.sql` files in the crate's `migrations/` folder, run in order by
//! `rusqlite_migration`, which records the schema version in SQLite's `user_version`.
//! A database with a higher version than this build knows is refused, never changed.

mod blocklist;
mod checkpoint;
mod rows;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use rusqlite_migration::{M, Migrations, SchemaVersion};
use uuid::Uuid;

use super::files::JobFiles;
use super::{Storage, StorageError, StorageResult};
use crate::Error;
use crate::model::{Job, JobBlock, LastRenderedImage, Task, Worker, WorkerTag};
use rows::Conn;

/// How long a statement waits for a lock another process holds before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The migrations, oldest first; the schema version is how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/0001_initial.sql"),
    include_str!("../../../migrations/0002_steps.sql"),
    include_str!("../../../migrations/0003_job_blocklist.sql"),
    include_str!("../../../migrations/0004_sleep_schedules.sql"),
    include_str!("../../../migrations/0005_thumbnails.sql"),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|sql| M::up(sql)).collect())
}

/// Why a database or storage path cannot be used. Its `Display` is one line naming the
/// file or folder and the reason.
#[derive(Debug)]
pub struct OpenError {
    what: &'static str,
    path: PathBuf,
    why: String,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot use the {} {}: {}", self.what, self.path.display(), self.why)
    }
}

impl std::error::Error for OpenError {}

/// The durable store: a SQLite database and a folder of job files.
#[derive(Debug)]
pub struct SqliteStorage {
    /// Dropped first: it stops before the connections close.
    _checkpointer: Option<checkpoint::Checkpointer>,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
    files: JobFiles,
}

/// Why a connection cannot be used, in words, from SQLite's error.
fn why(error: &rusqlite::Error) -> String {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => "it is not a SQLite database".to_owned(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => format!("the database is corrupt ({error})"),
        Some(rusqlite::ErrorCode::CannotOpen) => {
            "it cannot be opened or created (it must be a file, in a folder that exists and can be written)"
                .to_owned()
        }
        _ => error.to_string(),
    }
}

/// Sets up a connection: a busy timeout, foreign keys, and for the writer WAL mode with
/// `synchronous = NORMAL`.
fn configure(db: &Connection, writer: bool) -> rusqlite::Result<()> {
    db.busy_timeout(BUSY_TIMEOUT)?;
    db.pragma_update(None, "foreign_keys", true)?;
    if writer {
        let mode: String = db.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                mode,
                "the database is not in WAL mode (a read-only file stays in the mode it has)"
            );
        }
        db.pragma_update(None, "synchronous", "normal")?;
    }
    Ok(())
}

/// `PRAGMA quick_check`: `Ok` when it says `ok`, the first problem otherwise.
fn quick_check(db: &Connection) -> Result<(), String> {
    let mut statement = db.prepare("PRAGMA quick_check").map_err(|e| why(&e))?;
    let problems: Vec<String> = statement
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| why(&e))?;
    match problems.first().map(String::as_str) {
        Some("ok") => Ok(()),
        Some(first) => Err(format!("the database is corrupt (quick_check: {first})")),
        None => Err("the database is corrupt (quick_check said nothing)".to_owned()),
    }
}

/// Brings the schema to the newest version; refuses a database from a newer build.
fn migrate(db: &mut Connection) -> Result<(), String> {
    let migrations = migrations();
    match migrations.current_version(db).map_err(|e| e.to_string())? {
        SchemaVersion::Outside(version) => {
            return Err(format!(
                "its schema version {version} is newer than this manager knows (up to {}); \
                 use a newer manager or another --database",
                MIGRATIONS.len()
            ));
        }
        SchemaVersion::NoneSet | SchemaVersion::Inside(_) => {}
    }
    migrations.to_latest(db).map_err(|e| format!("migrating its schema failed: {e}"))
}

impl SqliteStorage {
    /// Opens (creating when missing) the database `database` and the folder `storage_path`
    /// for task logs and images, checks the database's integrity and brings its schema up
    /// to date. Refuses, with one line saying which file and why, a file that is not a
    /// database, a corrupt one, one from a newer version of the manager, and a storage
    /// path it cannot write to.
    pub fn open(database: &Path, storage_path: &Path) -> Result<SqliteStorage, OpenError> {
        let db_error = |why: String| OpenError { what: "database", path: database.to_owned(), why };
        let files = JobFiles::open(storage_path).map_err(|e| OpenError {
            what: "storage path",
            path: storage_path.to_owned(),
            why: e.to_string(),
        })?;
        let mut writer = Connection::open(database).map_err(|e| db_error(why(&e)))?;
        configure(&writer, true).map_err(|e| db_error(why(&e)))?;
        quick_check(&writer).map_err(db_error)?;
        migrate(&mut writer).map_err(db_error)?;
        let reader = Connection::open_with_flags(
            database,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|db| configure(&db, false).map(|()| db))
        .map_err(|e| db_error(why(&e)))?;
        let checkpointer = checkpoint::Checkpointer::start(database, &writer);
        Ok(SqliteStorage {
            _checkpointer: checkpointer,
            writer: Mutex::new(writer),
            reader: Mutex::new(reader),
            files,
        })
    }

    fn lock(connection: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        // A panic while holding it leaves at most an open transaction, which is rolled
        // back when its guard is dropped; the connection itself stays usable.
        connection.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read<T>(&self, query: impl FnOnce(&Conn<'_>) -> T) -> T {
        let db = Self::lock(&self.reader);
        query(&Conn { db: &db, files: &self.files })
    }

    pub(in crate::storage) fn write<T>(&self, change: impl FnOnce(&Conn<'_>) -> T) -> T {
        let db = Self::lock(&self.writer);
        change(&Conn { db: &db, files: &self.files })
    }
}

/// The store as seen from inside a transaction: reads see the transaction's own writes.
struct InTransaction<'a> {
    conn: Conn<'a>,
    /// Jobs removed, whose files go once the removal is committed.
    removed_jobs: std::cell::RefCell<Vec<Uuid>>,
}

impl InTransaction<'_> {
    fn read<T>(&self, query: impl FnOnce(&Conn<'_>) -> T) -> T {
        query(&self.conn)
    }

    fn write<T>(&self, change: impl FnOnce(&Conn<'_>) -> T) -> T {
        change(&self.conn)
    }
}

/// Removes the files of jobs whose rows are gone. The removal is committed already, so a
/// failure leaves only unreachable files behind: logged (by `StorageError`), not returned.
fn remove_job_files(files: &JobFiles, job_ids: &[Uuid]) {
    for job_id in job_ids {
        let _ = files.remove_job(*job_id);
    }
}

/// Implements every data method of [`Storage`] through the type's `read` and `write`.
macro_rules! storage_methods {
    () => {
        fn job(&self, id: Uuid) -> StorageResult<Option<Job>> {
            self.read(|c| c.job(id))
        }
        fn jobs(&self) -> StorageResult<Vec<Job>> {
            self.read(|c| c.jobs())
        }
        fn put_job(&self, job: Job) -> StorageResult<()> {
            self.write(|c| c.put_job(&job))
        }
        fn task(&self, id: Uuid) -> StorageResult<Option<Task>> {
            self.read(|c| c.task(id))
        }
        fn tasks_of_job(&self, job_id: Uuid) -> StorageResult<Vec<Task>> {
            self.read(|c| c.tasks_of_job(job_id))
        }
        fn tasks_of_worker(&self, worker_id: Uuid) -> StorageResult<Vec<Task>> {
            self.read(|c| c.tasks_of_worker(worker_id))
        }
        fn put_task(&self, task: Task) -> StorageResult<()> {
            self.write(|c| c.put_task(&task))
        }
        fn worker(&self, id: Uuid) -> StorageResult<Option<Worker>> {
            self.read(|c| c.worker(id))
        }
        fn workers(&self) -> StorageResult<Vec<Worker>> {
            self.read(|c| c.workers())
        }
        fn statuses(
            &self,
        ) -> StorageResult<(Vec<broadcast_core::JobStatus>, Vec<broadcast_core::WorkerStatus>)> {
            self.read(|c| c.statuses())
        }
        fn put_worker(&self, worker: Worker) -> StorageResult<()> {
            self.write(|c| c.put_worker(&worker))
        }
        fn remove_worker(&self, id: Uuid) -> StorageResult<Option<Worker>> {
            self.write(|c| c.remove_worker(id))
        }
        fn worker_tag(&self, id: Uuid) -> StorageResult<Option<WorkerTag>> {
            self.read(|c| c.worker_tag(id))
        }
        fn worker_tags(&self) -> StorageResult<Vec<WorkerTag>> {
            self.read(|c| c.worker_tags())
        }
        fn put_worker_tag(&self, tag: WorkerTag) -> StorageResult<()> {
            self.write(|c| c.put_worker_tag(&tag))
        }
        fn remove_worker_tag(&self, id: Uuid) -> StorageResult<Option<WorkerTag>> {
            self.write(|c| c.remove_worker_tag(id))
        }
        fn job_blocklist(&self, job_id: Uuid) -> StorageResult<Vec<JobBlock>> {
            self.read(|c| c.job_blocklist(job_id))
        }
        fn add_job_block(&self, block: &JobBlock) -> StorageResult<()> {
            self.write(|c| c.add_job_block(block))
        }
        fn remove_job_block(&self, block: &JobBlock) -> StorageResult<bool> {
            self.write(|c| c.remove_job_block(block))
        }
        fn last_rendered(&self, job_id: Uuid) -> StorageResult<Option<LastRenderedImage>> {
            self.read(|c| c.last_rendered(job_id))
        }
        fn newest_last_rendered(&self) -> StorageResult<Option<Uuid>> {
            self.read(|c| c.newest_last_rendered())
        }
        fn put_last_rendered(&self, job_id: Uuid, image: LastRenderedImage) -> StorageResult<()> {
            self.write(|c| c.put_last_rendered(job_id, &image))
        }
        fn append_task_log(&self, job_id: Uuid, task_id: Uuid, text: &str) -> StorageResult<()> {
            self.write(|c| c.append_task_log(job_id, task_id, text))
        }
        fn task_log_size(&self, job_id: Uuid, task_id: Uuid) -> StorageResult<Option<u64>> {
            self.read(|c| c.task_log_size(job_id, task_id))
        }
        fn read_task_log(&self, job_id: Uuid, task_id: Uuid, from: u64) -> StorageResult<Option<Vec<u8>>> {
            self.read(|c| c.read_task_log(job_id, task_id, from))
        }
    };
}

impl Storage for SqliteStorage {
    fn atomically(&self, change: &mut dyn FnMut(&dyn Storage) -> Result<(), Error>) -> Result<(), Error> {
        let mut db = Self::lock(&self.writer);
        let transaction = db
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StorageError::from_sqlite(&e, "starting a transaction"))?;
        let removed_jobs = {
            let view = InTransaction {
                conn: Conn { db: &transaction, files: &self.files },
                removed_jobs: Default::default(),
            };
            // Dropping the transaction without committing rolls it back.
            change(&view)?;
            view.removed_jobs.into_inner()
        };
        transaction.commit().map_err(|e| StorageError::from_sqlite(&e, "committing"))?;
        remove_job_files(&self.files, &removed_jobs);
        Ok(())
    }

    fn remove_job(&self, id: Uuid) -> StorageResult<Option<Job>> {
        let removed = self.write(|c| c.remove_job(id))?;
        remove_job_files(&self.files, &[id]);
        Ok(removed)
    }

    fn location(&self) -> Option<&Path> {
        Some(self.files.root())
    }

    storage_methods!();
}

impl Storage for InTransaction<'_> {
    fn atomically(&self, change: &mut dyn FnMut(&dyn Storage) -> Result<(), Error>) -> Result<(), Error> {
        change(self)
    }

    fn remove_job(&self, id: Uuid) -> StorageResult<Option<Job>> {
        let removed = self.conn.remove_job(id)?;
        self.removed_jobs.borrow_mut().push(id);
        Ok(removed)
    }

    storage_methods!();
}
