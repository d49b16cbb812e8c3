//! Test-only server for the e2e suites in `tests/e2e`: the Socket.IO adapter on a port the OS
//! picks, plus `/fixture/...` routes that fire broadcast-core's notification rules with the
//! payload in the request body, so a suite can check what each room receives.
//!
//! Usage: `e2e-fixture-server [--ping-interval-ms N] [--ping-timeout-ms N]
//! [--max-dynamic-rooms N] [--send-buffer N] [--max-chat-text N] [--max-payload N]`. Prints
//! `listening on http://ADDR` once it listens.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::serve::Listener;
use axum::{Json, Router};
use broadcast_core::{Notification, Notifier, TaskStatus, TaskUpdate, Timestamp, notify};
use broadcast_socketio::transport::{Peer, TrackedListener};
use broadcast_socketio::{Config, SocketIoBroadcaster};
use serde::Deserialize;
use serde_json::Value;

#[derive(Clone)]
struct App {
    notifier: Notifier,
    broadcaster: SocketIoBroadcaster,
}

fn config_from_args() -> Result<Config, String> {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value: u64 = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value"))?
            .parse()
            .map_err(|e| format!("{flag}: {e}"))?;
        match flag.as_str() {
            "--ping-interval-ms" => config.ping_interval = Duration::from_millis(value),
            "--ping-timeout-ms" => config.ping_timeout = Duration::from_millis(value),
            "--max-dynamic-rooms" => config.max_dynamic_rooms = value as usize,
            "--send-buffer" => config.send_buffer = value as usize,
            "--max-chat-text" => config.max_chat_text = value as usize,
            "--max-payload" => config.max_payload = value as usize,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> Result<(), String> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,socketioxide=warn,engineioxide=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let (web_updates, broadcaster) = broadcast_socketio::build(config_from_args()?);
    let app = App { notifier: Notifier::new(Arc::new(broadcaster.clone())), broadcaster };
    let router = Router::new()
        .route("/fixture/notify/{rule}", post(fire))
        .route("/fixture/burst", post(burst))
        .route("/fixture/rooms", get(rooms))
        .route("/fixture/sockets/{sid}/rooms", get(socket_rooms))
        .with_state(app);
    let router = web_updates.mount(router);
    let listener = TrackedListener::bind(([127, 0, 0, 1], 0).into()).await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("listening on http://{addr}");
    axum::serve(listener, router.into_make_service_with_connect_info::<Peer>())
        .await
        .map_err(|e| e.to_string())
}

/// `{job|worker, deleted_at}`, the body of the two deletion rules.
#[derive(Deserialize)]
struct Deleted<T> {
    #[serde(alias = "job", alias = "worker")]
    item: T,
    deleted_at: Timestamp,
}

fn parse<T: serde::de::DeserializeOwned>(body: Value) -> Result<T, String> {
    serde_json::from_value(body).map_err(|e| e.to_string())
}

/// The notification rule named `rule`, applied to `body`.
fn rule(rule: &str, body: Value) -> Result<Notification, String> {
    Ok(match rule {
        "job_created" => notify::job_created(parse(body)?),
        "job_updated" => notify::job_updated(parse(body)?),
        "job_deleted" => {
            let d: Deleted<_> = parse(body)?;
            notify::job_deleted(d.item, d.deleted_at)
        }
        "task_updated" => notify::task_updated(parse(body)?),
        "task_log" => notify::task_log(parse(body)?),
        "last_rendered" => notify::last_rendered(parse(body)?),
        "worker_created" => notify::worker_created(parse(body)?),
        "worker_updated" => notify::worker_updated(parse(body)?),
        "worker_deleted" => {
            let d: Deleted<_> = parse(body)?;
            notify::worker_deleted(d.item, d.deleted_at)
        }
        "worker_tag_updated" => notify::worker_tag_updated(parse(body)?),
        "worker_tag_deleted" => notify::worker_tag_deleted(parse(body)?),
        other => return Err(format!("unknown rule {other:?}")),
    })
}

async fn fire(
    State(app): State<App>,
    Path(name): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, String) {
    match rule(&name, body) {
        Ok(n) => match app.notifier.send(n).await {
            Ok(()) => (StatusCode::NO_CONTENT, String::new()),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        Err(e) => (StatusCode::BAD_REQUEST, e),
    }
}

#[derive(Deserialize)]
struct Burst {
    job_id: uuid::Uuid,
    count: usize,
}

/// Sends `count` task updates to one job's room, one after the other, with `activity` set to
/// the sequence number, so a suite can check order and loss.
async fn burst(State(app): State<App>, Json(b): Json<Burst>) -> (StatusCode, String) {
    let mut failed = 0usize;
    for seq in 0..b.count.min(100_000) {
        let task = TaskUpdate {
            id: uuid::Uuid::from_u128(seq as u128),
            job_id: b.job_id,
            name: format!("task-{seq}"),
            updated: chrono::Utc::now(),
            status: TaskStatus::Active,
            previous_status: None,
            activity: seq.to_string(),
            worker: None,
            steps_completed: None,
            steps_total: None,
        };
        failed += usize::from(app.notifier.send(notify::task_updated(task)).await.is_err());
    }
    if failed == 0 {
        (StatusCode::NO_CONTENT, String::new())
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, format!("{failed} broadcasts failed"))
    }
}

async fn rooms(State(app): State<App>) -> Json<Value> {
    Json(
        serde_json::json!({ "connected": app.broadcaster.connected(), "rooms": app.broadcaster.room_sizes() }),
    )
}

async fn socket_rooms(
    State(app): State<App>,
    Path(sid): Path<String>,
) -> Result<Json<Vec<String>>, StatusCode> {
    app.broadcaster.rooms_of(&sid).map(Json).ok_or(StatusCode::NOT_FOUND)
}
