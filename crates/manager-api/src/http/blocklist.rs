//! `GET` / `DELETE /api/v3/jobs/{job_id}/blocklist`: the workers kept from a task type of
//! a job after failing it too often, and taking them off that list.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::failures::JobBlocklistEntry;
use crate::{Error, Manager};

/// The routes of this file, to merge into the router.
pub(super) fn routes() -> Router<Manager> {
    Router::new()
        .route("/api/v3/jobs/{job_id}/blocklist", get(fetch_job_blocklist).delete(remove_job_blocklist))
}

/// `GET /api/v3/jobs/{job_id}/blocklist`: the `JobBlocklist`.
async fn fetch_job_blocklist(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
) -> Result<axum::Json<Vec<JobBlocklistEntry>>, Error> {
    Ok(axum::Json(manager.job_blocklist(job_id)?))
}

/// `DELETE /api/v3/jobs/{job_id}/blocklist` with a `JobBlocklist` body: 204.
async fn remove_job_blocklist(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
    Json(entries): Json<Vec<JobBlocklistEntry>>,
) -> Result<StatusCode, Error> {
    manager.remove_from_job_blocklist(job_id, entries).await?;
    Ok(StatusCode::NO_CONTENT)
}
