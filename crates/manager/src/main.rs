//! The manager: Flamenco's REST API and the Socket.IO web updates on one port.
//!
//! `cargo run --release -p manager -- --help` explains every flag.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use manager_api::Manager;
use tracing_subscriber::EnvFilter;

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

    /// Packets queued per socket; a socket whose queue is full misses the update.
    #[arg(long, default_value_t = broadcast_socketio::Config::default().send_buffer, value_name = "PACKETS")]
    send_buffer: usize,

    /// Job and task-log rooms one socket may be subscribed to at once.
    #[arg(long, default_value_t = broadcast_core::DEFAULT_MAX_DYNAMIC_ROOMS, value_name = "ROOMS")]
    max_subscriptions: usize,

    /// Seconds to wait for in-flight requests after SIGINT or SIGTERM before exiting anyway.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    shutdown_grace: f64,
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
    };
    let grace = seconds("shutdown-grace", args.shutdown_grace)?;
    let (socketio, broadcaster) = broadcast_socketio::layer(config);
    let manager = Manager::in_memory(Arc::new(broadcaster.clone()));
    let app = manager_api::router(manager).layer(socketio);

    let listener = tokio::net::TcpListener::bind(args.listen)
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
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
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
