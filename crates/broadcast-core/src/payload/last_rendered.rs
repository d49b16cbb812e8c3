//! `SocketIOLastRenderedUpdate` and `JobLastRenderedImageInfo`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `SocketIOLastRenderedUpdate`: a job's last-rendered image changed, sent as
/// `/last-rendered` to the job's room and to `Last-Rendered`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastRenderedUpdate {
    /// The job's UUID; decides the job room.
    pub job_id: Uuid,
    /// The task that produced the image (the schema lists it as required).
    pub task_id: Uuid,
    /// Where to fetch the image.
    pub thumbnail: LastRenderedImageInfo,
}

/// `JobLastRenderedImageInfo`: the URL of an image is `{base}/{one of the suffixes}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LastRenderedImageInfo {
    /// Host-relative URL prefix.
    pub base: String,
    /// File names under `base`, one per size.
    pub suffixes: Vec<String>,
}
