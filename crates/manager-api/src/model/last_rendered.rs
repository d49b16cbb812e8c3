//! The last image a job's workers rendered.

use axum::body::Bytes;
use broadcast_core::Timestamp;
use uuid::Uuid;

/// The latest image a worker sent for a job, kept (only the newest per job) so the URL in
/// the `/last-rendered` update can be fetched.
#[derive(Clone, Debug, PartialEq)]
pub struct LastRenderedImage {
    /// The task that produced it.
    pub task_id: Uuid,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// The image file, as the worker sent it.
    pub bytes: Bytes,
    /// When it arrived.
    pub received: Timestamp,
}

impl LastRenderedImage {
    /// The file name it is stored and served under, in the job's folder.
    pub fn file_name(&self) -> &'static str {
        if self.content_type == "image/png" { "last-rendered.png" } else { "last-rendered.jpg" }
    }
}
