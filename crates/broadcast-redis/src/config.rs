//! [`RedisConfig`]: where the Redis server is, and the relay's limits.

use std::time::Duration;

/// Settings of the relay. `RedisConfig::new(url)` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConfig {
    /// The Redis server, as `redis://HOST:PORT` (or `redis://HOST:PORT/DB`,
    /// `rediss://…` for TLS is not built in). Every node of one deployment names the same.
    pub url: String,
    /// The stream every update goes through. Default: `webupdates`. Deployments that share
    /// a Redis server use different names.
    pub stream: String,
    /// About how many updates the stream keeps (`XADD … MAXLEN ~`): the history a node that
    /// lost its connection for a moment reads back. Default: 10,000.
    pub history: usize,
    /// Updates waiting to be published; when it is full, the next update is not published
    /// (counted in `webupdates_redis_unpublished_total{reason="queue_full"}`). Default:
    /// 65,536.
    pub queue: usize,
    /// How long connecting and each command may take before Redis counts as gone (a read
    /// that waits for new updates gets this on top of its one-second wait). Default: 2 s.
    pub timeout: Duration,
}

impl RedisConfig {
    /// The defaults, for the Redis server at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        RedisConfig {
            url: url.into(),
            stream: "webupdates".to_owned(),
            history: 10_000,
            queue: 65_536,
            timeout: Duration::from_secs(2),
        }
    }
}
