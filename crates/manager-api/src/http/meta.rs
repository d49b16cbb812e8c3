//! `GET /api/v3/version`, `GET /api/v3/status`, and the JSON answers for unknown paths and methods.

use axum::extract::State;
use axum::http::{Method, Uri};
use broadcast_core::FarmStatusReport;

use crate::schema::FlamencoVersion;
use crate::{Error, Manager};

/// `GET /api/v3/version`: the `FlamencoVersion`.
pub(super) async fn version() -> axum::Json<FlamencoVersion> {
    axum::Json(FlamencoVersion::current())
}

/// `GET /api/v3/status`: the `FarmStatusReport`.
pub(super) async fn farm_status(State(manager): State<Manager>) -> axum::Json<FarmStatusReport> {
    axum::Json(manager.farm_status())
}

/// Any path no route has: 404.
pub(super) async fn no_route(method: Method, uri: Uri) -> Error {
    Error::NoRoute { method_not_allowed: false, message: format!("no route for {method} {}", uri.path()) }
}

/// A known path with a method it does not take: 405.
pub(super) async fn method_not_allowed(method: Method, uri: Uri) -> Error {
    Error::NoRoute { method_not_allowed: true, message: format!("{} does not take {method}", uri.path()) }
}
