//! The job blocklist's queries.

use uuid::Uuid;

use super::super::{StorageError, StorageResult};
use super::rows::Conn;
use crate::model::JobBlock;

impl Conn<'_> {
    pub(super) fn job_blocklist(&self, job_id: Uuid) -> StorageResult<Vec<JobBlock>> {
        let doing = "reading a job's blocklist";
        let error = |e: rusqlite::Error| StorageError::from_sqlite(&e, doing);
        let mut statement = self
            .db
            .prepare_cached(
                "SELECT worker_uuid, task_type FROM job_blocklist WHERE job_uuid = ?1 ORDER BY seq",
            )
            .map_err(error)?;
        let rows = statement
            .query_map([job_id.to_string()], |row| {
                let worker: String = row.get(0)?;
                let worker_id = worker.parse::<Uuid>().map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
                })?;
                Ok(JobBlock { job_id, worker_id, task_type: row.get(1)? })
            })
            .map_err(error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(error)
    }

    pub(super) fn add_job_block(&self, block: &JobBlock) -> StorageResult<()> {
        self.db
            .prepare_cached(
                "INSERT OR IGNORE INTO job_blocklist (job_uuid, worker_uuid, task_type) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| {
                s.execute((block.job_id.to_string(), block.worker_id.to_string(), &block.task_type))
            })
            .map_err(|e| StorageError::from_sqlite(&e, "adding to a job's blocklist"))?;
        Ok(())
    }

    pub(super) fn remove_job_block(&self, block: &JobBlock) -> StorageResult<bool> {
        let removed = self
            .db
            .prepare_cached(
                "DELETE FROM job_blocklist WHERE job_uuid = ?1 AND worker_uuid = ?2 AND task_type = ?3",
            )
            .and_then(|mut s| {
                s.execute((block.job_id.to_string(), block.worker_id.to_string(), &block.task_type))
            })
            .map_err(|e| StorageError::from_sqlite(&e, "removing from a job's blocklist"))?;
        Ok(removed > 0)
    }
}
