//! The Socket.IO transport of the web-updates system, on socketioxide.
//!
//! [`layer`] builds a tower layer that serves Socket.IO on `/socket.io/`, namespace `/`,
//! and the [`SocketIoBroadcaster`] that implements broadcast-core's
//! [`Broadcaster`](broadcast_core::Broadcaster) on it. Mount the layer on the same axum
//! router as the REST API and hand the broadcaster, as `Arc<dyn Broadcaster>`, to whatever
//! sends updates:
//!
//! ```no_run
//! # async fn run() {
//! let (layer, broadcaster) = broadcast_socketio::layer(broadcast_socketio::Config::default());
//! let app = axum::Router::<()>::new().layer(layer);
//! let notifier = broadcast_core::Notifier::new(std::sync::Arc::new(broadcaster));
//! # }
//! ```
//!
//! Both protocol generations are served at once, chosen per connection by the `EIO` query
//! parameter: Engine.IO 3 for socket.io-client 2.x (what Flamenco's web frontend ships;
//! there the client sends the pings) and Engine.IO 4 for socket.io-client 3.x and 4.x;
//! websocket, and HTTP long-polling with upgrade.
//!
//! What a socket does:
//! - on connect: joins `Chat` and `Jobs` ([`connection`](crate) in `connection.rs`);
//! - `/subscription`: resolved by broadcast-core, applied as join or leave, acked;
//! - `/chat`: passed on to `Chat` as `/message`, acked `message sent successfully.`;
//! - anything else: ignored, logged at debug (`messages.rs`);
//! - on disconnect: leaves every room.
//!
//! Ordering, full queues and bad input are described in the modules that deal with them:
//! `broadcaster.rs` and `messages.rs`.

mod broadcaster;
mod config;
mod connection;
mod messages;

use std::sync::Arc;

pub use broadcaster::SocketIoBroadcaster;
pub use config::Config;
pub use messages::CHAT_INVALID_ACK;
pub use socketioxide::layer::SocketIoLayer;

use broadcaster::Shared;
use messages::Dispatcher;
use socketioxide::handler::ConnectHandler;

/// Builds the Socket.IO server: a layer to mount on the HTTP server, and the broadcaster
/// that sends to its rooms.
pub fn layer(config: Config) -> (SocketIoLayer, SocketIoBroadcaster) {
    let (layer, io) = socketioxide::SocketIo::builder()
        .ping_interval(config.ping_interval)
        .ping_timeout(config.ping_timeout)
        .max_buffer_size(config.send_buffer)
        .max_payload(config.max_payload as u64)
        .ws_max_message_size(config.max_payload)
        .ws_max_frame_size(config.max_payload)
        .build_layer();
    let broadcaster = SocketIoBroadcaster { io: io.clone(), shared: Arc::new(Shared::new(config)) };
    let dispatcher = Dispatcher { broadcaster: broadcaster.clone() };
    io.ns("/", connect_handler.with(move |socket| connection::on_connect(socket, dispatcher.clone())));
    (layer, broadcaster)
}

/// The connect handler proper has nothing left to do: the middleware set the socket up
/// before the client was told it is connected.
async fn connect_handler() {}
