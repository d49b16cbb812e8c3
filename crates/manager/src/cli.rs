//! The manager's flags: every value is checked by the parser, so a bad one is refused before
//! anything starts, in clap's one message style and with exit code 2. Every flag can also be
//! set from a `MANAGER_*` environment variable, which `--help` shows beside it.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Flamenco Manager's REST API and Socket.IO web updates, on one port.
///
/// Durations take a unit (`25s`, `500ms`, `2m`) or are a plain number of seconds (`25`,
/// `0.5`). Logging follows RUST_LOG (e.g. RUST_LOG=debug, or
/// RUST_LOG=info,broadcast_socketio=debug); the default is `info`. Colours are used only
/// when the log goes to a terminal (and never with NO_COLOR set).
#[derive(Debug, Parser)]
#[command(
    name = "manager",
    version,
    // `--ping-interval -5` is a bad value, refused as one, not an unknown flag `-5`.
    allow_negative_numbers = true,
    after_help = "Exit codes: 0 after a clean shutdown (SIGINT or SIGTERM), 1 when the manager cannot \
                  start or stops on an error, 2 for a bad flag or environment variable."
)]
pub(crate) struct Args {
    /// Address to listen on, for REST (/api/v3/...) and Socket.IO (/socket.io/): HOST:PORT
    /// with an IP address or a host name (`localhost:8080`), or `:PORT` for every interface.
    #[arg(long, env = "MANAGER_LISTEN", default_value = "127.0.0.1:8080", value_name = "HOST:PORT",
          value_parser = listen_address)]
    pub(crate) listen: ListenAddress,

    /// The SQLite database that keeps jobs, tasks, workers and worker tags, created when
    /// missing; `:memory:` keeps everything in memory instead, lost when the manager stops.
    #[arg(long, env = "MANAGER_DATABASE", default_value = "flamenco-manager.sqlite", value_name = "PATH")]
    pub(crate) database: PathBuf,

    /// The folder that keeps task logs and last-rendered images, created when missing.
    #[arg(
        long,
        env = "MANAGER_STORAGE_PATH",
        default_value = "flamenco-manager-storage",
        value_name = "DIR"
    )]
    pub(crate) storage_path: PathBuf,

    /// How often a heartbeat is due. Engine.IO 4 clients are pinged this often; Engine.IO 3
    /// clients (socket.io-client 2.x) are told to ping this often.
    #[arg(long, env = "MANAGER_PING_INTERVAL", default_value = "25s", value_name = "DURATION",
          value_parser = positive_duration, allow_hyphen_values = true)]
    pub(crate) ping_interval: Duration,

    /// How late a heartbeat may be before the client counts as gone.
    #[arg(long, env = "MANAGER_PING_TIMEOUT", default_value = "20s", value_name = "DURATION",
          value_parser = positive_duration, allow_hyphen_values = true)]
    pub(crate) ping_timeout: Duration,

    /// Largest incoming Socket.IO packet, in bytes (at least 1024, so a page's subscription
    /// always fits); a client sending more is disconnected, logged and counted.
    #[arg(long, env = "MANAGER_MAX_PAYLOAD", value_name = "BYTES",
          default_value_t = broadcast_socketio::Config::default().max_payload,
          value_parser = count(1024, 1 << 30))]
    pub(crate) max_payload: usize,

    /// Packets queued per socket; a client whose queue is full (it stopped reading) is
    /// disconnected at the transport level, so it reconnects and resyncs.
    #[arg(long, env = "MANAGER_SEND_BUFFER", value_name = "PACKETS",
          default_value_t = broadcast_socketio::Config::default().send_buffer,
          value_parser = count(1, 1_000_000))]
    pub(crate) send_buffer: usize,

    /// Job and task-log rooms one socket may be subscribed to at once.
    #[arg(long, env = "MANAGER_MAX_SUBSCRIPTIONS", value_name = "ROOMS",
          default_value_t = broadcast_core::DEFAULT_MAX_DYNAMIC_ROOMS,
          value_parser = count(1, 1_000_000))]
    pub(crate) max_subscriptions: usize,

    /// Longest chat text, in characters; a longer one is refused with an ack saying so.
    #[arg(long, env = "MANAGER_MAX_CHAT_TEXT", value_name = "CHARS",
          default_value_t = broadcast_socketio::Config::default().max_chat_text,
          value_parser = count(1, 1 << 30))]
    pub(crate) max_chat_text: usize,

    /// Socket.IO connections at once; the next handshake gets HTTP 503.
    #[arg(long, env = "MANAGER_MAX_CONNECTIONS", value_name = "SOCKETS",
          default_value_t = broadcast_socketio::Config::default().max_connections,
          value_parser = count(1, 10_000_000))]
    pub(crate) max_connections: usize,

    /// A browser origin allowed besides the manager's own and loopback ones, e.g.
    /// `https://render.example.com` (repeat the flag, or separate them with commas in the
    /// environment variable; `*` allows any). Applies to the Socket.IO handshake and to CORS
    /// on the REST API.
    #[arg(long = "allowed-origin", env = "MANAGER_ALLOWED_ORIGINS", value_name = "ORIGIN",
          value_delimiter = ',', value_parser = origin)]
    pub(crate) allowed_origins: Vec<String>,

    /// Largest JSON request body, in bytes; a larger one gets 413.
    #[arg(long, env = "MANAGER_MAX_JSON_BODY", value_name = "BYTES",
          default_value_t = manager_api::Limits::default().json_body,
          value_parser = count(1, 1 << 32))]
    pub(crate) max_json_body: usize,

    /// Largest last-rendered image a worker may send, in bytes; a larger one gets 413.
    #[arg(long, env = "MANAGER_MAX_IMAGE_BODY", value_name = "BYTES",
          default_value_t = manager_api::Limits::default().image_body,
          value_parser = count(1, 1 << 32))]
    pub(crate) max_image_body: usize,

    /// How long to wait for in-flight requests after SIGINT or SIGTERM before exiting anyway;
    /// 0 exits at once.
    #[arg(long, env = "MANAGER_SHUTDOWN_GRACE", default_value = "10s", value_name = "DURATION",
          value_parser = duration, allow_hyphen_values = true)]
    pub(crate) shutdown_grace: Duration,

    /// How often to check whether many web-update connections closed, after which the memory
    /// they used is given back to the operating system; 0 never gives it back.
    #[arg(long, env = "MANAGER_MEMORY_RECLAIM_INTERVAL", default_value = "5s", value_name = "DURATION",
          value_parser = duration, allow_hyphen_values = true)]
    pub(crate) memory_reclaim_interval: Duration,

    /// MQTT broker to publish every update to as well, as Flamenco does:
    /// `mqtt://HOST:PORT` (plain TCP). Off when not given. The manager starts and serves
    /// whether the broker is up or not.
    #[arg(long, env = "MANAGER_MQTT_BROKER", value_name = "URL", value_parser = mqtt_broker)]
    pub(crate) mqtt_broker: Option<broadcast_mqtt::Broker>,

    /// First level of every MQTT topic (`flamenco/jobs`, `flamenco/status`, ...).
    #[arg(long, env = "MANAGER_MQTT_TOPIC_PREFIX", value_name = "PREFIX",
          default_value = broadcast_mqtt::DEFAULT_TOPIC_PREFIX, value_parser = broadcast_mqtt::topic_prefix)]
    pub(crate) mqtt_topic_prefix: String,

    /// MQTT client id the manager connects with.
    #[arg(long, env = "MANAGER_MQTT_CLIENT_ID", value_name = "ID",
          default_value = broadcast_mqtt::DEFAULT_CLIENT_ID, value_parser = broadcast_mqtt::client_id)]
    pub(crate) mqtt_client_id: String,

    /// User name for the MQTT broker (best given in the environment variable).
    #[arg(long, env = "MANAGER_MQTT_USERNAME", value_name = "NAME", value_parser = not_empty)]
    pub(crate) mqtt_username: Option<String>,

    /// Password for the MQTT broker; give it in the environment variable, not on the
    /// command line, where other users of the machine can read it. Needs a user name.
    #[arg(
        long,
        env = "MANAGER_MQTT_PASSWORD",
        value_name = "PASSWORD",
        hide_env_values = true,
        requires = "mqtt_username"
    )]
    pub(crate) mqtt_password: Option<String>,

    /// Updates that may wait for the MQTT broker while it is slow or unreachable; while the
    /// queue is full, updates are dropped for MQTT alone, counted in
    /// webupdates_mqtt_dropped_total and logged.
    #[arg(long, env = "MANAGER_MQTT_QUEUE", value_name = "UPDATES",
          default_value_t = broadcast_mqtt::DEFAULT_QUEUE, value_parser = count(1, 1_000_000))]
    pub(crate) mqtt_queue: usize,
}

impl Args {
    /// The MQTT transport's settings, when a broker was given.
    pub(crate) fn mqtt(&self) -> Option<broadcast_mqtt::Config> {
        let broker = self.mqtt_broker.clone()?;
        let credentials = self.mqtt_username.clone().map(|username| broadcast_mqtt::Credentials {
            username,
            password: self.mqtt_password.clone().unwrap_or_default(),
        });
        Some(broadcast_mqtt::Config {
            topic_prefix: self.mqtt_topic_prefix.clone(),
            client_id: self.mqtt_client_id.clone(),
            credentials,
            queue: self.mqtt_queue,
            ..broadcast_mqtt::Config::new(broker)
        })
    }
}

/// `mqtt://HOST:PORT`.
fn mqtt_broker(text: &str) -> Result<broadcast_mqtt::Broker, String> {
    text.parse()
}

/// Any text but an empty one.
fn not_empty(text: &str) -> Result<String, String> {
    if text.is_empty() { Err("must not be empty".to_owned()) } else { Ok(text.to_owned()) }
}

/// The longest duration any flag takes: longer ones are surely a typo, and would overflow
/// the clock arithmetic of the timers they set.
const LONGEST: Duration = Duration::from_secs(24 * 60 * 60);

/// A duration from 0 to a day: `25s`, `500ms`, `2m`, `1h 30m`, or a plain number of seconds.
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
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
pub(crate) fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text)? {
        d if d.is_zero() => Err("must be more than 0".to_owned()),
        d => Ok(d),
    }
}

/// A whole number from `min` to `max`, written plainly (`4096`) or with `_` between digit
/// groups (`10_000`).
pub(crate) fn count(
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

/// Where to listen: what was written, and every address it resolved to, tried in order.
#[derive(Clone, Debug)]
pub(crate) struct ListenAddress {
    pub(crate) text: String,
    pub(crate) addrs: Vec<SocketAddr>,
}

impl std::fmt::Display for ListenAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// `HOST:PORT` (an IP address, `[v6]:PORT`, or a host name, resolved now) or `:PORT`.
pub(crate) fn listen_address(text: &str) -> Result<ListenAddress, String> {
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

/// A browser origin as browsers send it, `http(s)://host[:port]` with nothing after, or `*`.
pub(crate) fn origin(text: &str) -> Result<String, String> {
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

    #[test]
    fn mqtt_flags_build_the_transport_settings() {
        let args = Args::try_parse_from(["manager"]).unwrap();
        assert_eq!(args.mqtt(), None, "off without a broker");
        let args = Args::try_parse_from([
            "manager",
            "--mqtt-broker",
            "mqtt://localhost:1884",
            "--mqtt-topic-prefix",
            "farm/a",
            "--mqtt-queue",
            "10",
            "--mqtt-username",
            "me",
        ])
        .unwrap();
        let mqtt = args.mqtt().unwrap();
        assert_eq!(mqtt.broker.to_string(), "mqtt://localhost:1884");
        assert_eq!(
            (mqtt.topic_prefix.as_str(), mqtt.client_id.as_str(), mqtt.queue),
            ("farm/a", "flamenco", 10)
        );
        assert_eq!(mqtt.credentials.map(|c| c.username), Some("me".to_owned()));
        for bad in [
            &["--mqtt-broker", "localhost:1883"][..],
            &["--mqtt-broker", "mqtt://localhost:0"],
            &["--mqtt-topic-prefix", "a/#"],
            &["--mqtt-client-id", ""],
            &["--mqtt-queue", "0"],
            &["--mqtt-password", "secret"],
        ] {
            let err = Args::try_parse_from(["manager"].iter().chain(bad)).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn every_flag_has_an_environment_variable() {
        use clap::CommandFactory;
        let command = Args::command();
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            let env = arg.get_env().unwrap_or_else(|| panic!("--{id} has no environment variable"));
            assert!(env.to_string_lossy().starts_with("MANAGER_"), "--{id}: {env:?}");
        }
        command.debug_assert();
    }
}
