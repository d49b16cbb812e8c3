//! `/api/v3/worker-mgt/...`: people managing workers and worker tags.

use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::schema::{
    WorkerDetails, WorkerList, WorkerStatusChangeRequest, WorkerSummary, WorkerTag, WorkerTagList,
};
use crate::{Error, Manager};

/// `POST /api/v3/worker-mgt/workers/{worker_id}/setstatus`: 204.
pub(super) async fn request_worker_status_change(
    State(manager): State<Manager>,
    Path(worker_id): Path<Uuid>,
    Json(change): Json<WorkerStatusChangeRequest>,
) -> Result<StatusCode, Error> {
    manager.request_worker_status_change(worker_id, change).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v3/worker-mgt/workers`: the `WorkerList`.
pub(super) async fn fetch_workers(State(manager): State<Manager>) -> Result<axum::Json<WorkerList>, Error> {
    Ok(axum::Json(WorkerList { workers: manager.workers()?.iter().map(WorkerSummary::from).collect() }))
}

/// `GET /api/v3/worker-mgt/workers/{worker_id}`: the `Worker`.
pub(super) async fn fetch_worker(
    State(manager): State<Manager>,
    Path(worker_id): Path<Uuid>,
) -> Result<axum::Json<WorkerDetails>, Error> {
    Ok(axum::Json(manager.worker_details(worker_id)?))
}

/// `DELETE /api/v3/worker-mgt/workers/{worker_id}`: 204.
pub(super) async fn delete_worker(
    State(manager): State<Manager>,
    Path(worker_id): Path<Uuid>,
) -> Result<StatusCode, Error> {
    manager.delete_worker(worker_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v3/worker-mgt/tags`: the `WorkerTagList`.
pub(super) async fn fetch_worker_tags(
    State(manager): State<Manager>,
) -> Result<axum::Json<WorkerTagList>, Error> {
    Ok(axum::Json(WorkerTagList { tags: manager.worker_tags()?.iter().map(|t| t.to_payload()).collect() }))
}

/// `POST /api/v3/worker-mgt/tags`: 200 with the created `WorkerTag`, its id assigned.
pub(super) async fn create_worker_tag(
    State(manager): State<Manager>,
    Json(tag): Json<WorkerTag>,
) -> Result<axum::Json<WorkerTag>, Error> {
    Ok(axum::Json(manager.create_worker_tag(tag).await?.to_payload()))
}

/// `GET /api/v3/worker-mgt/tag/{tag_id}`.
pub(super) async fn fetch_worker_tag(
    State(manager): State<Manager>,
    Path(tag_id): Path<Uuid>,
) -> Result<axum::Json<WorkerTag>, Error> {
    Ok(axum::Json(manager.worker_tag(tag_id)?.to_payload()))
}

/// `PUT /api/v3/worker-mgt/tag/{tag_id}`: 204.
pub(super) async fn update_worker_tag(
    State(manager): State<Manager>,
    Path(tag_id): Path<Uuid>,
    Json(tag): Json<WorkerTag>,
) -> Result<StatusCode, Error> {
    manager.update_worker_tag(tag_id, tag).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v3/worker-mgt/tag/{tag_id}`: 204.
pub(super) async fn delete_worker_tag(
    State(manager): State<Manager>,
    Path(tag_id): Path<Uuid>,
) -> Result<StatusCode, Error> {
    manager.delete_worker_tag(tag_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
