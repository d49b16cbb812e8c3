//! `/api/v3/jobs...`: submit, list, fetch, change priority or status, delete.

use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::model::Job;
use crate::schema::{JobPriorityChange, JobStatusChange, JobTasksSummary, JobsQueryResult, SubmittedJob};
use crate::{Error, Manager};

/// `POST /api/v3/jobs`: 200 with the compiled `Job`.
pub(super) async fn submit_job(
    State(manager): State<Manager>,
    Json(submitted): Json<SubmittedJob>,
) -> Result<axum::Json<Job>, Error> {
    Ok(axum::Json(manager.submit_job(submitted).await?))
}

/// `GET /api/v3/jobs`: the `JobsQueryResult`, every job in submission order.
pub(super) async fn fetch_jobs(State(manager): State<Manager>) -> Result<axum::Json<JobsQueryResult>, Error> {
    Ok(axum::Json(JobsQueryResult { jobs: manager.jobs()? }))
}

/// `GET /api/v3/jobs/{job_id}`.
pub(super) async fn fetch_job(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
) -> Result<axum::Json<Job>, Error> {
    Ok(axum::Json(manager.job(job_id)?))
}

/// `GET /api/v3/jobs/{job_id}/tasks`: the `JobTasksSummary`.
pub(super) async fn fetch_job_tasks(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
) -> Result<axum::Json<JobTasksSummary>, Error> {
    let tasks = manager.job_tasks(job_id)?;
    Ok(axum::Json(JobTasksSummary { tasks: tasks.iter().map(Into::into).collect() }))
}

/// `POST /api/v3/jobs/{job_id}/setpriority`: 204.
pub(super) async fn set_job_priority(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
    Json(change): Json<JobPriorityChange>,
) -> Result<StatusCode, Error> {
    manager.set_job_priority(job_id, change.priority).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v3/jobs/{job_id}/setstatus`: 204.
pub(super) async fn set_job_status(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
    Json(change): Json<JobStatusChange>,
) -> Result<StatusCode, Error> {
    manager.set_job_status(job_id, change.status, &change.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v3/jobs/{job_id}`: 204.
pub(super) async fn delete_job(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
) -> Result<StatusCode, Error> {
    manager.delete_job(job_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
