//! The REST API: Flamenco's paths, bodies and status codes on top of [`Manager`].
//!
//! One file per group of routes: `jobs.rs`, `tasks.rs`, `worker.rs` (what workers call,
//! behind basic auth), `worker_mgt.rs` (worker management and tags), `job_files.rs` (task logs
//! and last-rendered images), `web_app.rs` (configuration, job types and the other reads
//! Flamenco's web app makes), `blocklist.rs` (a job's blocklist), `worker_settings.rs` (a worker's tags and
//! sleep schedule),
//! `meta.rs` (version and fallbacks). `extract.rs` and `auth.rs`
//! hold the extractors, `error.rs` the `Error` body every failure answers with.
//!
//! Handlers only translate: HTTP in, one service call, HTTP out. They never broadcast.

mod auth;
mod blocklist;
mod error;
mod extract;
mod job_files;
mod jobs;
mod meta;
mod tasks;
mod web_app;
mod worker;
mod worker_mgt;
mod worker_settings;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::Manager;

pub use auth::WORKER_AUTH_REALM;
pub use error::ErrorBody;

/// Request body limits. A larger body is refused with 413 and the JSON `Error` body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest JSON body, in bytes. Default: 2 MiB.
    pub json_body: usize,
    /// The largest last-rendered image a worker may send, in bytes. Default: 32 MiB.
    pub image_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { json_body: 2 * 1024 * 1024, image_body: 32 * 1024 * 1024 }
    }
}

/// Every REST route of the manager, on `manager`, with the default [`Limits`].
pub fn router(manager: Manager) -> Router {
    router_with_limits(manager, Limits::default())
}

/// Every REST route of the manager, on `manager`. Unknown paths and methods answer with
/// the JSON `Error` body too. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so workers' addresses are known.
/// Every request is counted in `http_requests_total{route, method, status}` (through the
/// `metrics` facade; nothing is recorded unless the application installs a recorder; see
/// [`describe_metrics`]), a request for an unknown path under `route="unmatched"`. Every
/// error response carries its [`ErrorBody`] as a response extension too, so a logging layer
/// can say why a request was refused.
pub fn router_with_limits(manager: Manager, limits: Limits) -> Router {
    Router::new()
        .route("/api/v3/version", get(meta::version))
        .route("/api/v3/status", get(meta::farm_status))
        .route("/api/v3/jobs", get(jobs::fetch_jobs).post(jobs::submit_job))
        .route("/api/v3/jobs/{job_id}", get(jobs::fetch_job).delete(jobs::delete_job))
        .route("/api/v3/jobs/{job_id}/tasks", get(jobs::fetch_job_tasks))
        .route("/api/v3/jobs/{job_id}/setpriority", post(jobs::set_job_priority))
        .route("/api/v3/jobs/{job_id}/setstatus", post(jobs::set_job_status))
        .route("/api/v3/jobs/{job_id}/last-rendered", get(job_files::last_rendered_info))
        .route("/api/v3/tasks/{task_id}", get(tasks::fetch_task))
        .route("/api/v3/tasks/{task_id}/setstatus", post(tasks::set_task_status))
        .route("/api/v3/worker/register-worker", post(worker::register_worker))
        .route("/api/v3/worker/sign-on", post(worker::sign_on))
        .route("/api/v3/worker/sign-off", post(worker::sign_off))
        .route("/api/v3/worker/state-changed", post(worker::state_changed))
        .route("/api/v3/worker/task", post(worker::schedule_task))
        .route("/api/v3/worker/task/{task_id}", post(worker::task_update))
        .route(IMAGE_ROUTE, post(worker::output_produced).layer(DefaultBodyLimit::max(limits.image_body)))
        .route("/api/v3/worker-mgt/workers", get(worker_mgt::fetch_workers))
        .route(
            "/api/v3/worker-mgt/workers/{worker_id}",
            get(worker_mgt::fetch_worker).delete(worker_mgt::delete_worker),
        )
        .route(
            "/api/v3/worker-mgt/workers/{worker_id}/setstatus",
            post(worker_mgt::request_worker_status_change),
        )
        .route(
            "/api/v3/worker-mgt/tags",
            get(worker_mgt::fetch_worker_tags).post(worker_mgt::create_worker_tag),
        )
        .route(
            "/api/v3/worker-mgt/tag/{tag_id}",
            get(worker_mgt::fetch_worker_tag)
                .put(worker_mgt::update_worker_tag)
                .delete(worker_mgt::delete_worker_tag),
        )
        .route("/api/v3/tasks/{task_id}/log", get(job_files::task_log_info))
        .route("/api/v3/tasks/{task_id}/logtail", get(job_files::task_log_tail))
        .route("/job-files/{*path}", get(job_files::job_file))
        // The routes Flamenco's own web app needs beyond the lists (SPEC section 11).
        .merge(web_app::routes())
        .merge(blocklist::routes())
        .merge(worker_settings::routes())
        .fallback(meta::no_route)
        .method_not_allowed_fallback(meta::method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.json_body))
        .layer(axum::middleware::from_fn_with_state(limits, refuse_large_bodies))
        // `layer`, not `route_layer`: requests for unknown paths are counted too.
        .layer(axum::middleware::from_fn(count_request))
        .with_state(manager)
}

/// Gives the REST API's metrics their help text (Prometheus' `# HELP` line). Call it after
/// installing the `metrics` recorder; without one it does nothing.
pub fn describe_metrics() {
    metrics::describe_counter!(
        "http_requests_total",
        "REST requests answered, by route (the path pattern; unmatched for unknown paths), method and status."
    );
    metrics::describe_counter!(
        "storage_errors_total",
        "Store failures, by kind: unavailable (disk full or read-only, database busy; answered 503) or failed (500)."
    );
}

/// The route that takes images, with its own body limit.
const IMAGE_ROUTE: &str = "/api/v3/worker/task/{task_id}/output-produced";

/// Refuses a request whose `Content-Length` is over its route's limit with 413 before
/// anything reads the body, so a client sending `Expect: 100-continue` gets the 413
/// instead of `100 Continue` (hyper sends that only when the body is first read), and no
/// one uploads megabytes to be refused. A body without a length is counted as it is read
/// (`DefaultBodyLimit`) and refused with the same 413 when it goes over.
///
/// Written here rather than taken from tower-http's `RequestBodyLimitLayer`, which does
/// the same check, because its 413 has a plain-text body and every refusal here answers
/// with Flamenco's JSON `Error`.
async fn refuse_large_bodies(
    axum::extract::State(limits): axum::extract::State<Limits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let image =
        request.extensions().get::<axum::extract::MatchedPath>().is_some_and(|p| p.as_str() == IMAGE_ROUTE);
    let limit = if image { limits.image_body } else { limits.json_body };
    let length = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match length {
        Some(length) if length > limit as u64 => crate::Error::PayloadTooLarge(format!(
            "the request body is too large: {length} bytes, at most {limit} are taken here"
        ))
        .into_response(),
        _ => next.run(request).await,
    }
}

/// Counts a request by its route (the path pattern, not the ids in it) and status.
async fn count_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route, "method" => method, "status" => status)
        .increment(1);
    response
}
