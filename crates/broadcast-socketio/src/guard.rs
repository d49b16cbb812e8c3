//! The HTTP-level checks in front of Socket.IO: allowed origins, the connection limit, and
//! which TCP connection carries each upgraded websocket.
//!
//! A refused handshake gets a plain HTTP answer (`403` for a foreign origin, `503` when the
//! server is full or not ready, see `SocketIoBroadcaster::set_ready`) with a JSON `{code, message}` body; socket.io clients report it as a
//! `connect_error` and retry with their usual back-off. A long-polling packet declared larger
//! than `max_payload` gets `413`, is logged and counted, and its session is closed so the
//! client connects anew. Requests that are not for `/socket.io/` pass through untouched.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::metrics;
use crate::origin::origin_allowed;
use crate::shared::Shared;
use crate::transport::Peer;

/// The checks, as an axum middleware.
pub(crate) async fn check(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (guard, config) = (&shared.guard, &shared.config);
    if !request.uri().path().starts_with("/socket.io") {
        return next.run(request).await;
    }
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let allowed = origin.to_str().is_ok_and(|o| origin_allowed(o, host, &config.allowed_origins));
        if !allowed {
            tracing::warn!(origin = ?origin, "refused a Socket.IO connection from a foreign origin");
            metrics::refused("origin");
            return refuse(StatusCode::FORBIDDEN, "origin not allowed");
        }
    }
    let sid = request.uri().query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("sid=")));
    if sid.is_none()
        && let Some(why) = shared.unready()
    {
        tracing::debug!(why, "refused a Socket.IO connection: not ready");
        metrics::refused("not_ready");
        return refuse(StatusCode::SERVICE_UNAVAILABLE, &format!("not ready: {why}; try again later"));
    }
    match sid {
        None if guard.connected.load(Ordering::Acquire) >= config.max_connections => {
            tracing::warn!(
                limit = config.max_connections,
                "refused a Socket.IO connection: at the connection limit"
            );
            metrics::refused("limit");
            return refuse(StatusCode::SERVICE_UNAVAILABLE, "too many connections, try again later");
        }
        Some(sid) if guard.is_closed(sid) => {
            tracing::debug!(sid, "refused a request of a closed long-polling session");
            return refuse(StatusCode::BAD_REQUEST, "session closed by the server: connect again");
        }
        Some(sid)
            if request.method() == axum::http::Method::POST
                && body_length(&request) > config.max_payload as u64 =>
        {
            // engineioxide would refuse it too, but as a parse error; saying why here lets
            // the log and the metric name the real reason. The session is closed, so the
            // client connects anew.
            let length = body_length(&request);
            tracing::warn!(
                sid,
                length,
                limit = config.max_payload,
                "refused a long-polling packet over the size limit (max_payload); closing the session"
            );
            metrics::refused_packet("too_large");
            guard.close(sid);
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("packet of {length} bytes is over the {}-byte limit", config.max_payload),
            );
        }
        Some(sid) if request.headers().contains_key(header::UPGRADE) => {
            if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<Peer>>() {
                guard.upgrade(sid, peer.kill.clone());
            }
        }
        _ => {}
    }
    next.run(detach(request)).await
}

/// The request body's declared length; 0 when it declares none (engineioxide then enforces
/// the limit as it reads).
fn body_length(request: &Request) -> u64 {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Copies the handshake's URI and headers out of hyper's read buffer.
///
/// hyper parses them without copying: every header value is a slice of the connection's
/// 8 KiB read buffer. socketioxide keeps the handshake's request parts for the socket's
/// whole life, which would keep that whole buffer alive per connection. Copying the few
/// hundred bytes they are lets the buffer go once the connection is upgraded.
fn detach(mut request: Request) -> Request {
    let headers = std::mem::take(request.headers_mut());
    let copied = request.headers_mut();
    copied.reserve(headers.len());
    for (name, value) in &headers {
        if let Ok(value) = axum::http::HeaderValue::from_bytes(value.as_bytes()) {
            copied.append(name.clone(), value);
        }
    }
    if let Ok(uri) = axum::http::Uri::try_from(request.uri().to_string()) {
        // axum's copy of the URI, made before this middleware, is a slice of the buffer too.
        if request.extensions().get::<axum::extract::OriginalUri>().is_some() {
            request.extensions_mut().insert(axum::extract::OriginalUri(uri.clone()));
        }
        *request.uri_mut() = uri;
    }
    request
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "code": status.as_u16(), "message": message });
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}
