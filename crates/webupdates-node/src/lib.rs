//! What a process that serves web updates needs to share them with other processes
//! through Redis: [`share_through_redis`] wires a Socket.IO server to the Redis relay, and
//! [`ready`] answers a load balancer's readiness check. The `webupdates-node` binary
//! (`src/main.rs`) is this plus a listener; the manager uses the same wiring when started
//! with `--redis`.
//!
//! Nothing here decides who receives what: the relay carries broadcast-core's updates, and
//! the Socket.IO server applies them to its rooms.

use std::sync::Arc;

use axum::http::StatusCode;
use broadcast_redis::{Clients, RedisBroadcaster, RedisConfig};
use broadcast_socketio::SocketIoBroadcaster;

/// Shares `local`'s updates with every process on the same Redis stream, and returns the
/// broadcaster that whatever sends updates must use instead of `local` (as
/// `Arc<dyn Broadcaster>`): what it is given reaches `local` through Redis, in the stream's
/// order, like every other process's updates. Clients' chat messages take the same way.
///
/// While the relay cannot read from Redis, `local` refuses new clients with 503 and
/// [`ready`] says why; when it may have missed updates, `local` closes every client's
/// connection so they reconnect and refetch. The error is for a Redis URL that cannot be used.
pub fn share_through_redis(
    config: RedisConfig,
    local: &SocketIoBroadcaster,
) -> Result<RedisBroadcaster, String> {
    let (gate, restart) = (local.clone(), local.clone());
    let clients = Clients {
        set_ready: Box::new(move |why| gate.set_ready(why)),
        restart_all: Box::new(move |why| restart.restart_all(why)),
    };
    let relay = RedisBroadcaster::start(config, Arc::new(local.clone()), clients)?;
    local.relay_chat_through(Arc::new(relay.clone()));
    Ok(relay)
}

/// `GET /ready`: `200 ready` while the server takes new clients, else `503` and why not
/// (for a load balancer's health check).
pub async fn ready(local: SocketIoBroadcaster) -> (StatusCode, String) {
    match local.readiness() {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}\n")),
    }
}
