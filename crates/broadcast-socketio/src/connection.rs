//! Connections: what happens when a socket connects to namespace `/` and when it leaves.
//!
//! Setup runs as a connect middleware, which socketioxide awaits before it sends the
//! client its connect packet: by the time a client sees `connect`, it is in the default
//! rooms (`Chat`, `Jobs`, `FarmStatus`, `Lifecycle`) and its messages have a handler, so
//! neither an early broadcast nor an early `/subscription` can be missed. After its connect
//! packet, [`on_connected`] gives it the retained updates (the farm's status).

use std::sync::atomic::Ordering;

use broadcast_core::Room;
use socketioxide::extract::SocketRef;
use socketioxide::socket::DisconnectReason;

use crate::messages::Dispatcher;
use crate::shared::{AWAITING_RETAINED, Shared, remote_addr};
use crate::{GuardedAdapter, metrics};

/// Why a connection was refused after its handshake passed the HTTP checks.
#[derive(Debug)]
pub(crate) struct TooManyConnections;

impl std::fmt::Display for TooManyConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("too many connections, try again later")
    }
}

/// Counts the socket, joins the default rooms and installs the message dispatcher.
pub(crate) async fn on_connect(
    socket: SocketRef<GuardedAdapter>,
    dispatcher: Dispatcher,
) -> Result<(), TooManyConnections> {
    let shared = dispatcher.broadcaster.shared.clone();
    // Handshakes that passed the HTTP check at the same moment may still exceed the limit.
    if shared.guard.connected.fetch_add(1, Ordering::AcqRel) >= shared.config.max_connections {
        shared.guard.connected.fetch_sub(1, Ordering::AcqRel);
        metrics::refused("limit");
        tracing::warn!(sid = %socket.id, "refused a socket: at the connection limit");
        return Err(TooManyConnections);
    }
    let protocol = engine_io(&socket);
    metrics::connected(protocol, 1.0);
    // Retained rooms skip the socket until `on_connected` has given it their last update.
    socket.join(AWAITING_RETAINED);
    socket.join(Room::DEFAULT_ROOMS.map(|r| r.name()).to_vec());
    socket.on_fallback(dispatcher);
    tracing::info!(
        sid = %socket.id,
        remote = %remote_addr(&socket),
        protocol,
        transport = ?socket.transport_type(),
        "socket connected"
    );
    socket.on_disconnect(async move |socket: SocketRef<GuardedAdapter>, reason: DisconnectReason| {
        // socketioxide removes the socket from every room right after this handler.
        let refused = refused_packet(&shared, &socket, reason);
        shared.guard.connected.fetch_sub(1, Ordering::AcqRel);
        shared.guard.forget(&socket.id.to_string());
        metrics::connected(protocol, -1.0);
        match refused {
            Some((kind, why)) => {
                metrics::refused_packet(kind);
                tracing::warn!(sid = %socket.id, remote = %remote_addr(&socket), "socket disconnected: {why}");
            }
            None => tracing::info!(sid = %socket.id, remote = %remote_addr(&socket), %reason, "socket disconnected"),
        }
    });
    Ok(())
}

/// Runs once the client has been sent its connect packet: the retained updates follow it.
pub(crate) fn on_connected(socket: SocketRef<GuardedAdapter>, dispatcher: &Dispatcher) {
    dispatcher.broadcaster.give_retained(&socket);
}

/// Whether the connection ended because the server refused a packet the client sent, and
/// if so its kind (the metric's `reason`) and the reason in words.
///
/// engineioxide reports a websocket message over the size limit as a transport error, the
/// same as a peer that went away without closing. The connection tells them apart: a peer
/// that went away was seen going by a read, while a refused message ends a connection the
/// peer still holds open. (A malformed websocket frame, which real clients never send, ends
/// it the same way and is counted with it.)
fn refused_packet(
    shared: &Shared,
    socket: &SocketRef<GuardedAdapter>,
    reason: DisconnectReason,
) -> Option<(&'static str, String)> {
    match reason {
        DisconnectReason::PacketParsingError => {
            Some(("malformed", "it sent a packet that is not valid Engine.IO or Socket.IO".to_owned()))
        }
        DisconnectReason::TransportError => {
            let kill = shared.kill_switch(socket)?;
            (!kill.is_killed() && !kill.peer_closed()).then(|| {
                let limit = shared.config.max_payload;
                (
                    "too_large",
                    format!("it sent a websocket message over the {limit}-byte limit (max_payload)"),
                )
            })
        }
        _ => None,
    }
}

/// The Engine.IO generation, as a client library's docs name it: 3 for socket.io-client 2.x.
fn engine_io(socket: &SocketRef<GuardedAdapter>) -> &'static str {
    match socket.protocol() {
        socketioxide::ProtocolVersion::V4 => "EIO3",
        socketioxide::ProtocolVersion::V5 => "EIO4",
    }
}
