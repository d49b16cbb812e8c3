//! The last-rendered images: `GET /job-files/{job_id}/{file_name}` serves the newest image
//! a job's workers sent, at the URL its `/last-rendered` update named, and
//! `GET /api/v3/jobs/{job_id}/last-rendered` says where it is.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::extract::Path;
use crate::last_rendered::image_info;
use crate::{Error, Manager};

/// `GET /job-files/{job_id}/{file_name}`: the image, or 404.
pub(super) async fn job_file(
    State(manager): State<Manager>,
    Path((job_id, file_name)): Path<(Uuid, String)>,
) -> Result<Response, Error> {
    let not_found = || Error::NoRoute {
        method_not_allowed: false,
        message: format!("job {job_id} has no file {file_name:?}"),
    };
    let image = manager.last_rendered(job_id)?.ok_or_else(not_found)?;
    if image.file_name() != file_name {
        return Err(not_found());
    }
    Ok((
        [(header::CONTENT_TYPE, image.content_type.clone()), (header::CACHE_CONTROL, "no-store".to_owned())],
        image.bytes,
    )
        .into_response())
}

/// `GET /api/v3/jobs/{job_id}/last-rendered`: the `JobLastRenderedImageInfo`, or 204 when
/// the job has no image yet.
pub(super) async fn last_rendered_info(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
) -> Result<Response, Error> {
    Ok(match manager.last_rendered(job_id)? {
        Some(image) => axum::Json(image_info(job_id, &image)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
