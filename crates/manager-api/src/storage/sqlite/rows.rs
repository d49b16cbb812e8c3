//! The queries: each thing to and from its table row, on one connection (a transaction's
//! or not). Plain columns for what is searched or ordered by, JSON text for lists and
//! free-form objects.

use broadcast_core::{JobStatus, WorkerStatus};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, named_params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::super::files::{JobFile, JobFiles};
use super::super::{StorageError, StorageResult};
use crate::model::{Job, LastRenderedImage, THUMBNAILS, Task, Worker, WorkerTag};

/// One connection and the job files: everything a store method needs.
pub(in crate::storage) struct Conn<'a> {
    pub(in crate::storage) db: &'a Connection,
    pub(super) files: &'a JobFiles,
}

fn db_error(doing: &str) -> impl Fn(rusqlite::Error) -> StorageError + '_ {
    move |e| StorageError::from_sqlite(&e, doing)
}

fn json(value: &impl Serialize, doing: &str) -> StorageResult<String> {
    serde_json::to_string(value).map_err(|e| StorageError::failed(format!("{doing}: {e}")))
}

/// A status as its schema string (`cancel-requested`, ...).
fn name(value: &impl Serialize) -> String {
    crate::state_machine::status_name(value)
}

fn conversion(index: &str, error: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, Type::Text, format!("column {index}: {error}").into())
}

fn from_json<T: DeserializeOwned>(row: &Row<'_>, column: &str) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    serde_json::from_str(&text).map_err(|e| conversion(column, e))
}

fn opt_json<T: DeserializeOwned>(row: &Row<'_>, column: &str) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(column)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| conversion(column, e))).transpose()
}

fn from_name<T: DeserializeOwned>(row: &Row<'_>, column: &str) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    serde_json::from_value(serde_json::Value::String(text)).map_err(|e| conversion(column, e))
}

fn uuid(row: &Row<'_>, column: &str) -> rusqlite::Result<Uuid> {
    let text: String = row.get(column)?;
    text.parse().map_err(|e| conversion(column, e))
}

fn opt_uuid(row: &Row<'_>, column: &str) -> rusqlite::Result<Option<Uuid>> {
    let text: Option<String> = row.get(column)?;
    text.map(|t| t.parse().map_err(|e| conversion(column, e))).transpose()
}

/// `INSERT ... ON CONFLICT (key) DO UPDATE` of every column: a replaced row keeps its
/// `seq`, so it keeps its place in listings.
fn upsert(table: &str, key: &str, columns: &[&str]) -> String {
    let names = columns.join(", ");
    let values: Vec<String> = columns.iter().map(|c| format!(":{c}")).collect();
    let updates: Vec<String> =
        columns.iter().filter(|c| **c != key).map(|c| format!("{c} = excluded.{c}")).collect();
    format!(
        "INSERT INTO {table} ({names}) VALUES ({}) ON CONFLICT ({key}) DO UPDATE SET {}",
        values.join(", "),
        updates.join(", ")
    )
}

const JOB_COLUMNS: &[&str] = &[
    "uuid",
    "name",
    "job_type",
    "type_etag",
    "priority",
    "settings",
    "metadata",
    "submitter_platform",
    "storage",
    "worker_tag",
    "created",
    "updated",
    "status",
    "activity",
    "delete_requested_at",
    "steps_completed",
    "steps_total",
];

const TASK_COLUMNS: &[&str] = &[
    "uuid",
    "job_uuid",
    "name",
    "status",
    "priority",
    "task_type",
    "activity",
    "commands",
    "created",
    "updated",
    "worker",
    "worker_uuid",
    "last_touched",
    "failed_by_workers",
    "depends_on",
    "index_in_job",
    "steps_completed",
    "steps_total",
];

const WORKER_COLUMNS: &[&str] = &[
    "uuid",
    "secret",
    "name",
    "address",
    "platform",
    "software",
    "supported_task_types",
    "status",
    "status_change",
    "can_restart",
    "tags",
    "created",
    "updated",
    "last_seen",
    "sleep_schedule",
];

fn job_from(row: &Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: uuid(row, "uuid")?,
        name: row.get("name")?,
        job_type: row.get("job_type")?,
        type_etag: row.get("type_etag")?,
        priority: row.get("priority")?,
        settings: from_json(row, "settings")?,
        metadata: from_json(row, "metadata")?,
        submitter_platform: row.get("submitter_platform")?,
        storage: opt_json(row, "storage")?,
        worker_tag: opt_uuid(row, "worker_tag")?,
        created: row.get("created")?,
        updated: row.get("updated")?,
        status: from_name(row, "status")?,
        activity: row.get("activity")?,
        delete_requested_at: row.get("delete_requested_at")?,
        steps_completed: row.get("steps_completed")?,
        steps_total: row.get("steps_total")?,
    })
}

fn task_from(row: &Row<'_>) -> rusqlite::Result<Task> {
    Ok(Task {
        id: uuid(row, "uuid")?,
        job_id: uuid(row, "job_uuid")?,
        name: row.get("name")?,
        status: from_name(row, "status")?,
        priority: row.get("priority")?,
        task_type: row.get("task_type")?,
        activity: row.get("activity")?,
        commands: from_json(row, "commands")?,
        created: row.get("created")?,
        updated: row.get("updated")?,
        worker: opt_json(row, "worker")?,
        last_touched: row.get("last_touched")?,
        failed_by_workers: from_json(row, "failed_by_workers")?,
        depends_on: from_json(row, "depends_on")?,
        index_in_job: row.get("index_in_job")?,
        steps_completed: row.get("steps_completed")?,
        steps_total: row.get("steps_total")?,
    })
}

fn worker_from(row: &Row<'_>) -> rusqlite::Result<Worker> {
    Ok(Worker {
        id: uuid(row, "uuid")?,
        secret: row.get("secret")?,
        name: row.get("name")?,
        address: row.get("address")?,
        platform: row.get("platform")?,
        software: row.get("software")?,
        supported_task_types: from_json(row, "supported_task_types")?,
        status: from_name(row, "status")?,
        status_change: opt_json(row, "status_change")?,
        can_restart: row.get("can_restart")?,
        tags: from_json(row, "tags")?,
        created: row.get("created")?,
        updated: row.get("updated")?,
        last_seen: row.get("last_seen")?,
        sleep_schedule: opt_json(row, "sleep_schedule")?,
    })
}

fn tag_from(row: &Row<'_>) -> rusqlite::Result<WorkerTag> {
    Ok(WorkerTag { id: uuid(row, "uuid")?, name: row.get("name")?, description: row.get("description")? })
}

impl Conn<'_> {
    /// The rows `sql` selects with `params`, each made a `T` by `from`.
    fn all<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        from: fn(&Row<'_>) -> rusqlite::Result<T>,
        doing: &str,
    ) -> StorageResult<Vec<T>> {
        let mut statement = self.db.prepare_cached(sql).map_err(db_error(doing))?;
        let rows = statement.query_map(params, from).map_err(db_error(doing))?;
        rows.collect::<rusqlite::Result<Vec<T>>>().map_err(db_error(doing))
    }

    /// The one row `sql` selects with `params`, if any.
    fn one<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        from: fn(&Row<'_>) -> rusqlite::Result<T>,
        doing: &str,
    ) -> StorageResult<Option<T>> {
        let mut statement = self.db.prepare_cached(sql).map_err(db_error(doing))?;
        statement.query_row(params, from).optional().map_err(db_error(doing))
    }

    fn run(&self, sql: &str, params: impl rusqlite::Params, doing: &str) -> StorageResult<usize> {
        let mut statement = self.db.prepare_cached(sql).map_err(db_error(doing))?;
        statement.execute(params).map_err(db_error(doing))
    }

    pub(super) fn job(&self, id: Uuid) -> StorageResult<Option<Job>> {
        self.one("SELECT * FROM jobs WHERE uuid = ?1", [id.to_string()], job_from, "reading a job")
    }

    pub(super) fn jobs(&self) -> StorageResult<Vec<Job>> {
        self.all("SELECT * FROM jobs ORDER BY seq", [], job_from, "listing jobs")
    }

    pub(super) fn put_job(&self, job: &Job) -> StorageResult<()> {
        let doing = "storing a job";
        self.run(
            &upsert("jobs", "uuid", JOB_COLUMNS),
            named_params! {
                ":uuid": job.id.to_string(),
                ":name": job.name,
                ":job_type": job.job_type,
                ":type_etag": job.type_etag,
                ":priority": job.priority,
                ":settings": json(&job.settings, doing)?,
                ":metadata": json(&job.metadata, doing)?,
                ":submitter_platform": job.submitter_platform,
                ":storage": job.storage.as_ref().map(|s| json(s, doing)).transpose()?,
                ":worker_tag": job.worker_tag.map(|t| t.to_string()),
                ":created": job.created,
                ":updated": job.updated,
                ":status": name(&job.status),
                ":activity": job.activity,
                ":delete_requested_at": job.delete_requested_at,
                ":steps_completed": job.steps_completed,
                ":steps_total": job.steps_total,
            },
            doing,
        )?;
        Ok(())
    }

    pub(super) fn remove_job(&self, id: Uuid) -> StorageResult<Option<Job>> {
        let Some(job) = self.job(id)? else {
            return Ok(None);
        };
        // Tasks and the last-rendered row go with it (ON DELETE CASCADE); its files go
        // once that is committed (see `SqliteStorage::atomically`).
        self.run("DELETE FROM jobs WHERE uuid = ?1", [id.to_string()], "removing a job")?;
        Ok(Some(job))
    }

    pub(super) fn task(&self, id: Uuid) -> StorageResult<Option<Task>> {
        self.one("SELECT * FROM tasks WHERE uuid = ?1", [id.to_string()], task_from, "reading a task")
    }

    pub(super) fn tasks_of_job(&self, job_id: Uuid) -> StorageResult<Vec<Task>> {
        let sql = "SELECT * FROM tasks WHERE job_uuid = ?1 ORDER BY seq";
        self.all(sql, [job_id.to_string()], task_from, "listing a job's tasks")
    }

    pub(super) fn tasks_of_worker(&self, worker_id: Uuid) -> StorageResult<Vec<Task>> {
        let sql = "SELECT * FROM tasks WHERE worker_uuid = ?1 ORDER BY seq";
        self.all(sql, [worker_id.to_string()], task_from, "listing a worker's tasks")
    }

    pub(super) fn put_task(&self, task: &Task) -> StorageResult<()> {
        let doing = "storing a task";
        self.run(
            &upsert("tasks", "uuid", TASK_COLUMNS),
            named_params! {
                ":uuid": task.id.to_string(),
                ":job_uuid": task.job_id.to_string(),
                ":name": task.name,
                ":status": name(&task.status),
                ":priority": task.priority,
                ":task_type": task.task_type,
                ":activity": task.activity,
                ":commands": json(&task.commands, doing)?,
                ":created": task.created,
                ":updated": task.updated,
                ":worker": task.worker.as_ref().map(|w| json(w, doing)).transpose()?,
                ":worker_uuid": task.worker.as_ref().map(|w| w.id.to_string()),
                ":last_touched": task.last_touched,
                ":failed_by_workers": json(&task.failed_by_workers, doing)?,
                ":depends_on": json(&task.depends_on, doing)?,
                ":index_in_job": task.index_in_job,
                ":steps_completed": task.steps_completed,
                ":steps_total": task.steps_total,
            },
            doing,
        )?;
        Ok(())
    }

    pub(super) fn worker(&self, id: Uuid) -> StorageResult<Option<Worker>> {
        self.one("SELECT * FROM workers WHERE uuid = ?1", [id.to_string()], worker_from, "reading a worker")
    }

    /// The status column of every job and every worker, without decoding whole rows.
    pub(super) fn statuses(&self) -> StorageResult<(Vec<JobStatus>, Vec<WorkerStatus>)> {
        let jobs = self.all(
            "SELECT status FROM jobs ORDER BY seq",
            [],
            |row| from_name(row, "status"),
            "reading job statuses",
        )?;
        let workers = self.all(
            "SELECT status FROM workers ORDER BY seq",
            [],
            |row| from_name(row, "status"),
            "reading worker statuses",
        )?;
        Ok((jobs, workers))
    }

    pub(super) fn workers(&self) -> StorageResult<Vec<Worker>> {
        self.all("SELECT * FROM workers ORDER BY seq", [], worker_from, "listing workers")
    }

    pub(super) fn put_worker(&self, worker: &Worker) -> StorageResult<()> {
        let doing = "storing a worker";
        self.run(
            &upsert("workers", "uuid", WORKER_COLUMNS),
            named_params! {
                ":uuid": worker.id.to_string(),
                ":secret": worker.secret,
                ":name": worker.name,
                ":address": worker.address,
                ":platform": worker.platform,
                ":software": worker.software,
                ":supported_task_types": json(&worker.supported_task_types, doing)?,
                ":status": name(&worker.status),
                ":status_change": worker.status_change.as_ref().map(|c| json(c, doing)).transpose()?,
                ":can_restart": worker.can_restart,
                ":tags": json(&worker.tags, doing)?,
                ":created": worker.created,
                ":updated": worker.updated,
                ":last_seen": worker.last_seen,
                ":sleep_schedule": worker.sleep_schedule.as_ref().map(|s| json(s, doing)).transpose()?,
            },
            doing,
        )?;
        Ok(())
    }

    pub(super) fn remove_worker(&self, id: Uuid) -> StorageResult<Option<Worker>> {
        let worker = self.worker(id)?;
        if worker.is_some() {
            self.run("DELETE FROM workers WHERE uuid = ?1", [id.to_string()], "removing a worker")?;
        }
        Ok(worker)
    }

    pub(super) fn worker_tag(&self, id: Uuid) -> StorageResult<Option<WorkerTag>> {
        let sql = "SELECT * FROM worker_tags WHERE uuid = ?1";
        self.one(sql, [id.to_string()], tag_from, "reading a worker tag")
    }

    pub(super) fn worker_tags(&self) -> StorageResult<Vec<WorkerTag>> {
        self.all("SELECT * FROM worker_tags ORDER BY seq", [], tag_from, "listing worker tags")
    }

    pub(super) fn put_worker_tag(&self, tag: &WorkerTag) -> StorageResult<()> {
        self.run(
            &upsert("worker_tags", "uuid", &["uuid", "name", "description"]),
            named_params! {":uuid": tag.id.to_string(), ":name": tag.name, ":description": tag.description},
            "storing a worker tag",
        )?;
        Ok(())
    }

    pub(super) fn remove_worker_tag(&self, id: Uuid) -> StorageResult<Option<WorkerTag>> {
        let tag = self.worker_tag(id)?;
        if tag.is_some() {
            self.run("DELETE FROM worker_tags WHERE uuid = ?1", [id.to_string()], "removing a worker tag")?;
        }
        Ok(tag)
    }

    pub(super) fn last_rendered(&self, job_id: Uuid) -> StorageResult<Option<LastRenderedImage>> {
        let sql = "SELECT task_uuid, content_type, received FROM last_rendered WHERE job_uuid = ?1";
        let found = self.one(
            sql,
            [job_id.to_string()],
            |row| {
                Ok(LastRenderedImage {
                    task_id: uuid(row, "task_uuid")?,
                    thumbnails: Vec::new(),
                    received: row.get("received")?,
                })
            },
            "reading a last-rendered image",
        )?;
        let Some(mut image) = found else {
            return Ok(None);
        };
        for (file_name, _, _) in THUMBNAILS {
            let file = JobFile::LastRendered { job_id, file_name };
            match self.files.read(&file, 0)? {
                Some(bytes) => image.thumbnails.push(bytes.into()),
                None => return Err(StorageError::failed(format!("{} is missing", file.relative_path()))),
            }
        }
        Ok(Some(image))
    }

    /// Compared in Rust: the stored text of two times need not sort as the times do.
    pub(super) fn newest_last_rendered(&self) -> StorageResult<Option<Uuid>> {
        let all = self.all(
            "SELECT job_uuid, received FROM last_rendered",
            [],
            |row| Ok((uuid(row, "job_uuid")?, row.get::<_, broadcast_core::Timestamp>("received")?)),
            "finding the newest last-rendered image",
        )?;
        Ok(all.into_iter().max_by_key(|(_, received)| *received).map(|(job_id, _)| job_id))
    }

    pub(super) fn put_last_rendered(&self, job_id: Uuid, image: &LastRenderedImage) -> StorageResult<()> {
        for ((file_name, _, _), bytes) in THUMBNAILS.into_iter().zip(&image.thumbnails) {
            self.files.replace(&JobFile::LastRendered { job_id, file_name }, bytes)?;
        }
        self.run(
            "INSERT OR REPLACE INTO last_rendered (job_uuid, task_uuid, content_type, received)
             VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![job_id.to_string(), image.task_id.to_string(), "image/jpeg", image.received],
            "storing a last-rendered image",
        )?;
        Ok(())
    }

    pub(super) fn append_task_log(&self, job_id: Uuid, task_id: Uuid, text: &str) -> StorageResult<()> {
        self.files.append(&JobFile::TaskLog { job_id, task_id }, text)
    }

    pub(super) fn task_log_size(&self, job_id: Uuid, task_id: Uuid) -> StorageResult<Option<u64>> {
        self.files.size(&JobFile::TaskLog { job_id, task_id })
    }

    pub(super) fn read_task_log(
        &self,
        job_id: Uuid,
        task_id: Uuid,
        from: u64,
    ) -> StorageResult<Option<Vec<u8>>> {
        self.files.read(&JobFile::TaskLog { job_id, task_id }, from)
    }
}
