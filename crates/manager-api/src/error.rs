//! [`Error`]: why a service refused a request. The HTTP layer turns each kind into its
//! status code and Flamenco's `Error` body (`http/error.rs`).

use uuid::Uuid;

use crate::StorageError;

/// Why an operation was refused. Nothing was changed or broadcast when one is returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The request is malformed or a value in it is invalid (400).
    #[error("{0}")]
    Invalid(String),
    /// No such thing (404).
    #[error("{kind} {id} does not exist")]
    NotFound {
        /// `job`, `task`, `worker`, `worker tag`, ...
        kind: &'static str,
        /// The id asked for.
        id: Uuid,
    },
    /// The request conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The worker credential is missing or wrong (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The request was made for something that has changed since (412): a job submitted
    /// with an outdated job type etag.
    #[error("{0}")]
    PreconditionFailed(String),
    /// The request body's media type cannot be handled (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request body is too large (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The store failed (500), or cannot take changes now (503, see
    /// [`StorageError::is_unavailable`]). Logged and counted where it happened.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Nothing is at this path (no route, or a job file that does not exist), or not with
    /// this method (404 / 405).
    #[error("{message}")]
    NoRoute {
        /// Whether the path exists with another method.
        method_not_allowed: bool,
        /// What to tell the client.
        message: String,
    },
}

impl Error {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict(message.into())
    }

    pub(crate) fn job_not_found(id: Uuid) -> Self {
        Error::NotFound { kind: "job", id }
    }

    pub(crate) fn task_not_found(id: Uuid) -> Self {
        Error::NotFound { kind: "task", id }
    }

    pub(crate) fn worker_not_found(id: Uuid) -> Self {
        Error::NotFound { kind: "worker", id }
    }

    pub(crate) fn tag_not_found(id: Uuid) -> Self {
        Error::NotFound { kind: "worker tag", id }
    }
}
