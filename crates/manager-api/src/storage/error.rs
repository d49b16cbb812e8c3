//! [`StorageError`]: a store could not do what was asked.

use std::io;

/// What a store method returns.
pub type StorageResult<T> = Result<T, StorageError>;

/// A store failed. Made through [`StorageError::failed`] or [`StorageError::unavailable`],
/// which log it and count it, so that no failure goes unseen whatever the caller does.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("storage error: {message}")]
pub struct StorageError {
    unavailable: bool,
    message: String,
}

impl StorageError {
    /// Something went wrong that retrying will not fix by itself (HTTP 500).
    pub fn failed(message: impl Into<String>) -> Self {
        Self::new(false, message.into())
    }

    /// The disk is full, read-only or busy: the store cannot take changes now (HTTP 503).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(true, message.into())
    }

    fn new(unavailable: bool, message: String) -> Self {
        let kind = if unavailable { "unavailable" } else { "failed" };
        tracing::error!(kind, %message, "storage error");
        metrics::counter!("storage_errors_total", "kind" => kind).increment(1);
        StorageError { unavailable, message }
    }

    /// Whether the store cannot take changes now (disk full or read-only, database busy),
    /// as opposed to a failure of this one request.
    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }

    /// The error of a database call, `doing` saying what was being done.
    pub(crate) fn from_sqlite(error: &rusqlite::Error, doing: &str) -> Self {
        use rusqlite::ErrorCode as C;
        let unavailable = matches!(
            error.sqlite_error_code(),
            Some(
                C::DiskFull
                    | C::ReadOnly
                    | C::SystemIoFailure
                    | C::CannotOpen
                    | C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::PermissionDenied
            )
        );
        Self::new(unavailable, format!("{doing}: {error}"))
    }

    /// The error of a file operation, `doing` saying what was being done.
    pub(crate) fn from_io(error: &io::Error, doing: &str) -> Self {
        let unavailable = matches!(
            error.kind(),
            io::ErrorKind::StorageFull
                | io::ErrorKind::ReadOnlyFilesystem
                | io::ErrorKind::PermissionDenied
                | io::ErrorKind::QuotaExceeded
        );
        Self::new(unavailable, format!("{doing}: {error}"))
    }
}
