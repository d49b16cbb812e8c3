//! The manager's web page: the jobs, their tasks and logs, the last-rendered images, the
//! workers and their tags, kept current by the Socket.IO web updates, with the farm status
//! and the connection's state in the header.
//!
//! [`router`] hands an application an axum router that serves the page at `/`, at each of
//! its views' addresses (`/jobs/<id>`, `/jobs/<id>/tasks/<id>`, `/workers`, `/tags`,
//! `/last-rendered`, so a deep link survives a reload) and its files under `/assets/`. Every
//! file is built into the binary (`include_bytes!`): serving the page needs no npm, no build
//! step and no network, and nothing is loaded from elsewhere (the page's
//! `Content-Security-Policy` allows its own origin only).
//!
//! The page is plain JavaScript modules, no framework: `assets/js/updates.js` is its
//! subscription code (socket.io-client 2.5.0 over websocket, as Flamenco's own web app
//! connects), `assets/js/views/` one file per view. It talks to the same origin's REST API
//! (`/api/v3/...`) and Socket.IO (`/socket.io/`), which the application serves beside this
//! router; this crate serves no other paths, so it shadows none of them.
//!
//! What a page does under failure: when the connection drops, the header says so at once
//! ("not receiving updates"); socket.io-client reconnects by itself, and the page then
//! subscribes again and fetches what it shows over REST, so nothing changed while it was
//! away stays hidden. A REST call that fails is shown with the API's message.

mod assets;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The addresses that serve the page itself; the page's own router picks the view.
pub const PAGE_ROUTES: &[&str] = &[
    "/",
    "/jobs",
    "/jobs/{job_id}",
    "/jobs/{job_id}/tasks/{task_id}",
    "/workers",
    "/tags",
    "/last-rendered",
];

/// Where the page's files are served, below this prefix.
pub const ASSETS_PREFIX: &str = "/assets/";

/// The page: [`PAGE_ROUTES`] answer `index.html`, `/assets/<file>` the page's other files;
/// both for GET and HEAD. An unknown file under `/assets/` is a plain-text 404. Merge it
/// into the application's router beside the REST API and Socket.IO.
pub fn router() -> Router {
    let mut router = Router::new();
    for route in PAGE_ROUTES {
        router = router.route(route, get(index));
    }
    router.route("/assets/{*path}", get(asset))
}

async fn index() -> Response {
    let page = assets::find("index.html").map(|a| a.bytes).unwrap_or_default();
    let mut response = file_response(page, "text/html; charset=utf-8");
    // Only this origin: no CDN, no inline script; images may be data: URLs.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; connect-src 'self'; \
             object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

async fn asset(Path(path): Path<String>) -> Response {
    match assets::find(&path) {
        Some(found) => file_response(found.bytes, found.content_type),
        None => (StatusCode::NOT_FOUND, format!("the web app has no file {ASSETS_PREFIX}{path}\n"))
            .into_response(),
    }
}

/// A file's answer: revalidated on each load (`no-cache`), so a new manager's page is never
/// mixed with an old one's modules from the browser's cache.
fn file_response(bytes: &'static [u8], content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests;
