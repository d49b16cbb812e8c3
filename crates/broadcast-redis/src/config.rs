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

/// Checks a Redis URL as a command-line flag's value parser: `redis://HOST:PORT[/DB]`, or
/// `redis+unix:///PATH` for a unix socket. Nothing is connected to.
pub fn check_url(text: &str) -> Result<String, String> {
    if !(text.starts_with("redis://") || text.starts_with("redis+unix://") || text.starts_with("unix://")) {
        return Err("must start with redis:// (e.g. redis://127.0.0.1:6379) or redis+unix://".to_owned());
    }
    redis::Client::open(text).map(|_| text.to_owned()).map_err(|e| format!("is not a usable Redis URL: {e}"))
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn urls_name_a_redis_server() {
        assert_eq!(check_url("redis://127.0.0.1:6379"), Ok("redis://127.0.0.1:6379".to_owned()));
        assert_eq!(
            check_url("redis://redis.internal:7000/2"),
            Ok("redis://redis.internal:7000/2".to_owned())
        );
        assert!(check_url("127.0.0.1:6379").unwrap_err().contains("must start with redis://"));
        assert!(check_url("http://127.0.0.1:6379").unwrap_err().contains("must start with redis://"));
        assert!(check_url("redis://host:port").unwrap_err().contains("not a usable Redis URL"));
    }
}
