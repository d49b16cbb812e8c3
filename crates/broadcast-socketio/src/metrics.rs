//! The adapter's metrics, recorded through the `metrics` facade: nothing is recorded unless
//! the application installs a recorder (the manager serves them at `GET /metrics`).
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `webupdates_connected_sockets` | gauge | `protocol` (`EIO3`, `EIO4`) |
//! | `webupdates_broadcasts_total` | counter | `event` |
//! | `webupdates_deliveries_total` | counter | `event` |
//! | `webupdates_undelivered_total` | counter | `event` |
//! | `webupdates_overflow_disconnects_total` | counter | |
//! | `webupdates_refused_connections_total` | counter | `reason` (`origin`, `limit`, `not_ready`) |
//! | `webupdates_subscription_errors_total` | counter | |
//! | `webupdates_chat_refused_total` | counter | |
//! | `webupdates_refused_packets_total` | counter | `reason` (`too_large`, `malformed`) |
//! | `webupdates_restarted_sockets_total` | counter | |
//!
//! [`describe`](crate::describe_metrics) gives each its help text; call it once the recorder
//! is installed.
//!
//! Room sizes are read at scrape time with [`SocketIoBroadcaster::room_sizes`](crate::SocketIoBroadcaster::room_sizes),
//! and [`room_gauges`] renders them as two gauges for a `/metrics` page:
//! `webupdates_rooms{kind}` and `webupdates_room_members{kind}`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use broadcast_core::Event;

use crate::SocketIoBroadcaster;

/// The rooms and their members now, in Prometheus' text format: one series per predefined
/// room and one per kind of dynamic room (`job`, `tasklog`), since a label per job would
/// grow without bound. For a `/metrics` page, after the recorder's own output.
pub fn room_gauges(broadcaster: &SocketIoBroadcaster) -> String {
    let mut rooms: BTreeMap<Cow<'static, str>, (usize, usize)> = BTreeMap::new();
    for (room, members) in broadcaster.room_sizes() {
        let kind = match room.parse::<broadcast_core::Room>() {
            Ok(broadcast_core::Room::Job(_)) => "job".into(),
            Ok(broadcast_core::Room::TaskLog(_)) => "tasklog".into(),
            Ok(predefined) => predefined.name(),
            Err(_) => "other".into(),
        };
        let entry = rooms.entry(kind).or_default();
        entry.0 += 1;
        entry.1 += members;
    }
    let mut text =
        String::from("# HELP webupdates_rooms Non-empty rooms, by kind.\n# TYPE webupdates_rooms gauge\n");
    for (kind, (count, _)) in &rooms {
        let _ = writeln!(text, "webupdates_rooms{{kind=\"{kind}\"}} {count}");
    }
    text.push_str("# HELP webupdates_room_members Memberships, by kind of room.\n# TYPE webupdates_room_members gauge\n");
    for (kind, (_, members)) in &rooms {
        let _ = writeln!(text, "webupdates_room_members{{kind=\"{kind}\"}} {members}");
    }
    text
}

/// Gives every metric of the adapter its help text (the `# HELP` line of Prometheus' format).
/// Call it after installing the recorder; without one it does nothing.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_gauge!(
        "webupdates_connected_sockets",
        "Socket.IO sockets connected now, by Engine.IO generation."
    );
    describe_counter!("webupdates_broadcasts_total", "Updates broadcast to a room, by event.");
    describe_counter!("webupdates_deliveries_total", "Updates queued for a socket, by event.");
    describe_counter!(
        "webupdates_undelivered_total",
        "Updates a room member did not get because its queue was full (it is then disconnected), by event."
    );
    describe_counter!(
        "webupdates_overflow_disconnects_total",
        "Sockets disconnected because they stopped reading and their queue filled up."
    );
    describe_counter!(
        "webupdates_refused_connections_total",
        "Socket.IO handshakes refused, by reason (origin: a foreign browser origin; limit: at --max-connections; \
         not_ready: the server does not receive every update now, e.g. it lost Redis)."
    );
    describe_counter!(
        "webupdates_subscription_errors_total",
        "/subscription requests refused with an error ack."
    );
    describe_counter!("webupdates_chat_refused_total", "/chat messages refused (bad shape or too long).");
    describe_counter!(
        "webupdates_restarted_sockets_total",
        "Sockets whose connection was closed so they reconnect and refetch, because the server may have missed updates."
    );
    describe_counter!(
        "webupdates_refused_packets_total",
        "Incoming packets refused, closing their connection, by reason (too_large: over --max-payload; malformed)."
    );
}

pub(crate) fn connected(protocol: &'static str, delta: f64) {
    metrics::gauge!("webupdates_connected_sockets", "protocol" => protocol).increment(delta);
}

pub(crate) fn broadcast(event: Event, delivered: usize, undelivered: usize) {
    metrics::counter!("webupdates_broadcasts_total", "event" => event.name()).increment(1);
    metrics::counter!("webupdates_deliveries_total", "event" => event.name()).increment(delivered as u64);
    if undelivered > 0 {
        metrics::counter!("webupdates_undelivered_total", "event" => event.name())
            .increment(undelivered as u64);
    }
}

/// A retained update given to a socket that just connected: a delivery, not a broadcast.
pub(crate) fn retained(event: Event, delivered: bool) {
    let name = if delivered { "webupdates_deliveries_total" } else { "webupdates_undelivered_total" };
    metrics::counter!(name, "event" => event.name()).increment(1);
}

pub(crate) fn overflow_disconnect() {
    metrics::counter!("webupdates_overflow_disconnects_total").increment(1);
}

pub(crate) fn restarted(count: usize) {
    metrics::counter!("webupdates_restarted_sockets_total").increment(count as u64);
}

pub(crate) fn refused(reason: &'static str) {
    metrics::counter!("webupdates_refused_connections_total", "reason" => reason).increment(1);
}

pub(crate) fn subscription_error() {
    metrics::counter!("webupdates_subscription_errors_total").increment(1);
}

pub(crate) fn chat_refused() {
    metrics::counter!("webupdates_chat_refused_total").increment(1);
}

pub(crate) fn refused_packet(reason: &'static str) {
    metrics::counter!("webupdates_refused_packets_total", "reason" => reason).increment(1);
}
