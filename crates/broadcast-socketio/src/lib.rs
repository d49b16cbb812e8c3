//! The Socket.IO transport of the web-updates system, on socketioxide.
//!
//! [`build`] makes the Socket.IO server: a [`WebUpdates`] to mount on the axum router that
//! serves the REST API (it serves `/socket.io/`, namespace `/`, on the same port), and the
//! [`SocketIoBroadcaster`] that implements broadcast-core's
//! [`Broadcaster`](broadcast_core::Broadcaster) on it. Hand the broadcaster, as
//! `Arc<dyn Broadcaster>`, to whatever sends updates; serve through
//! [`transport::TrackedListener`] so that a single client's connection can be closed:
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use broadcast_socketio::transport::{Peer, TrackedListener};
//! let (web_updates, broadcaster) = broadcast_socketio::build(broadcast_socketio::Config::default());
//! let notifier = broadcast_core::Notifier::new(std::sync::Arc::new(broadcaster));
//! let app = web_updates.mount(axum::Router::new());
//! let listener = TrackedListener::bind("127.0.0.1:8080".parse().unwrap()).await?;
//! axum::serve(listener, app.into_make_service_with_connect_info::<Peer>()).await
//! # }
//! ```
//!
//! Both protocol generations are served at once, chosen per connection by the `EIO` query
//! parameter: Engine.IO 3 for socket.io-client 2.x (what Flamenco's web frontend ships;
//! there the client sends the pings) and Engine.IO 4 for socket.io-client 3.x and 4.x;
//! websocket, and HTTP long-polling with upgrade.
//!
//! What a socket does:
//! - on connect: joins `Chat`, `Jobs`, `FarmStatus` and `Lifecycle`, then is given the last
//!   update of each retained room (`/status`) (`connection.rs`, `broadcaster.rs`);
//! - `/subscription`: resolved by broadcast-core, applied as join or leave, acked;
//! - `/chat`: passed on to `Chat` as `/message`, acked `message sent successfully.`;
//! - anything else: ignored, logged at debug (`messages.rs`);
//! - on disconnect: leaves every room.
//!
//! Features: `cli` adds [`cli`], the server's command-line flags (with clap) for a binary
//! to flatten into its own.
//!
//! Ordering, slow clients and bad input are described where they are dealt with:
//! `broadcaster.rs`, `adapter.rs`, `messages.rs`, `guard.rs`; the limits in [`Config`];
//! the metrics in `metrics.rs`.

/// The Rust examples of the workspace's README, compiled and run as doctests so that they
/// cannot drift from the crates.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

mod adapter;
mod broadcaster;
#[cfg(feature = "cli")]
pub mod cli;
mod config;
mod connection;
mod guard;
mod messages;
mod metrics;
mod origin;
mod shared;
pub mod transport;

use std::sync::Arc;

pub use adapter::{GuardedAdapter, Outcomes};
pub use broadcaster::SocketIoBroadcaster;
pub use config::Config;
pub use metrics::{describe as describe_metrics, room_gauges};
pub use origin::origin_allowed;

use messages::Dispatcher;
use shared::Shared;
use socketioxide::handler::ConnectHandler;

/// The Socket.IO server's HTTP side: mount it on the router that serves the REST API.
#[derive(Clone)]
pub struct WebUpdates {
    socketio: socketioxide::layer::SocketIoLayer<GuardedAdapter>,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WebUpdates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebUpdates").finish_non_exhaustive()
    }
}

impl WebUpdates {
    /// Serves Socket.IO on `/socket.io/` in front of `router`'s own routes, behind the
    /// origin and connection-limit checks.
    pub fn mount<S: Clone + Send + Sync + 'static>(self, router: axum::Router<S>) -> axum::Router<S> {
        router.layer(self.socketio).layer(axum::middleware::from_fn_with_state(self.shared, guard::check))
    }
}

/// Builds the Socket.IO server: the HTTP side to mount, and the broadcaster that sends to
/// its rooms.
pub fn build(config: Config) -> (WebUpdates, SocketIoBroadcaster) {
    let outcomes = Arc::new(Outcomes::default());
    let (socketio, io) = socketioxide::SocketIo::builder()
        .ping_interval(config.ping_interval)
        .ping_timeout(config.ping_timeout)
        .max_buffer_size(config.send_buffer)
        .max_payload(config.max_payload as u64)
        .ws_max_message_size(config.max_payload)
        .ws_max_frame_size(config.max_payload)
        // Pages send a few small messages; a small read buffer keeps idle sockets cheap.
        .ws_read_buffer_size(1024)
        .with_adapter::<GuardedAdapter>(outcomes.clone())
        .build_layer();
    let shared = Arc::new(Shared::new(config, outcomes));
    let broadcaster = SocketIoBroadcaster { io: io.clone(), shared: shared.clone() };
    let dispatcher = Dispatcher { broadcaster: broadcaster.clone() };
    let connected = dispatcher.clone();
    // socketioxide runs the connect handler as a task of its own once the connect packet is
    // queued; until it has run, broadcasts to retained rooms skip the socket.
    let connect_handler = move |socket: socketioxide::extract::SocketRef<GuardedAdapter>| {
        let dispatcher = connected.clone();
        async move { connection::on_connected(socket, &dispatcher) }
    };
    io.ns("/", connect_handler.with(move |socket| connection::on_connect(socket, dispatcher.clone())));
    (WebUpdates { socketio, shared }, broadcaster)
}
