//! Payload types, one per `SocketIO*` schema (and `FarmStatusReport`, `EventLifeCycle`) of Flamenco's OpenAPI file, serialising to
//! exactly its JSON: snake_case field names, optional fields omitted (never `null`),
//! RFC 3339 timestamps, lower-case hyphenated UUIDs and the schema's enum strings.

mod chat;
mod farm_status;
mod job;
mod last_rendered;
mod lifecycle;
mod status;
mod task;
mod worker;
mod worker_tag;

pub use chat::ChatMessage;
pub use farm_status::{FarmStatus, FarmStatusReport};
pub use job::JobUpdate;
pub use last_rendered::{LastRenderedImageInfo, LastRenderedUpdate};
pub use lifecycle::{EventLifeCycle, LifeCycleEventType};
pub use status::{JobStatus, TaskStatus, WorkerStatus};
pub use task::{TaskLogUpdate, TaskUpdate, TaskWorker};
pub use worker::{WorkerStatusChangeRequest, WorkerUpdate};
pub use worker_tag::{WorkerTag, WorkerTagUpdate};

/// A point in time, serialised as RFC 3339 (`2024-05-01T10:00:00Z`, fractions when present).
pub type Timestamp = chrono::DateTime<chrono::Utc>;

/// `skip_serializing_if` helper: flags that the schema makes optional are sent only when set.
fn is_false(b: &bool) -> bool {
    !*b
}
