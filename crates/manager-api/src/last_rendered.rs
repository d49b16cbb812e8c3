//! Last-rendered images: a worker sends the image it just rendered; the manager keeps the
//! newest per job (a file under the storage path with the SQLite store), serves it under
//! `/job-files/job-<first 4 characters>/<job_id>/`, and broadcasts where to fetch it
//! (`notify::last_rendered`).

use axum::body::Bytes;
use broadcast_core::notify;
use broadcast_core::{LastRenderedImageInfo, LastRenderedUpdate};
use uuid::Uuid;

use crate::model::{LastRenderedImage, Worker};
use crate::storage::job_dir;
use crate::{Error, Manager, now};

/// The media types a worker may send.
pub const IMAGE_TYPES: [&str; 2] = ["image/jpeg", "image/png"];

/// Where a job's files are served: `{JOB_FILES_PREFIX}/job-<first 4 characters of the job
/// UUID>/<job UUID>/<file name>`, Flamenco's layout (see [`JobFile`](crate::JobFile)).
pub const JOB_FILES_PREFIX: &str = "/job-files";

/// The `JobLastRenderedImageInfo` for `image` of the job `job_id`: the URL is
/// `{base}/{suffix}`.
pub(crate) fn image_info(job_id: Uuid, image: &LastRenderedImage) -> LastRenderedImageInfo {
    LastRenderedImageInfo {
        base: format!("{JOB_FILES_PREFIX}/{}", job_dir(job_id)),
        suffixes: vec![image.file_name().to_owned()],
    }
}

impl Manager {
    /// `worker` sent `bytes` of `content_type` (`image/jpeg` or `image/png`) produced by
    /// the task `task_id`, which must be assigned to it. The image replaces the job's
    /// previous one, and the job room and `Last-Rendered` hear where to fetch it.
    pub async fn output_produced(
        &self,
        worker: &Worker,
        task_id: Uuid,
        content_type: &str,
        bytes: Bytes,
    ) -> Result<(), Error> {
        let media_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let Some(media_type) = IMAGE_TYPES.into_iter().find(|t| *t == media_type) else {
            return Err(Error::UnsupportedMediaType(format!(
                "an image must be sent as image/jpeg or image/png, not {content_type:?}"
            )));
        };
        if bytes.is_empty() {
            return Err(Error::invalid("the image is empty"));
        }
        let (update, _order) = self
            .change(|storage| {
                let task = storage.task(task_id)?.ok_or(Error::task_not_found(task_id))?;
                if !task.is_assigned_to(worker.id) {
                    return Err(Error::conflict(format!(
                        "task {task_id} is not assigned to worker {}",
                        worker.id
                    )));
                }
                let image = LastRenderedImage {
                    task_id,
                    content_type: media_type.to_owned(),
                    bytes,
                    received: now(),
                };
                let thumbnail = image_info(task.job_id, &image);
                storage.put_last_rendered(task.job_id, image)?;
                Ok(LastRenderedUpdate { job_id: task.job_id, task_id, thumbnail })
            })
            .await?;
        self.send(notify::last_rendered(update)).await;
        Ok(())
    }

    /// The newest image of the job `job_id`, if it has one.
    pub fn last_rendered(&self, job_id: Uuid) -> Result<Option<LastRenderedImage>, Error> {
        self.job(job_id)?;
        Ok(self.storage().last_rendered(job_id)?)
    }
}
