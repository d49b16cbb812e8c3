//! Where the manager keeps its state: the SQLite database and storage folder named by
//! `--database` and `--storage-path`, or memory with `--database :memory:`.

use std::path::Path;
use std::sync::Arc;

use manager_api::{Error, InMemoryStorage, Manager, SqliteStorage, Storage};

/// The `--database` value that keeps everything in memory, lost at exit.
pub(crate) const IN_MEMORY: &str = ":memory:";

/// Opens the store; the error is one line naming the file or folder and why.
pub(crate) fn open(database: &Path, storage_path: &Path) -> Result<Arc<dyn Storage + Send + Sync>, String> {
    if database.as_os_str() == IN_MEMORY {
        tracing::debug!(
            "keeping state in memory only (--database {IN_MEMORY}): it is lost when the manager stops"
        );
        return Ok(Arc::new(InMemoryStorage::new()));
    }
    let store = SqliteStorage::open(database, storage_path).map_err(|e| e.to_string())?;
    tracing::info!(database = %database.display(), storage_path = %storage_path.display(), "state is kept on disk");
    Ok(Arc::new(store))
}

/// Finishes the jobs a stopped manager left half-way. A store that cannot take changes now
/// (a read-only database) does not stop the manager, which still serves what it has: the
/// jobs are finished at a later start.
pub(crate) async fn finish_interrupted_jobs(manager: &Manager) -> Result<(), String> {
    match manager.finish_interrupted_jobs().await {
        Ok(0) => Ok(()),
        Ok(finished) => {
            tracing::info!(finished, "finished jobs a previous run left half-way");
            Ok(())
        }
        Err(Error::Storage(error)) if error.is_unavailable() => {
            tracing::warn!(%error, "cannot finish the jobs a previous run left half-way now; serving them as they are");
            Ok(())
        }
        Err(error) => Err(format!("cannot finish the jobs a previous run left half-way: {error}")),
    }
}
