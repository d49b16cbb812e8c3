//! A worker's settings the Workers page changes: `POST
//! /api/v3/worker-mgt/workers/{worker_id}/settags` and `GET` / `POST
//! .../sleep-schedule`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use uuid::Uuid;

use super::extract::{Json, Path};
use super::job_files::json_or_no_content;
use crate::model::SleepSchedule;
use crate::schema::WorkerTagChangeRequest;
use crate::{Error, Manager};

/// The routes of this file, to merge into the router.
pub(super) fn routes() -> Router<Manager> {
    Router::new().route("/api/v3/worker-mgt/workers/{worker_id}/settags", post(set_worker_tags)).route(
        "/api/v3/worker-mgt/workers/{worker_id}/sleep-schedule",
        get(fetch_sleep_schedule).post(set_sleep_schedule),
    )
}

/// `POST .../settags` with a `WorkerTagChangeRequest`: 204.
async fn set_worker_tags(
    State(manager): State<Manager>,
    Path(worker_id): Path<Uuid>,
    Json(request): Json<WorkerTagChangeRequest>,
) -> Result<StatusCode, Error> {
    manager.set_worker_tags(worker_id, request.tag_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET .../sleep-schedule`: the `WorkerSleepSchedule`, or 204 when it has none.
async fn fetch_sleep_schedule(
    State(manager): State<Manager>,
    Path(worker_id): Path<Uuid>,
) -> Result<Response, Error> {
    let schedule = manager.sleep_schedule(worker_id)?;
    Ok(json_or_no_content(schedule.map(|s| SleepSchedule { next_check: None, ..s })))
}

/// `POST .../sleep-schedule` with a `WorkerSleepSchedule`: 204.
async fn set_sleep_schedule(
    State(manager): State<Manager>,
    Path(worker_id): Path<Uuid>,
    Json(schedule): Json<SleepSchedule>,
) -> Result<StatusCode, Error> {
    manager.set_sleep_schedule(worker_id, schedule).await?;
    Ok(StatusCode::NO_CONTENT)
}
