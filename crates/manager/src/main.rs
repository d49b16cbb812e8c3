//! The manager: Flamenco's REST API and the Socket.IO web updates on one port.
//!
//! `cargo run --release -p manager -- --help` explains every flag.

use std::process::ExitCode;
use std::sync::Arc;

use axum::serve::Listener;
use broadcast_core::notify::{self, Notification};
use broadcast_core::{Broadcaster, Fanout, Notifier};
use broadcast_redis::RedisConfig;
use broadcast_socketio::transport::Peer;
use clap::Parser;
use manager_api::Manager;

mod cli;
mod logging;
mod memory;
mod metrics;
mod store;

#[tokio::main]
async fn main() -> ExitCode {
    // A bad flag exits here, with clap's message and code 2.
    let args = cli::Args::parse();
    logging::init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One plain line: the log may be hidden (RUST_LOG=off), this never is.
            eprintln!("manager: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Applies the workers' sleep schedules once a minute (the first time two seconds after
/// start, out of the way of starting up), as Flamenco's sleep scheduler does. A failed
/// check is logged; the next one tries again.
fn spawn_sleep_scheduler(manager: Manager) {
    tokio::spawn(async move {
        let first = tokio::time::Instant::now() + std::time::Duration::from_secs(2);
        let mut minutes = tokio::time::interval_at(first, std::time::Duration::from_secs(60));
        minutes.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            minutes.tick().await;
            if let Err(error) = manager.check_sleep_schedules().await {
                tracing::warn!(%error, "checking the workers' sleep schedules failed");
            }
        }
    });
}

/// Serves until SIGINT or SIGTERM; an error is a sentence for the person who started it.
async fn run(args: cli::Args) -> Result<(), String> {
    let config = args.socketio.config();
    let grace = args.shutdown_grace;
    raise_open_files_limit();
    let storage = store::open(&args.database, &args.storage_path)?;
    let metrics = metrics::install()?;
    let (web_updates, broadcaster) = broadcast_socketio::build(config);
    let broadcaster_for_metrics = broadcaster.clone();
    if !args.memory_reclaim_interval.is_zero() {
        let broadcaster = broadcaster.clone();
        memory::spawn(args.memory_reclaim_interval, move || broadcaster.connected());
    }
    // With --redis, updates reach this process's clients, like every node's, through Redis.
    let socketio: Arc<dyn Broadcaster> = match args.redis.clone() {
        Some(url) => Arc::new(webupdates_node::share_through_redis(RedisConfig::new(url), &broadcaster)?),
        None => Arc::new(broadcaster.clone()),
    };
    // Socket.IO (or Redis), and MQTT when a broker is given, behind one Broadcaster; no
    // transport's broadcast waits (each queues, see broadcast-mqtt and broadcast-redis), so
    // all are direct lanes.
    let mqtt = args.mqtt().map(|config| {
        tracing::info!(broker = %config.broker, prefix = %config.topic_prefix, "publishing updates to MQTT too");
        Arc::new(broadcast_mqtt::MqttBroadcaster::start(config))
    });
    let transport: Arc<dyn Broadcaster> = match &mqtt {
        None => socketio,
        Some(mqtt) => Arc::new(Fanout::new().direct(socketio).direct(mqtt.clone())),
    };
    let lifecycle = Notifier::new(transport.clone());
    let mut options = manager_api::Options::default();
    // Both are at most 1000 (the parser's range), so they fit.
    options.failures = manager_api::FailurePolicy {
        blocklist_threshold: u32::try_from(args.blocklist_threshold).unwrap_or(u32::MAX),
        task_fail_after_softfail_count: u32::try_from(args.task_fail_after_softfail_count)
            .unwrap_or(u32::MAX),
    };
    let manager = Manager::with_options(storage, transport, options);
    store::finish_interrupted_jobs(&manager).await?;
    spawn_sleep_scheduler(manager.clone());
    let limits = manager_api::Limits { json_body: args.max_json_body, image_body: args.max_image_body };
    let rest = manager_api::router_with_limits(manager.clone(), limits)
        .route(
            "/metrics",
            axum::routing::get(move || metrics::serve(metrics.clone(), broadcaster_for_metrics.clone())),
        )
        .route(
            "/ready",
            axum::routing::get({
                let broadcaster = broadcaster.clone();
                move || webupdates_node::ready(broadcaster.clone())
            }),
        )
        // The web page at `/` and its views' addresses; it takes none of the routes above.
        .merge(web_app::router())
        .layer(logging::requests())
        .layer(cors(args.socketio.allowed_origins))
        .layer(axum::middleware::from_fn(peer_address));
    let app = web_updates.mount(rest);

    let listener = args.listen.bind("manager").await?;
    let addr = listener.local_addr().map_err(|e| format!("cannot tell the address it listens on: {e}"))?;

    let (stopping_tx, mut stopping_rx) = tokio::sync::watch::channel(false);
    let shutdown = {
        let broadcaster = broadcaster.clone();
        let lifecycle = lifecycle.clone();
        async move {
            let signal = stop_signal().await;
            tracing::info!(signal, "shutting down: closing web-update connections");
            // Queued before the transports close, so connected clients receive it.
            send_lifecycle(&lifecycle, notify::manager_shutdown()).await;
            let _ = stopping_tx.send(true);
            // Transport-level close, no Socket.IO disconnect: clients reconnect by themselves.
            if tokio::time::timeout(grace, broadcaster.close()).await.is_err() {
                tracing::warn!("some web-update connections did not close in time");
            }
            if let Some(mqtt) = mqtt {
                // `manager-shutdown` and whatever else waits goes out before the disconnect.
                mqtt.close(grace).await;
            }
        }
    };
    let server = axum::serve(listener, app.into_make_service_with_connect_info::<Peer>())
        .with_graceful_shutdown(shutdown);
    let mut served = tokio::spawn(async move { server.await });
    // Serving: the farm's status is computed for the first time (so a client connecting
    // from now on is given it), and the pages already open hear that the manager is up.
    manager.publish_farm_status().await;
    send_lifecycle(&lifecycle, notify::manager_startup()).await;
    // Said last, so that whoever waits for this line (tests, scripts) connects to a manager
    // that has sent its farm status and `manager-startup` already.
    tracing::info!("listening on http://{addr}");
    tokio::select! {
        result = &mut served => {
            return match result {
                Ok(Ok(())) => {
                    tracing::info!("stopped");
                    Ok(())
                }
                Ok(Err(e)) => Err(format!("the server stopped on an error: {e}")),
                Err(e) => Err(format!("the server stopped on an internal error: {e}")),
            };
        }
        _ = stopping_rx.wait_for(|stopping| *stopping) => {}
    }
    // Once stopping, in-flight requests get `grace` to finish; then exit regardless.
    match tokio::time::timeout(grace * 2, served).await {
        Ok(Ok(Ok(()))) => tracing::info!("stopped"),
        Ok(Ok(Err(e))) => return Err(format!("the server stopped on an error: {e}")),
        Ok(Err(e)) => return Err(format!("the server stopped on an internal error: {e}")),
        Err(_) => tracing::warn!("in-flight requests did not finish in time; exiting anyway"),
    }
    Ok(())
}

/// Sends a life-cycle event; a failure is logged, since the manager goes on regardless.
async fn send_lifecycle(notifier: &Notifier, event: Notification) {
    if let Err(error) = notifier.send(event).await {
        tracing::warn!(%error, "life-cycle event not delivered to every client");
    }
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

/// A render farm's UI is open on many machines: allow as many connections as the hard limit.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open files limit"),
    }
}
