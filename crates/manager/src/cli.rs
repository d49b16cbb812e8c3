//! The manager's flags: every value is checked by the parser, so a bad one is refused before
//! anything starts, in clap's one message style and with exit code 2. Every flag can also be
//! set from a `MANAGER_*` environment variable, which `--help` shows beside it.

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
}

#[cfg(test)]
mod tests {
    use super::*;

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
