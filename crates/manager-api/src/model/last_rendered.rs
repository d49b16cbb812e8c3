//! The last image a job's workers rendered, as the thumbnails Flamenco's web app shows.

use axum::body::Bytes;
use broadcast_core::Timestamp;
use uuid::Uuid;

/// The thumbnails made of every last-rendered image, as Flamenco makes them: the file
/// name each is served under and the box (width, height) it is fit in, keeping its
/// proportions (an image already inside the box keeps its size). JPEG, in this order,
/// which is the order of `suffixes` in `JobLastRenderedImageInfo`.
pub const THUMBNAILS: [(&str, u32, u32); 3] = [
    ("last-rendered.jpg", 1920, 1080),
    ("last-rendered-small.jpg", 600, 338),
    ("last-rendered-tiny.jpg", 200, 112),
];

/// The latest image a worker sent for a job, kept (only the newest per job) as its
/// [`THUMBNAILS`], so the URLs in the `/last-rendered` update can be fetched.
#[derive(Clone, Debug, PartialEq)]
pub struct LastRenderedImage {
    /// The task that produced it.
    pub task_id: Uuid,
    /// The JPEG thumbnails, one per entry of [`THUMBNAILS`], in that order.
    pub thumbnails: Vec<Bytes>,
    /// When it arrived.
    pub received: Timestamp,
}

impl LastRenderedImage {
    /// The thumbnail served as `file_name`, if that is one of [`THUMBNAILS`].
    pub fn thumbnail(&self, file_name: &str) -> Option<&Bytes> {
        THUMBNAILS.iter().position(|(name, _, _)| *name == file_name).and_then(|i| self.thumbnails.get(i))
    }
}
