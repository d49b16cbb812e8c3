//! Where the manager keeps its state: the SQLite database and storage folder named by
//! `--database` and `--storage-path`, or memory with `--database :memory:`.

use std::path::Path;
use std::sync::Arc;

use manager_api::{InMemoryStorage, SqliteStorage, Storage};

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
