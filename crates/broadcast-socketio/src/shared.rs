//! What every handler of every socket shares: the settings, the delivery lock with the
//! retained updates, and the
//! state of the HTTP checks (which connection carries each websocket, which long-polling
//! sessions are closed).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::ConnectInfo;
use broadcast_core::{Broadcaster, Room, Update};
use socketioxide::extract::SocketRef;

use crate::Config;
use crate::adapter::{GuardedAdapter, Outcomes};
use crate::transport::{Kill, Peer};

/// What every handler of every socket shares.
pub(crate) struct Shared {
    pub(crate) config: Config,
    /// Serialises deliveries so that every room has one order, and holds the last update
    /// of each retained room. Held only while queueing.
    pub(crate) order: Mutex<Retained>,
    /// Where the adapter records what each broadcast reached.
    pub(crate) outcomes: Arc<Outcomes>,
    pub(crate) guard: Guard,
    /// Sockets evicted for a full queue since the start.
    pub(crate) evicted: AtomicUsize,
    /// Why new clients are refused now (the node does not receive every update); `None`
    /// while they are welcome.
    pub(crate) unready: Mutex<Option<String>>,
    /// Where clients' chat messages go instead of straight to the local `Chat` room, when
    /// the updates are shared with other processes.
    pub(crate) chat_relay: OnceLock<Arc<dyn Broadcaster>>,
}

impl Shared {
    pub(crate) fn new(config: Config, outcomes: Arc<Outcomes>) -> Self {
        Shared {
            config,
            order: Mutex::new(Retained::default()),
            outcomes,
            guard: Guard::default(),
            evicted: AtomicUsize::new(0),
            unready: Mutex::new(None),
            chat_relay: OnceLock::new(),
        }
    }

    /// Why new clients are refused now, if they are.
    pub(crate) fn unready(&self) -> Option<String> {
        self.unready.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The kill switch of the TCP connection `socket`'s websocket runs on, if it has one.
    pub(crate) fn kill_switch(&self, socket: &SocketRef<GuardedAdapter>) -> Option<Kill> {
        self.guard.upgraded(&socket.id.to_string()).or_else(|| {
            let handshake =
                socket.req_parts().extensions.get::<ConnectInfo<Peer>>().map(|c| c.0.kill.clone());
            handshake.filter(|_| socket.transport_type() == socketioxide::TransportType::Websocket)
        })
    }
}

/// The last update of each retained room.
pub(crate) type Retained = HashMap<Room, Update>;

/// The transport's own room of the sockets that joined the default rooms and have not yet
/// been given the retained updates. Not a web-updates room: no update is ever sent to it.
pub(crate) const AWAITING_RETAINED: &str = "\u{0}awaiting-retained";

/// State shared by the HTTP checks and the socket handlers.
#[derive(Debug, Default)]
pub(crate) struct Guard {
    /// Sockets connected now (counted by the connect and disconnect handlers).
    pub(crate) connected: AtomicUsize,
    /// The connection each websocket upgraded from long-polling runs on, by socket id; the
    /// handshake's own connection is in the socket's request parts.
    upgrades: Mutex<HashMap<String, Kill>>,
    /// Long-polling sessions closed from this side: their requests are refused, which makes
    /// the client drop the session and connect anew.
    closed: Mutex<HashSet<String>>,
}

impl Guard {
    /// The kill switch of the websocket that socket `sid` upgraded to, if it did.
    pub(crate) fn upgraded(&self, sid: &str) -> Option<Kill> {
        self.upgrades.lock().unwrap_or_else(|p| p.into_inner()).get(sid).cloned()
    }

    /// Closes long-polling session `sid` the only way HTTP allows: its next requests are
    /// refused (`400`, as for a session that does not exist), so the client gives it up and
    /// connects anew. The session itself ends at its heartbeat timeout.
    pub(crate) fn close(&self, sid: &str) {
        self.closed.lock().unwrap_or_else(|p| p.into_inner()).insert(sid.to_owned());
    }

    /// Records that socket `sid`'s websocket runs on the connection `kill` closes.
    pub(crate) fn upgrade(&self, sid: &str, kill: Kill) {
        self.upgrades.lock().unwrap_or_else(|p| p.into_inner()).insert(sid.to_owned(), kill);
    }

    pub(crate) fn is_closed(&self, sid: &str) -> bool {
        self.closed.lock().unwrap_or_else(|p| p.into_inner()).contains(sid)
    }

    /// Forgets socket `sid`'s upgrade and closing, once it is gone.
    pub(crate) fn forget(&self, sid: &str) {
        self.upgrades.lock().unwrap_or_else(|p| p.into_inner()).remove(sid);
        self.closed.lock().unwrap_or_else(|p| p.into_inner()).remove(sid);
    }
}

/// The peer's address, when the server was started with [`Peer`] connect info.
pub(crate) fn remote_addr(socket: &SocketRef<GuardedAdapter>) -> String {
    let parts = &socket.req_parts().extensions;
    if let Some(ConnectInfo(peer)) = parts.get::<ConnectInfo<Peer>>() {
        peer.addr.to_string()
    } else if let Some(ConnectInfo(addr)) = parts.get::<ConnectInfo<std::net::SocketAddr>>() {
        addr.to_string()
    } else {
        "unknown".to_owned()
    }
}
