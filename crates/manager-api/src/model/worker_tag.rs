//! `WorkerTag`: a named group of workers that a job can be limited to.

use uuid::Uuid;

/// A stored worker tag; unlike the REST and Socket.IO shape, its id is always known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerTag {
    /// The tag's UUID.
    pub id: Uuid,
    /// The tag's name.
    pub name: String,
    /// What the tag is for.
    pub description: Option<String>,
}

impl WorkerTag {
    /// The `WorkerTag` schema shape, used both by the REST API and by `/workertags`.
    pub fn to_payload(&self) -> broadcast_core::WorkerTag {
        broadcast_core::WorkerTag {
            id: Some(self.id),
            name: self.name.clone(),
            description: self.description.clone(),
        }
    }
}
