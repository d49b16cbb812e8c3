//! `/api/v3/worker/...`: what workers call. Everything but registration needs the
//! worker's basic-auth credential.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::auth::WorkerAuth;
use super::extract::{Body, Json, Path, RemoteAddr};
use crate::schema::{
    AssignedTask, RegisteredWorker, WorkerRegistration, WorkerSignOn, WorkerStateChange, WorkerStateChanged,
    WorkerTaskUpdate,
};
use crate::{Error, Manager, Scheduled};

/// `POST /api/v3/worker/register-worker`: 200 with the `RegisteredWorker`.
pub(super) async fn register_worker(
    State(manager): State<Manager>,
    RemoteAddr(address): RemoteAddr,
    Json(registration): Json<WorkerRegistration>,
) -> Result<axum::Json<RegisteredWorker>, Error> {
    let worker = manager.register_worker(registration, address).await?;
    Ok(axum::Json(RegisteredWorker::from(&worker)))
}

/// `POST /api/v3/worker/sign-on`: 200 with the `WorkerStateChange` to make.
pub(super) async fn sign_on(
    State(manager): State<Manager>,
    WorkerAuth(worker): WorkerAuth,
    RemoteAddr(address): RemoteAddr,
    Json(sign_on): Json<WorkerSignOn>,
) -> Result<axum::Json<WorkerStateChange>, Error> {
    Ok(axum::Json(manager.sign_on(worker.id, sign_on, address).await?))
}

/// `POST /api/v3/worker/sign-off`: 204.
pub(super) async fn sign_off(
    State(manager): State<Manager>,
    WorkerAuth(worker): WorkerAuth,
) -> Result<StatusCode, Error> {
    manager.sign_off(worker.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v3/worker/state-changed`: 204.
pub(super) async fn state_changed(
    State(manager): State<Manager>,
    WorkerAuth(worker): WorkerAuth,
    Json(changed): Json<WorkerStateChanged>,
) -> Result<StatusCode, Error> {
    manager.worker_state_changed(worker.id, changed.status).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v3/worker/task`: 200 with an `AssignedTask`, 204 when there is nothing to
/// do, 423 with a `WorkerStateChange` when the worker must change status first, 409 when
/// it is not awake.
pub(super) async fn schedule_task(
    State(manager): State<Manager>,
    WorkerAuth(worker): WorkerAuth,
) -> Result<Response, Error> {
    Ok(match manager.schedule_task(&worker).await? {
        Scheduled::Task(task, job) => axum::Json(AssignedTask::new(&task, &job)).into_response(),
        Scheduled::NothingToDo => StatusCode::NO_CONTENT.into_response(),
        Scheduled::ChangeStatus(status_requested) => {
            (StatusCode::LOCKED, axum::Json(WorkerStateChange { status_requested })).into_response()
        }
    })
}

/// `POST /api/v3/worker/task/{task_id}`: 204; 409 when the task is not assigned to this
/// worker.
pub(super) async fn task_update(
    State(manager): State<Manager>,
    WorkerAuth(worker): WorkerAuth,
    Path(task_id): Path<Uuid>,
    Json(update): Json<WorkerTaskUpdate>,
) -> Result<StatusCode, Error> {
    manager.worker_task_update(&worker, task_id, update).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v3/worker/task/{task_id}/output-produced`: 202; the body is a JPEG or PNG
/// image, 415 otherwise.
pub(super) async fn output_produced(
    State(manager): State<Manager>,
    WorkerAuth(worker): WorkerAuth,
    Path(task_id): Path<Uuid>,
    headers: HeaderMap,
    Body(image): Body,
) -> Result<StatusCode, Error> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    manager.output_produced(&worker, task_id, content_type, image).await?;
    Ok(StatusCode::ACCEPTED)
}
