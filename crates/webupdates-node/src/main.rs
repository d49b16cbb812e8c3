//! `webupdates-node`: serves web updates over Socket.IO, and nothing else, beside the
//! manager, sharing rooms with it and every other node through Redis. It serves
//! `/socket.io/`, `/metrics` and `/ready`.
//!
//! `cargo run --release -p webupdates-node -- --help` explains every flag.

use std::process::ExitCode;

use broadcast_socketio::cli::{ListenAddress, SocketIoArgs, listen_address};
use broadcast_socketio::transport::Peer;
use clap::Parser;

/// A Socket.IO-only web-updates node: clients connect to it as to the manager, and get the
/// manager's updates through Redis.
///
/// Durations take a unit (`25s`, `500ms`) or are a number of seconds. Logging follows
/// RUST_LOG (default `info`).
#[derive(Debug, Parser)]
#[command(
    name = "webupdates-node",
    version,
    allow_negative_numbers = true,
    after_help = "Exit codes: 0 after SIGINT or SIGTERM, 1 when the node cannot start, 2 for a bad flag or \
                  environment variable."
)]
struct Args {
    /// Address to listen on for Socket.IO (/socket.io/), /metrics and /ready: HOST:PORT or
    /// `:PORT` for every interface.
    #[arg(long, env = "MANAGER_LISTEN", default_value = "127.0.0.1:8081", value_name = "HOST:PORT",
          value_parser = listen_address)]
    listen: ListenAddress,

    /// The Redis server the manager and every node share updates through.
    #[arg(long, env = "MANAGER_REDIS", value_name = "URL", value_parser = broadcast_redis::check_url)]
    redis: String,

    #[command(flatten)]
    socketio: SocketIoArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let colours = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(colours && std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("webupdates-node: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    // Every page is a connection: allow as many as the hard limit on open files.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "cannot raise the open files limit");
    }
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("cannot set up metrics: {e}"))?;
    broadcast_socketio::describe_metrics();
    broadcast_redis::describe_metrics();
    let (web_updates, local) = broadcast_socketio::build(args.socketio.config());
    let _relay = webupdates_node::share_through_redis(broadcast_redis::RedisConfig::new(args.redis), &local)?;
    let routes = axum::Router::new()
        .route(
            "/ready",
            axum::routing::get({
                let local = local.clone();
                move || webupdates_node::ready(local.clone())
            }),
        )
        .route(
            "/metrics",
            axum::routing::get({
                let local = local.clone();
                move || {
                    let text = metrics.render() + &broadcast_socketio::room_gauges(&local);
                    async move { ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text) }
                }
            }),
        );
    let app = web_updates.mount(routes);
    let listener = args.listen.bind("webupdates-node").await?;
    let addr = axum::serve::Listener::local_addr(&listener)
        .map_err(|e| format!("cannot tell the address it listens on: {e}"))?;
    tracing::info!("listening on http://{addr}");
    let shutdown = async move {
        stop_signal().await;
        tracing::info!("shutting down: closing web-update connections");
        // Transport-level close, no Socket.IO disconnect: clients reconnect by themselves.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), local.close()).await;
    };
    axum::serve(listener, app.into_make_service_with_connect_info::<Peer>())
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| format!("the server stopped on an error: {e}"))
}

/// Waits for SIGINT or SIGTERM.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        },
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
