//! `/api/v3/tasks...`: fetch a task, change its status (for people; workers report
//! through `worker.rs`).

use axum::extract::State;
use axum::http::StatusCode;
use uuid::Uuid;

use super::extract::{Json, Path};
use crate::model::Task;
use crate::schema::TaskStatusChange;
use crate::{Error, Manager};

/// `GET /api/v3/tasks/{task_id}`.
pub(super) async fn fetch_task(
    State(manager): State<Manager>,
    Path(task_id): Path<Uuid>,
) -> Result<axum::Json<Task>, Error> {
    Ok(axum::Json(manager.task(task_id)?))
}

/// `POST /api/v3/tasks/{task_id}/setstatus`: 204.
pub(super) async fn set_task_status(
    State(manager): State<Manager>,
    Path(task_id): Path<Uuid>,
    Json(change): Json<TaskStatusChange>,
) -> Result<StatusCode, Error> {
    manager.set_task_status(task_id, change.status, &change.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
