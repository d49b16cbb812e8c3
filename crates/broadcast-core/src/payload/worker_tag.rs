//! `SocketIOWorkerTagUpdate` and `WorkerTag`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::is_false;

/// `WorkerTag`: a named group of workers that a job can be limited to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerTag {
    /// The tag's UUID; may be omitted when creating a tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// The tag's name.
    pub name: String,
    /// What the tag is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `SocketIOWorkerTagUpdate`: a tag was created, changed or deleted, sent as `/workertags`
/// to `WorkerTags`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerTagUpdate {
    /// The tag as it is now, or as it was when deleted.
    pub tag: WorkerTag,
    /// Set when the tag was just deleted.
    #[serde(default, skip_serializing_if = "is_false")]
    pub was_deleted: bool,
}
