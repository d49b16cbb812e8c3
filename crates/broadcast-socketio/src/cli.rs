//! The Socket.IO server's command-line flags, shared by every binary that serves it (the
//! manager and `webupdates-node`), so both take the same flags with the same checks. Every
//! value is checked by clap, and every flag has a `MANAGER_*` environment variable, which
//! `--help` shows beside it. Only with the `cli` feature.
//!
//! ```
//! use clap::Parser;
//!
//! #[derive(Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     socketio: broadcast_socketio::cli::SocketIoArgs,
//! }
//!
//! let args = Args::try_parse_from(["node", "--ping-interval", "5s", "--send-buffer", "1_000"]).unwrap();
//! let config = args.socketio.config();
//! assert_eq!((config.ping_interval.as_secs(), config.send_buffer), (5, 1000));
//! assert!(Args::try_parse_from(["node", "--send-buffer", "0"]).is_err());
//! ```

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::Config;
use crate::transport::TrackedListener;

/// The Socket.IO limits, as flags; [`SocketIoArgs::config`] makes the [`Config`].
#[derive(Clone, Debug, clap::Args)]
pub struct SocketIoArgs {
    /// How often a heartbeat is due. Engine.IO 4 clients are pinged this often; Engine.IO 3
    /// clients (socket.io-client 2.x) are told to ping this often.
    #[arg(long, env = "MANAGER_PING_INTERVAL", default_value = "25s", value_name = "DURATION",
          value_parser = positive_duration, allow_hyphen_values = true)]
    pub ping_interval: Duration,

    /// How late a heartbeat may be before the client counts as gone.
    #[arg(long, env = "MANAGER_PING_TIMEOUT", default_value = "20s", value_name = "DURATION",
          value_parser = positive_duration, allow_hyphen_values = true)]
    pub ping_timeout: Duration,

    /// Largest incoming Socket.IO packet, in bytes (at least 1024, so a page's subscription
    /// always fits); a client sending more is disconnected, logged and counted.
    #[arg(long, env = "MANAGER_MAX_PAYLOAD", value_name = "BYTES",
          default_value_t = Config::default().max_payload,
          value_parser = count(1024, 1 << 30))]
    pub max_payload: usize,

    /// Packets queued per socket; a client whose queue is full (it stopped reading) is
    /// disconnected at the transport level, so it reconnects and resyncs.
    #[arg(long, env = "MANAGER_SEND_BUFFER", value_name = "PACKETS",
          default_value_t = Config::default().send_buffer,
          value_parser = count(1, 1_000_000))]
    pub send_buffer: usize,

    /// Job and task-log rooms one socket may be subscribed to at once.
    #[arg(long, env = "MANAGER_MAX_SUBSCRIPTIONS", value_name = "ROOMS",
          default_value_t = broadcast_core::DEFAULT_MAX_DYNAMIC_ROOMS,
          value_parser = count(1, 1_000_000))]
    pub max_subscriptions: usize,

    /// Longest chat text, in characters; a longer one is refused with an ack saying so.
    #[arg(long, env = "MANAGER_MAX_CHAT_TEXT", value_name = "CHARS",
          default_value_t = Config::default().max_chat_text,
          value_parser = count(1, 1 << 30))]
    pub max_chat_text: usize,

    /// Socket.IO connections at once; the next handshake gets HTTP 503.
    #[arg(long, env = "MANAGER_MAX_CONNECTIONS", value_name = "SOCKETS",
          default_value_t = Config::default().max_connections,
          value_parser = count(1, 10_000_000))]
    pub max_connections: usize,

    /// A browser origin allowed besides the server's own and loopback ones, e.g.
    /// `https://render.example.com` (repeat the flag, or separate them with commas in the
    /// environment variable; `*` allows any). Applies to the Socket.IO handshake and to CORS
    /// on the REST API.
    #[arg(long = "allowed-origin", env = "MANAGER_ALLOWED_ORIGINS", value_name = "ORIGIN",
          value_delimiter = ',', value_parser = origin)]
    pub allowed_origins: Vec<String>,
}

impl SocketIoArgs {
    /// The server's settings from the flags.
    pub fn config(&self) -> Config {
        Config {
            ping_interval: self.ping_interval,
            ping_timeout: self.ping_timeout,
            max_payload: self.max_payload,
            send_buffer: self.send_buffer,
            max_dynamic_rooms: self.max_subscriptions,
            max_chat_text: self.max_chat_text,
            max_connections: self.max_connections,
            allowed_origins: self.allowed_origins.clone(),
        }
    }
}

/// The longest duration any flag takes: longer ones are surely a typo, and would overflow
/// the clock arithmetic of the timers they set.
const LONGEST: Duration = Duration::from_secs(24 * 60 * 60);

/// A duration from 0 to a day: `25s`, `500ms`, `2m`, `1h 30m`, or a plain number of seconds.
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let parsed = match text.parse::<f64>() {
        Ok(seconds) if seconds.is_sign_negative() => return Err("must not be negative".to_owned()),
        Ok(seconds) if seconds > LONGEST.as_secs_f64() => return Err("must be a day or less".to_owned()),
        Ok(seconds) => Duration::try_from_secs_f64(seconds).map_err(|_| "is not a duration".to_owned())?,
        Err(_) if text.starts_with('-') => return Err("must not be negative".to_owned()),
        Err(_) => humantime::parse_duration(text)
            .map_err(|_| "is not a duration: write e.g. 25s, 500ms, 2m, or a number of seconds".to_owned())?,
    };
    if parsed > LONGEST {
        return Err("must be a day or less".to_owned());
    }
    Ok(parsed)
}

/// A [`duration`] that must be more than zero.
pub fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        d if d.is_zero() => Err("must be more than 0".to_owned()),
        d => Ok(d),
    }
}

/// A whole number from `min` to `max`, written plainly (`4096`) or with `_` between digit
/// groups (`10_000`).
pub fn count(
    min: usize,
    max: usize,
) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |text| {
        let digits = text.trim().replace('_', "");
        let out_of_range = || format!("must be a whole number from {min} to {max}");
        if digits.starts_with('-') {
            return Err(format!("must not be negative ({})", out_of_range()));
        }
        let value: usize = digits.parse().map_err(|_| out_of_range())?;
        if value < min {
            return Err(format!("must be at least {min}"));
        }
        if value > max {
            return Err(format!("must be at most {max}"));
        }
        Ok(value)
    }
}

/// A browser origin as browsers send it, `http(s)://host[:port]` with nothing after, or `*`.
pub fn origin(text: &str) -> Result<String, String> {
    if text == "*" {
        return Ok(text.to_owned());
    }
    let authority = text.strip_prefix("http://").or_else(|| text.strip_prefix("https://")).ok_or(
        "must start with http:// or https://, as browsers send it (e.g. https://render.example.com)",
    )?;
    if authority.is_empty() || authority.contains(['/', '?', '#', ' ']) {
        return Err(
            "must be only scheme, host and port, with no path or trailing slash (e.g. https://render.example.com)"
                .to_owned(),
        );
    }
    Ok(text.to_owned())
}

/// Where to listen: what was written, and every address it resolved to, tried in order.
#[derive(Clone, Debug)]
pub struct ListenAddress {
    /// As written.
    pub text: String,
    /// What it resolved to.
    pub addrs: Vec<SocketAddr>,
}

impl std::fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `HOST:PORT` (an IP address, `[v6]:PORT`, or a host name, resolved now) or `:PORT`.
pub fn listen_address(text: &str) -> Result<ListenAddress, String> {
    let full = match text.strip_prefix(':') {
        Some(port) => format!("0.0.0.0:{port}"),
        None => text.to_owned(),
    };
    let Some((host, port)) = full.rsplit_once(':') else {
        return Err("needs a port: write HOST:PORT, e.g. 127.0.0.1:8080, localhost:8080 or :8080".to_owned());
    };
    if host.is_empty() {
        return Err(
            "needs a host before the port, e.g. 127.0.0.1:8080, or :8080 for every interface".to_owned()
        );
    }
    if port.parse::<u16>().is_err() {
        return Err(format!("has no valid port ({port:?} is not a number from 0 to 65535)"));
    }
    let addrs: Vec<SocketAddr> =
        full.to_socket_addrs().map_err(|e| format!("cannot be resolved: {e}"))?.collect();
    if addrs.is_empty() {
        return Err(format!("cannot be resolved: {host} has no address"));
    }
    Ok(ListenAddress { text: text.to_owned(), addrs })
}

impl ListenAddress {
    /// Listens on the first of the addresses that can be bound; the error is a sentence
    /// that says what to do, naming `program` as what may already be running.
    pub async fn bind(&self, program: &str) -> Result<TrackedListener, String> {
        let mut last = None;
        for &addr in &self.addrs {
            match TrackedListener::bind(addr).await {
                Ok(listener) => return Ok(listener),
                Err(e) => last = Some((addr, e)),
            }
        }
        let (addr, e) = last.ok_or_else(|| format!("cannot listen on {self}: it names no address"))?;
        let at = if self.text == addr.to_string() { self.text.clone() } else { format!("{self} ({addr})") };
        let why = match e.kind() {
            std::io::ErrorKind::AddrInUse => format!(
                "the address is already in use (is another {program} running?); stop what uses it, or choose another address"
            ),
            std::io::ErrorKind::PermissionDenied => {
                "permission denied (ports below 1024 need privileges); choose another address".to_owned()
            }
            std::io::ErrorKind::AddrNotAvailable => {
                "that is not an address of this machine; choose another address".to_owned()
            }
            _ => format!("{e}; choose another address"),
        };
        Err(format!("cannot listen on {at}: {why} with --listen or MANAGER_LISTEN"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn durations_take_units_or_seconds_within_a_day() {
        fn check(text: &str, expected: Result<Duration, &str>) {
            assert_eq!(duration(text), expected.map_err(str::to_owned), "{text}");
        }
        check("25s", Ok(Duration::from_secs(25)));
        check("500ms", Ok(Duration::from_millis(500)));
        check("2m", Ok(Duration::from_secs(120)));
        check("1h 30m", Ok(Duration::from_secs(5400)));
        check("25", Ok(Duration::from_secs(25)));
        check("0.5", Ok(Duration::from_millis(500)));
        check("0", Ok(Duration::ZERO));
        check("-5", Err("must not be negative"));
        check("-5s", Err("must not be negative"));
        check("2d", Err("must be a day or less"));
        check("1e30", Err("must be a day or less"));
        check("NaN", Err("is not a duration"));
        assert!(duration("soon").unwrap_err().contains("write e.g. 25s"));
        assert_eq!(positive_duration("0s"), Err("must be more than 0".to_owned()));
        assert_eq!(positive_duration("1ms"), Ok(Duration::from_millis(1)));
    }

    #[test]
    fn counts_are_whole_numbers_in_their_range() {
        let check = count(1, 1000);
        assert_eq!(check("16"), Ok(16));
        assert_eq!(check("1_000"), Ok(1000));
        assert_eq!(check("0"), Err("must be at least 1".to_owned()));
        assert_eq!(check("1001"), Err("must be at most 1000".to_owned()));
        assert_eq!(
            check("-1"),
            Err("must not be negative (must be a whole number from 1 to 1000)".to_owned())
        );
        assert_eq!(check("2.5"), Err("must be a whole number from 1 to 1000".to_owned()));
        assert_eq!(check("lots"), Err("must be a whole number from 1 to 1000".to_owned()));
        assert_eq!(check("99999999999999999999999"), Err("must be a whole number from 1 to 1000".to_owned()));
    }

    #[test]
    fn listen_addresses_take_ips_host_names_and_bare_ports() {
        assert_eq!(listen_address("127.0.0.1:8080").unwrap().addrs, vec!["127.0.0.1:8080".parse().unwrap()]);
        assert_eq!(listen_address(":9000").unwrap().addrs, vec!["0.0.0.0:9000".parse().unwrap()]);
        assert_eq!(listen_address("[::1]:80").unwrap().addrs, vec!["[::1]:80".parse().unwrap()]);
        let localhost = listen_address("localhost:8081").unwrap();
        assert!(localhost.addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 8081), "{localhost:?}");
        assert_eq!(localhost.to_string(), "localhost:8081");
        assert!(listen_address("8080").unwrap_err().contains("needs a port"));
        assert!(listen_address("localhost:http").unwrap_err().contains("no valid port"));
        assert!(listen_address("localhost:70000").unwrap_err().contains("no valid port"));
        assert!(listen_address("host.invalid:80").unwrap_err().contains("cannot be resolved"));
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(origin("https://render.example.com"), Ok("https://render.example.com".to_owned()));
        assert_eq!(origin("http://10.0.0.5:8080"), Ok("http://10.0.0.5:8080".to_owned()));
        assert_eq!(origin("*"), Ok("*".to_owned()));
        assert!(origin("render.example.com").unwrap_err().contains("must start with"));
        assert!(origin("https://render.example.com/").unwrap_err().contains("no path"));
        assert!(origin("https://").unwrap_err().contains("no path"));
    }
}
