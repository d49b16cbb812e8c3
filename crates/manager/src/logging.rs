//! The log: where it goes, when it has colours, and one line per REST request.

use std::io::IsTerminal;
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::{Request, Response};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::Span;
use tracing_subscriber::EnvFilter;

/// Logs to stderr at the level RUST_LOG sets (default `info`), with colours only when stderr
/// is a terminal and NO_COLOR is not set, so log files hold plain text.
pub(crate) fn init() {
    let colours =
        std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_ansi(colours)
        .with_writer(std::io::stderr)
        .init();
}

/// tower-http's trace layer, logging each REST request once it is answered: method, route
/// (the path pattern, so ids do not make every line unique), status, latency, and for a
/// refused request the reason it was given. A 4xx is logged at info, a 5xx at error,
/// anything else at debug.
pub(crate) fn requests() -> TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    RequestSpan,
    (),
    ResponseLine,
    (),
    (),
    (),
> {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(ResponseLine)
        .on_body_chunk(())
        .on_eos(())
        // The response line already says it, with the reason.
        .on_failure(())
}

/// The span a request's log lines carry: `request{method=POST route=/api/v3/jobs/{job_id}}`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
        let span =
            tracing::info_span!("request", method = %request.method(), route, path = tracing::field::Empty);
        if route == "unmatched" {
            span.record("path", request.uri().path());
        }
        span
    }
}

/// Records what a request was answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ResponseLine;

impl<B> OnResponse<B> for ResponseLine {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &Span) {
        let status = response.status().as_u16();

        let reason = response.extensions().get::<manager_api::ErrorBody>().map(|e| e.message.as_str());
        match status {
            500.. => tracing::error!(status, ?latency, reason, "request failed"),
            400..500 => tracing::info!(status, ?latency, reason, "request refused"),
            _ => tracing::debug!(status, ?latency, "request answered"),
        }
    }
}
