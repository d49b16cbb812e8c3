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
//! | `webupdates_refused_connections_total` | counter | `reason` (`origin`, `limit`) |
//! | `webupdates_subscription_errors_total` | counter | |
//! | `webupdates_chat_refused_total` | counter | |
//!
//! Room sizes are read at scrape time with [`SocketIoBroadcaster::room_sizes`](crate::SocketIoBroadcaster::room_sizes).

use broadcast_core::Event;

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

pub(crate) fn overflow_disconnect() {
    metrics::counter!("webupdates_overflow_disconnects_total").increment(1);
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
