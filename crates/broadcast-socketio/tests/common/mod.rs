//! The Socket.IO server the integration tests talk to.

use std::net::SocketAddr;

use axum::serve::Listener;
use broadcast_socketio::transport::{Peer, TrackedListener};
use broadcast_socketio::{Config, SocketIoBroadcaster};

/// Serves Socket.IO alone on a loopback port the OS picks.
pub(crate) async fn server(config: Config) -> (SocketAddr, SocketIoBroadcaster) {
    let (web_updates, broadcaster) = broadcast_socketio::build(config);
    let app = web_updates.mount(axum::Router::<()>::new());
    let listener = TrackedListener::bind(([127, 0, 0, 1], 0).into()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<Peer>()).await.unwrap()
    });
    (addr, broadcaster)
}
