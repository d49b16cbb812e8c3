//! [`Config`]: the adapter's settings and their defaults.

use std::time::Duration;

use broadcast_core::{DEFAULT_MAX_CHAT_TEXT, DEFAULT_MAX_DYNAMIC_ROOMS};

/// Settings of the Socket.IO server. `Config::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// How often the server expects a heartbeat. Engine.IO 4 clients are pinged this often;
    /// Engine.IO 3 clients (socket.io-client 2.x) are told to ping this often themselves.
    /// Default: 25 s, as socket.io's.
    pub ping_interval: Duration,
    /// How long a heartbeat may be late before the peer counts as dead and is dropped.
    /// Default: 20 s.
    pub ping_timeout: Duration,
    /// The largest incoming packet, in bytes, on either transport (an HTTP long-polling body,
    /// or one websocket message or frame). A client that sends more is disconnected.
    /// Default: 100 kB, far above any `/subscription` or `/chat` a page sends.
    pub max_payload: usize,
    /// Packets queued per socket, waiting to be written. A client whose queue is full when
    /// an update is sent to it (it stopped reading, or reads far slower than updates come)
    /// is disconnected at the transport level, logged and counted, so that it reconnects
    /// and fetches a fresh state instead of silently missing updates.
    /// Default: 4096, enough for a burst of updates to a page that reads normally.
    pub send_buffer: usize,
    /// Dynamic (`job-…`, `tasklog-…`) rooms one socket may be in; a subscribe beyond it is
    /// refused with `too many subscriptions, ignoring request`. Default: 256.
    pub max_dynamic_rooms: usize,
    /// The longest chat `text`, in characters; a longer one is refused with an ack saying
    /// so and not passed on. Default: 4096.
    pub max_chat_text: usize,
    /// Sockets connected at once; the next handshake gets HTTP 503 (`too many connections,
    /// try again later`) and the connected ones carry on. Default: 10,000.
    pub max_connections: usize,
    /// Browser origins allowed besides the server's own and loopback ones, exactly as the
    /// browser sends them (`https://render.example.com`), or `*` for any. A handshake from
    /// another origin gets HTTP 403. Requests without `Origin` (non-browser clients) are
    /// always allowed. Default: none.
    pub allowed_origins: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            max_payload: 100_000,
            send_buffer: 4096,
            max_dynamic_rooms: DEFAULT_MAX_DYNAMIC_ROOMS,
            max_chat_text: DEFAULT_MAX_CHAT_TEXT,
            max_connections: 10_000,
            allowed_origins: Vec::new(),
        }
    }
}
