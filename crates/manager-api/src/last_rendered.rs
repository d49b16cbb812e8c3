//! Last-rendered images: a worker sends the image it just rendered (PNG or JPEG); the
//! manager makes its [`THUMBNAILS`] off the request path (`thumbnails.rs`), keeps those of
//! the newest image per job (files under the storage path with the SQLite store), serves
//! them under `/job-files/job-<first 4 characters>/<job_id>/`, and broadcasts where to
//! fetch them (`notify::last_rendered`). An image that cannot be read is a 400.

use axum::body::Bytes;
use broadcast_core::notify;
use broadcast_core::{LastRenderedImageInfo, LastRenderedUpdate};
use image::ImageFormat;
use uuid::Uuid;

use crate::model::{LastRenderedImage, THUMBNAILS, Worker};
use crate::storage::job_dir;
use crate::{Error, Manager, now, thumbnails};

/// The media types a worker may send.
pub const IMAGE_TYPES: [&str; 2] = ["image/jpeg", "image/png"];

/// Where a job's files are served: `{JOB_FILES_PREFIX}/job-<first 4 characters of the job
/// UUID>/<job UUID>/<file name>`, Flamenco's layout (see [`JobFile`](crate::JobFile)).
pub const JOB_FILES_PREFIX: &str = "/job-files";

/// The `JobLastRenderedImageInfo` of the job `job_id`'s image: each URL is
/// `{base}/{suffix}`, one suffix per entry of [`THUMBNAILS`], largest first.
pub(crate) fn image_info(job_id: Uuid) -> LastRenderedImageInfo {
    LastRenderedImageInfo {
        base: format!("{JOB_FILES_PREFIX}/{}", job_dir(job_id)),
        suffixes: THUMBNAILS.iter().map(|(name, _, _)| (*name).to_owned()).collect(),
    }
}

impl Manager {
    /// `worker` sent `bytes` of `content_type` (`image/jpeg` or `image/png`) produced by
    /// the task `task_id`, which must be assigned to it. Its thumbnails replace the job's
    /// previous ones, and the job room and `Last-Rendered` hear where to fetch them. The
    /// thumbnails are made on the blocking pool, so other requests go on meanwhile; an
    /// image that cannot be read is refused (400) and nothing is kept or sent.
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
        let assigned = |task: Option<crate::model::Task>| {
            let task = task.ok_or(Error::task_not_found(task_id))?;
            if task.is_assigned_to(worker.id) {
                Ok(task)
            } else {
                Err(Error::conflict(format!("task {task_id} is not assigned to worker {}", worker.id)))
            }
        };
        // Checked before the work of decoding, and again when storing.
        assigned(self.storage().task(task_id)?)?;
        let format = if media_type == "image/png" { ImageFormat::Png } else { ImageFormat::Jpeg };
        let made = thumbnails::make_off_the_request_path(format, bytes).await;
        let thumbnails = made?;
        let (update, _order) = self
            .change(|storage| {
                let task = assigned(storage.task(task_id)?)?;
                let image = LastRenderedImage { task_id, thumbnails, received: now() };
                let thumbnail = image_info(task.job_id);
                storage.put_last_rendered(task.job_id, image)?;
                Ok(LastRenderedUpdate { job_id: task.job_id, task_id, thumbnail })
            })
            .await?;
        self.send(notify::last_rendered(update)).await;
        Ok(())
    }

    /// The job whose image arrived last, if any job has one.
    pub fn newest_last_rendered(&self) -> Result<Option<Uuid>, Error> {
        Ok(self.storage().newest_last_rendered()?)
    }

    /// The newest image of the job `job_id`, if it has one.
    pub fn last_rendered(&self, job_id: Uuid) -> Result<Option<LastRenderedImage>, Error> {
        self.job(job_id)?;
        Ok(self.storage().last_rendered(job_id)?)
    }
}
