//! Job files and what points at them: `GET /job-files/{path}` serves task logs and
//! last-rendered images in Flamenco's layout (only paths [`JobFile::parse`] accepts; any
//! other path, `..` and absolute ones included, is a 404), `GET
//! /api/v3/jobs/{job_id}/last-rendered` says where the image is, and `GET
//! /api/v3/tasks/{task_id}/log` and `/logtail` say where the log is and what it ends with.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::extract::Path;
use crate::last_rendered::image_info;
use crate::{Error, JobFile, Manager};

/// `GET /job-files/{*path}`: the file, or 404.
pub(super) async fn job_file(
    State(manager): State<Manager>,
    axum::extract::Path(path): axum::extract::Path<String>,
) -> Result<Response, Error> {
    let not_found =
        || Error::NoRoute { method_not_allowed: false, message: format!("there is no job file {path:?}") };
    let file = JobFile::parse(&path).ok_or_else(not_found)?;
    let (content_type, bytes) = manager.job_file(file)?.ok_or_else(not_found)?;
    Ok(([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-store")], bytes).into_response())
}

/// `value` as JSON, or 204 when there is none.
pub(super) fn json_or_no_content(value: Option<impl serde::Serialize>) -> Response {
    match value {
        Some(value) => axum::Json(value).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

/// `GET /api/v3/jobs/{job_id}/last-rendered`: the `JobLastRenderedImageInfo`, or 204 when
/// the job has no image yet.
pub(super) async fn last_rendered_info(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
) -> Result<Response, Error> {
    Ok(json_or_no_content(manager.last_rendered(job_id)?.map(|_| image_info(job_id))))
}

/// `GET /api/v3/tasks/{task_id}/log`: the `TaskLogInfo`, or 204 when the task has no log.
pub(super) async fn task_log_info(
    State(manager): State<Manager>,
    Path(task_id): Path<Uuid>,
) -> Result<Response, Error> {
    Ok(json_or_no_content(manager.task_log_info(task_id)?))
}

/// `GET /api/v3/tasks/{task_id}/logtail`: the end of the log as `text/plain`, or 204 when
/// the task has no log.
pub(super) async fn task_log_tail(
    State(manager): State<Manager>,
    Path(task_id): Path<Uuid>,
) -> Result<Response, Error> {
    Ok(match manager.task_log_tail(task_id)? {
        Some(tail) => ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], tail).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}
