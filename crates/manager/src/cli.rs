//! The manager's flags: every value is checked by the parser, so a bad one is refused before
//! anything starts, in clap's one message style and with exit code 2. Every flag can also be
//! set from a `MANAGER_*` environment variable, which `--help` shows beside it.

use std::path::PathBuf;
use std::time::Duration;

use broadcast_socketio::cli::{ListenAddress, SocketIoArgs, count, duration, listen_address};
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

    #[command(flatten)]
    pub(crate) socketio: SocketIoArgs,

    /// Share web updates with `webupdates-node` processes through this Redis server
    /// (`redis://HOST:PORT`), so clients may connect to any of them; without it, the
    /// manager serves every client itself.
    #[arg(long, env = "MANAGER_REDIS", value_name = "URL", value_parser = broadcast_redis::check_url)]
    pub(crate) redis: Option<String>,

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

    /// Tasks of one type of one job a worker may fail before it is blocklisted for them
    /// (it gets no more of them; `GET /api/v3/jobs/{job_id}/blocklist` lists it).
    #[arg(long, env = "MANAGER_BLOCKLIST_THRESHOLD", value_name = "TASKS",
          default_value_t = manager_api::FailurePolicy::default().blocklist_threshold as usize,
          value_parser = count(1, 1000))]
    pub(crate) blocklist_threshold: usize,

    /// Workers that may fail a task before it fails for good; until then a failure is a
    /// soft one and another worker tries the task. 1 makes every failure a hard one.
    #[arg(long, env = "MANAGER_TASK_FAIL_AFTER_SOFTFAIL_COUNT", value_name = "WORKERS",
          default_value_t = manager_api::FailurePolicy::default().task_fail_after_softfail_count as usize,
          value_parser = count(1, 1000))]
    pub(crate) task_fail_after_softfail_count: usize,

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

#[cfg(test)]
mod tests {
    use super::*;

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
