//! The relay's metrics, recorded through the `metrics` facade (nothing is recorded unless
//! the application installs a recorder).
//!
//! | metric | kind | labels |
//! |---|---|---|
//! | `webupdates_redis_published_total` | counter | |
//! | `webupdates_redis_unpublished_total` | counter | `reason` (`queue_full`, `redis_error`) |
//! | `webupdates_redis_received_total` | counter | |
//! | `webupdates_redis_resyncs_total` | counter | `reason` (`connection_lost`, `gap`, `malformed`) |
//! | `webupdates_redis_receiving` | gauge | |

/// Gives every metric of the relay its help text. Call it after installing the recorder.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge};
    describe_counter!("webupdates_redis_published_total", "Updates published to the Redis stream.");
    describe_counter!(
        "webupdates_redis_unpublished_total",
        "Updates that could not be published to Redis, so no node delivered them, by reason \
         (queue_full: the publish queue was full; redis_error: Redis refused or was unreachable). \
         Every node that notices the gap closes its clients' connections so they resync."
    );
    describe_counter!(
        "webupdates_redis_received_total",
        "Updates read from the Redis stream and delivered locally."
    );
    describe_counter!(
        "webupdates_redis_resyncs_total",
        "Times this node closed every client's connection so they reconnect and refetch, by reason \
         (connection_lost: Redis went away; gap: a publisher's update is missing; malformed: an entry \
         could not be read)."
    );
    describe_gauge!(
        "webupdates_redis_receiving",
        "1 while this node is reading updates from Redis (and accepts new connections), else 0."
    );
}

pub(crate) fn published(count: usize) {
    metrics::counter!("webupdates_redis_published_total").increment(count as u64);
}

pub(crate) fn unpublished(reason: &'static str, count: usize) {
    metrics::counter!("webupdates_redis_unpublished_total", "reason" => reason).increment(count as u64);
}

pub(crate) fn received() {
    metrics::counter!("webupdates_redis_received_total").increment(1);
}

pub(crate) fn resync(reason: &'static str) {
    metrics::counter!("webupdates_redis_resyncs_total", "reason" => reason).increment(1);
}

pub(crate) fn receiving(yes: bool) {
    metrics::gauge!("webupdates_redis_receiving").set(if yes { 1.0 } else { 0.0 });
}
