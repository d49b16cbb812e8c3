//! [`Config`]: where the broker is, what the topics start with, who the client is, and how
//! much may wait while the broker is slow or gone.

use std::str::FromStr;
use std::time::Duration;

/// Updates that may wait for the broker; more are dropped and counted.
pub const DEFAULT_QUEUE: usize = 1024;
/// The topics' first level, as in Flamenco.
pub const DEFAULT_TOPIC_PREFIX: &str = "flamenco";
/// The MQTT client id, as in Flamenco.
pub const DEFAULT_CLIENT_ID: &str = "flamenco";

/// The MQTT transport's settings. [`Config::new`] gives the defaults for a broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The broker, `mqtt://HOST:PORT`.
    pub broker: Broker,
    /// Every topic is `<topic_prefix>/<room topic>` (default [`DEFAULT_TOPIC_PREFIX`]).
    pub topic_prefix: String,
    /// The client id the manager connects with (default [`DEFAULT_CLIENT_ID`]).
    pub client_id: String,
    /// User name and password, when the broker wants them.
    pub credentials: Option<Credentials>,
    /// How many updates may wait for the broker (default [`DEFAULT_QUEUE`]); while the
    /// queue is full, updates are dropped and counted.
    pub queue: usize,
    /// The MQTT keep-alive: a broker that does not answer a ping within about this long is
    /// taken for gone, and the client reconnects.
    pub keep_alive: Duration,
    /// The first wait before reconnecting; doubled after every failed attempt...
    pub reconnect_min: Duration,
    /// ...up to this.
    pub reconnect_max: Duration,
}

impl Config {
    /// The defaults, for `broker`.
    pub fn new(broker: Broker) -> Self {
        Config {
            broker,
            topic_prefix: DEFAULT_TOPIC_PREFIX.to_owned(),
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            credentials: None,
            queue: DEFAULT_QUEUE,
            keep_alive: Duration::from_secs(10),
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
        }
    }
}

/// A user name and password for the broker.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).finish_non_exhaustive()
    }
}

/// A broker's address, parsed from `mqtt://HOST:PORT` (the port may be left out: 1883).
///
/// ```
/// use broadcast_mqtt::Broker;
///
/// let broker: Broker = "mqtt://localhost:1884".parse()?;
/// assert_eq!((broker.host.as_str(), broker.port), ("localhost", 1884));
/// assert_eq!(broker.to_string(), "mqtt://localhost:1884");
/// assert!("localhost:1884".parse::<Broker>().is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broker {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::fmt::Display for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.contains(':') {
            write!(f, "mqtt://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "mqtt://{}:{}", self.host, self.port)
        }
    }
}

impl FromStr for Broker {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let rest = text
            .strip_prefix("mqtt://")
            .ok_or("must start with mqtt:// (e.g. mqtt://localhost:1883); TLS brokers are not supported")?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@', ' ']) {
            return Err("must be mqtt://HOST:PORT and nothing more (credentials go in \
                        MANAGER_MQTT_USERNAME and MANAGER_MQTT_PASSWORD)"
                .to_owned());
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or("has an unclosed [ in its host")?;
            (host, after.strip_prefix(':'))
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };
        if host.is_empty() {
            return Err("needs a host, e.g. mqtt://localhost:1883".to_owned());
        }
        let port = match port {
            None => 1883,
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| format!("has no valid port ({port:?} is not a number from 1 to 65535)"))?,
        };
        Ok(Broker { host: host.to_owned(), port })
    }
}

/// Checks a topic prefix: one or more topic levels, without MQTT's wildcards `+` and `#`,
/// and without a leading or trailing `/`.
pub fn topic_prefix(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if text.contains(['+', '#', '\0']) {
        return Err("must not contain the MQTT wildcards + and #".to_owned());
    }
    if text.starts_with('/') || text.ends_with('/') || text.contains("//") {
        return Err(
            "must be topic levels separated by single slashes, e.g. flamenco or farm/flamenco".to_owned()
        );
    }
    Ok(text.to_owned())
}

/// Checks a client id: not empty, no NUL, at most 65535 bytes.
pub fn client_id(text: &str) -> Result<String, String> {
    if text.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if text.contains('\0') || text.len() > usize::from(u16::MAX) {
        return Err("must be text without NUL of at most 65535 bytes".to_owned());
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_addresses() {
        let check = |text: &str, host: &str, port: u16| {
            assert_eq!(text.parse::<Broker>(), Ok(Broker { host: host.to_owned(), port }), "{text}");
        };
        check("mqtt://localhost:1883", "localhost", 1883);
        check("mqtt://10.0.0.5:2000", "10.0.0.5", 2000);
        check("mqtt://broker.example.com", "broker.example.com", 1883);
        check("mqtt://[::1]:1884", "::1", 1884);
        check("mqtt://localhost:1883/", "localhost", 1883);
        for (bad, why) in [
            ("localhost:1883", "must start with mqtt://"),
            ("mqtts://localhost:8883", "must start with mqtt://"),
            ("mqtt://", "needs a host"),
            ("mqtt://:1883", "needs a host"),
            ("mqtt://localhost:0", "no valid port"),
            ("mqtt://localhost:99999", "no valid port"),
            ("mqtt://localhost:x", "no valid port"),
            ("mqtt://user:pw@localhost:1883", "nothing more"),
            ("mqtt://localhost:1883/topic", "nothing more"),
            ("mqtt://[::1:1883", "unclosed"),
        ] {
            let err = bad.parse::<Broker>().unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
        assert_eq!("mqtt://[::1]:1884".parse::<Broker>().unwrap().to_string(), "mqtt://[::1]:1884");
    }

    #[test]
    fn topic_prefixes_and_client_ids() {
        assert_eq!(topic_prefix("flamenco"), Ok("flamenco".to_owned()));
        assert_eq!(topic_prefix("farm/flamenco"), Ok("farm/flamenco".to_owned()));
        for bad in ["", "a/+", "#", "/flamenco", "flamenco/", "a//b"] {
            assert!(topic_prefix(bad).is_err(), "{bad:?}");
        }
        assert_eq!(client_id("flamenco"), Ok("flamenco".to_owned()));
        assert!(client_id("").is_err());
        assert!(client_id("a\0b").is_err());
    }
}
