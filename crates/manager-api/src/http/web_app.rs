//! Routes Flamenco's own web app calls besides the lists of SPEC section 8: the manager's
//! configuration (the app mounts only once it has it), the job types, what deleting a job
//! would do, and the newest last-rendered image of any job.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use uuid::Uuid;

use super::extract::Path;
use super::job_files::json_or_no_content;
use crate::job_types::{AvailableJobType, AvailableJobTypes, available_job_type, available_job_types};
use crate::last_rendered::image_info;
use crate::schema::{JobDeletionInfo, ManagerConfiguration};
use crate::{Error, Manager};

/// The routes of this file, to merge into the router.
pub(super) fn routes() -> Router<Manager> {
    Router::new()
        .route("/api/v3/configuration", get(configuration))
        .route("/api/v3/jobs/types", get(job_types))
        .route("/api/v3/jobs/type/{type_name}", get(job_type))
        .route("/api/v3/jobs/last-rendered", get(newest_last_rendered))
        .route("/api/v3/jobs/{job_id}/what-would-delete-do", get(what_would_delete_do))
}

/// `GET /api/v3/configuration`: the `ManagerConfiguration`.
async fn configuration(State(manager): State<Manager>) -> axum::Json<ManagerConfiguration> {
    let storage_location = manager.storage().location().map(|p| p.display().to_string()).unwrap_or_default();
    axum::Json(ManagerConfiguration { storage_location, shaman_enabled: false, is_first_run: false })
}

/// `GET /api/v3/jobs/types`: the `AvailableJobTypes`.
async fn job_types() -> axum::Json<AvailableJobTypes> {
    axum::Json(available_job_types())
}

/// `GET /api/v3/jobs/type/{type_name}`: the `AvailableJobType`, or 404.
async fn job_type(
    axum::extract::Path(type_name): axum::extract::Path<String>,
) -> Result<axum::Json<AvailableJobType>, Error> {
    available_job_type(&type_name).map(axum::Json).ok_or_else(|| Error::NoRoute {
        method_not_allowed: false,
        message: format!("there is no job type {type_name:?}"),
    })
}

/// `GET /api/v3/jobs/last-rendered`: the `JobLastRenderedImageInfo` of the newest image
/// of any job, or 204 when there is none.
async fn newest_last_rendered(State(manager): State<Manager>) -> Result<Response, Error> {
    Ok(json_or_no_content(manager.newest_last_rendered()?.map(image_info)))
}

/// `GET /api/v3/jobs/{job_id}/what-would-delete-do`: the `JobDeletionInfo`.
async fn what_would_delete_do(
    State(manager): State<Manager>,
    Path(job_id): Path<Uuid>,
) -> Result<axum::Json<JobDeletionInfo>, Error> {
    manager.job(job_id)?;
    Ok(axum::Json(JobDeletionInfo { shaman_checkout: false }))
}
