//! Connections: what happens when a socket connects to namespace `/` and when it leaves.
//!
//! Setup runs as a connect middleware, which socketioxide awaits before it sends the
//! client its connect packet: by the time a client sees `connect`, it is in `Chat` and
//! `Jobs` and its messages have a handler, so neither an early broadcast nor an early
//! `/subscription` can be missed.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use broadcast_core::Room;
use socketioxide::extract::SocketRef;
use socketioxide::socket::DisconnectReason;

use crate::messages::Dispatcher;

/// Joins the default rooms and installs the message dispatcher.
pub(crate) async fn on_connect(
    socket: SocketRef,
    dispatcher: Dispatcher,
) -> Result<(), std::convert::Infallible> {
    socket.join(Room::DEFAULT_ROOMS.map(|r| r.name()).to_vec());
    socket.on_fallback(dispatcher);
    tracing::info!(
        sid = %socket.id,
        remote = %remote_addr(&socket),
        protocol = engine_io(&socket),
        transport = ?socket.transport_type(),
        "socket connected"
    );
    socket.on_disconnect(async |socket: SocketRef, reason: DisconnectReason| {
        // socketioxide removes the socket from every room right after this handler.
        tracing::info!(sid = %socket.id, remote = %remote_addr(&socket), %reason, "socket disconnected");
    });
    Ok(())
}

/// The peer's address, when the server was started with connect info.
fn remote_addr(socket: &SocketRef) -> String {
    socket
        .req_parts()
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |ConnectInfo(addr)| addr.to_string())
}

/// The Engine.IO generation, as a client library's docs name it: 3 for socket.io-client 2.x.
fn engine_io(socket: &SocketRef) -> &'static str {
    match socket.protocol() {
        socketioxide::ProtocolVersion::V4 => "EIO3",
        socketioxide::ProtocolVersion::V5 => "EIO4",
    }
}
