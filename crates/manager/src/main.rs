//! The manager: Flamenco's REST API and the Socket.IO web updates on one port.
//!
//! `cargo run --release -p manager -- --help` explains every flag.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use broadcast_socketio::SocketIoBroadcaster;
use broadcast_socketio::transport::{Peer, TrackedListener};
use clap::Parser;
use manager_api::Manager;
use tracing_subscriber::EnvFilter;

mod memory;
mod store;

/// Flamenco Manager's REST API and Socket.IO web updates, on one port.
///
/// Logging follows RUST_LOG (e.g. RUST_LOG=debug, or RUST_LOG=info,broadcast_socketio=debug);
/// the default is `info`.
#[derive(Debug, Parser)]
#[command(name = "manager", version)]
struct Args {
    /// Address to listen on, for REST (/api/v3/...) and Socket.IO (/socket.io/).
    #[arg(long, env = "MANAGER_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// The SQLite database that keeps jobs, tasks, workers and tags (created when missing);
    /// `:memory:` keeps everything in memory instead, lost when the manager stops.
    #[arg(long, env = "MANAGER_DATABASE", default_value = "flamenco-manager.sqlite", value_name = "PATH")]
    database: std::path::PathBuf,

    /// The folder for task logs and last-rendered images (created when missing).
    #[arg(
        long,
        env = "MANAGER_STORAGE_PATH",
        default_value = "flamenco-manager-storage",
        value_name = "DIR"
    )]
    storage_path: std::path::PathBuf,

    /// Seconds between heartbeats. Engine.IO 4 clients are pinged this often; Engine.IO 3
    /// clients (socket.io-client 2.x) are told to ping this often.
    #[arg(long, default_value_t = 25.0, value_name = "SECONDS")]
    ping_interval: f64,

    /// Seconds a heartbeat may be late before the client counts as gone.
    #[arg(long, default_value_t = 20.0, value_name = "SECONDS")]
    ping_timeout: f64,

    /// Largest incoming Socket.IO packet, in bytes; a client sending more is disconnected.
    #[arg(long, default_value_t = broadcast_socketio::Config::default().max_payload, value_name = "BYTES")]
    max_payload: usize,

    /// Packets queued per socket; a client whose queue is full (it stopped reading) is
    /// disconnected at the transport level, so it reconnects and resyncs.
    #[arg(long, default_value_t = broadcast_socketio::Config::default().send_buffer, value_name = "PACKETS")]
    send_buffer: usize,

    /// Job and task-log rooms one socket may be subscribed to at once.
    #[arg(long, default_value_t = broadcast_core::DEFAULT_MAX_DYNAMIC_ROOMS, value_name = "ROOMS")]
    max_subscriptions: usize,

    /// Longest chat text, in characters; a longer one is refused with an ack saying so.
    #[arg(long, default_value_t = broadcast_socketio::Config::default().max_chat_text, value_name = "CHARS")]
    max_chat_text: usize,

    /// Socket.IO connections at once; the next handshake gets HTTP 503.
    #[arg(long, default_value_t = broadcast_socketio::Config::default().max_connections, value_name = "SOCKETS")]
    max_connections: usize,

    /// A browser origin allowed besides the manager's own and loopback ones, e.g.
    /// `https://render.example.com` (repeat for more; `*` allows any). Applies to the
    /// Socket.IO handshake and to CORS on the REST API.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,

    /// Largest JSON request body, in bytes; a larger one gets 413.
    #[arg(long, default_value_t = manager_api::Limits::default().json_body, value_name = "BYTES")]
    max_json_body: usize,

    /// Largest last-rendered image a worker may send, in bytes; a larger one gets 413.
    #[arg(long, default_value_t = manager_api::Limits::default().image_body, value_name = "BYTES")]
    max_image_body: usize,

    /// Seconds to wait for in-flight requests after SIGINT or SIGTERM before exiting anyway.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    shutdown_grace: f64,

    /// Seconds between checks whether many web-update connections closed, after which the
    /// memory they used is given back to the operating system; 0 never gives it back.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    memory_reclaim_interval: f64,
}

fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|e| format!("--{flag} {value}: {e}"))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();

    let config = broadcast_socketio::Config {
        ping_interval: seconds("ping-interval", args.ping_interval)?,
        ping_timeout: seconds("ping-timeout", args.ping_timeout)?,
        max_payload: args.max_payload,
        send_buffer: args.send_buffer,
        max_dynamic_rooms: args.max_subscriptions,
        max_chat_text: args.max_chat_text,
        max_connections: args.max_connections,
        allowed_origins: args.allowed_origins.clone(),
    };
    let grace = seconds("shutdown-grace", args.shutdown_grace)?;
    let reclaim_every = seconds("memory-reclaim-interval", args.memory_reclaim_interval)?;
    raise_open_files_limit();
    let storage = match store::open(&args.database, &args.storage_path) {
        Ok(storage) => storage,
        Err(line) => {
            // One plain line, the last thing written, for whoever started the manager.
            eprintln!("{line}");
            std::process::exit(1);
        }
    };
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("cannot set up metrics: {e}"))?;
    let (web_updates, broadcaster) = broadcast_socketio::build(config);
    let broadcaster_for_metrics = broadcaster.clone();
    if !reclaim_every.is_zero() {
        let broadcaster = broadcaster.clone();
        memory::spawn(reclaim_every, move || broadcaster.connected());
    }
    let manager = Manager::new(storage, Arc::new(broadcaster.clone()));
    manager.finish_interrupted_jobs().await.map_err(|e| format!("cannot finish interrupted jobs: {e}"))?;
    let limits = manager_api::Limits { json_body: args.max_json_body, image_body: args.max_image_body };
    let rest = manager_api::router_with_limits(manager, limits)
        .route(
            "/metrics",
            axum::routing::get(move || serve_metrics(metrics.clone(), broadcaster_for_metrics.clone())),
        )
        .layer(cors(args.allowed_origins))
        .layer(axum::middleware::from_fn(peer_address));
    let app = web_updates.mount(rest);

    let listener = TrackedListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!("listening on http://{addr}");

    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let shutdown = {
        let broadcaster = broadcaster.clone();
        async move {
            let signal = stop_signal().await;
            tracing::info!(signal, "shutting down: closing web-update connections");
            let _ = stopping_tx.send(true);
            // Transport-level close, no Socket.IO disconnect: clients reconnect by themselves.
            if tokio::time::timeout(grace, broadcaster.close()).await.is_err() {
                tracing::warn!("some web-update connections did not close in time");
            }
        }
    };
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<Peer>())
        .with_graceful_shutdown(shutdown);
    let mut served = tokio::spawn(async move { server.await });
    tokio::select! {
        result = &mut served => {
            return match result {
                Ok(Ok(())) => {
                    tracing::info!("stopped");
                    Ok(())
                }
                Ok(Err(e)) => Err(format!("server error: {e}")),
                Err(e) => Err(format!("server task failed: {e}")),
            };
        }
        _ = stopping_rx.wait_for(|stopping| *stopping) => {}
    }
    // Once stopping, in-flight requests get `grace` to finish; then exit regardless.
    match tokio::time::timeout(grace * 2, served).await {
        Ok(Ok(Ok(()))) => tracing::info!("stopped"),
        Ok(Ok(Err(e))) => return Err(format!("server error: {e}")),
        Ok(Err(e)) => return Err(format!("server task failed: {e}")),
        Err(_) => tracing::warn!("in-flight requests did not finish in time; exiting anyway"),
    }
    Ok(())
}

/// Waits for SIGINT or SIGTERM and says which.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            (Ok(mut int), Ok(mut term)) => tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            _ => {
                tracing::warn!("cannot install signal handlers; stop with Ctrl-C");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// Gives REST handlers the peer's address as `ConnectInfo<SocketAddr>`, which is all
/// manager-api knows of connections.
async fn peer_address(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Some(axum::extract::ConnectInfo(peer)) =
        request.extensions().get::<axum::extract::ConnectInfo<Peer>>()
    {
        let addr = peer.addr;
        request.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    }
    next.run(request).await
}

/// CORS for the REST API: the same origins as the Socket.IO handshake accepts.
fn cors(allowed: Vec<String>) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, parts| {
            let host = parts.headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok());
            origin.to_str().is_ok_and(|o| broadcast_socketio::origin_allowed(o, host, &allowed))
        }))
        .allow_methods(tower_http::cors::Any)
        .allow_headers(tower_http::cors::Any)
}

/// `GET /metrics`: everything recorded, plus room sizes read now, in Prometheus text format.
async fn serve_metrics(
    handle: metrics_exporter_prometheus::PrometheusHandle,
    broadcaster: SocketIoBroadcaster,
) -> impl axum::response::IntoResponse {
    // One series per predefined room, one per kind of dynamic room: a label per job would
    // grow without bound.
    let mut rooms: std::collections::BTreeMap<std::borrow::Cow<'static, str>, (usize, usize)> =
        Default::default();
    for (room, members) in broadcaster.room_sizes() {
        let kind = match room.parse::<broadcast_core::Room>() {
            Ok(broadcast_core::Room::Job(_)) => "job".into(),
            Ok(broadcast_core::Room::TaskLog(_)) => "tasklog".into(),
            Ok(predefined) => predefined.name(),
            Err(_) => "other".into(),
        };
        let entry = rooms.entry(kind).or_default();
        entry.0 += 1;
        entry.1 += members;
    }
    let mut text = handle.render();
    text.push_str("# HELP webupdates_rooms Non-empty rooms, by kind.\n# TYPE webupdates_rooms gauge\n");
    for (kind, (count, _)) in &rooms {
        text.push_str(&format!("webupdates_rooms{{kind=\"{kind}\"}} {count}\n"));
    }
    text.push_str("# HELP webupdates_room_members Memberships, by kind of room.\n# TYPE webupdates_room_members gauge\n");
    for (kind, (_, members)) in &rooms {
        text.push_str(&format!("webupdates_room_members{{kind=\"{kind}\"}} {members}\n"));
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

/// A render farm's UI is open on many machines: allow as many connections as the hard limit.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open files limit"),
    }
}
