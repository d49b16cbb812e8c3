//! The servers under test and the load generator: how each is started, pinned and bounded.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::scenarios::Scenario;
use crate::util::ServerProcess;

/// The servers under test; the order of the variants is the table's column order, and
/// `--servers` takes their names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, clap::ValueEnum)]
pub(crate) enum Peer {
    /// This workspace's manager, the release build, its state in memory.
    Ours,
    /// The same manager with its state in a SQLite database and a storage folder, fresh for
    /// each run; only in the scenarios where the store matters (REST changes).
    OursSqlite,
    /// The in-memory manager publishing every update to MQTT as well, to a Mosquitto the
    /// bench starts for each run (`--mqtt-broker`); only in the fan-out and REST scenarios,
    /// and only when named (`--servers ours,ours-mqtt`): what MQTT costs Socket.IO.
    OursMqtt,
    /// The manager binary `--baseline` names.
    Baseline,
    /// Node's socket.io 4 server, `tests/bench/server.mjs`.
    Node,
    /// The ceiling probe: pre-encoded frames, no Socket.IO.
    Ceiling,
}

/// The servers a run has unless `--servers` or `--baseline` says otherwise.
pub(super) const PEERS: [Peer; 4] = [Peer::Ours, Peer::OursSqlite, Peer::Node, Peer::Ceiling];

impl Peer {
    /// Every server, in table order.
    pub(super) fn all() -> &'static [Peer] {
        <Peer as clap::ValueEnum>::value_variants()
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Peer::Ours => "ours",
            Peer::OursSqlite => "ours-sqlite",
            Peer::OursMqtt => "ours-mqtt",
            Peer::Baseline => "baseline",
            Peer::Node => "node",
            Peer::Ceiling => "ceiling",
        }
    }
}

/// Heartbeat interval of every server, short enough that idle connections exchange a few.
pub(super) const PING_INTERVAL_S: u64 = 5;

/// Where the programs are.
pub(super) struct Bins {
    pub(super) release: PathBuf,
    pub(super) bench_dir: PathBuf,
    /// The `--baseline` manager binary.
    pub(super) baseline: Option<PathBuf>,
}

pub(super) fn can_pin() -> bool {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let taskset = Command::new("taskset")
        .args(["-c", "1", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    cpus >= 2 && taskset.is_ok_and(|s| s.success())
}

/// `program args` through a shell that raises the open-file limit and pins it to `cpu`.
fn launch(program: &Path, args: &[String], cpu: Option<u32>) -> Command {
    let script = match cpu {
        Some(cpu) => format!(
            "ulimit -n 65536 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"; exec taskset -c {cpu} \"$@\""
        ),
        None => "ulimit -n 65536 2>/dev/null || ulimit -n \"$(ulimit -Hn)\"; exec \"$@\"".to_owned(),
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).arg("sh").arg(program).args(args);
    cmd
}

/// Runs one scenario against a fresh server and returns the load generator's report.
pub(super) fn run_one(
    bins: &Bins,
    peer: Peer,
    scenario: &Scenario,
    pinned: bool,
    log: &Path,
) -> Result<HashMap<String, f64>, String> {
    // A SQLite manager's database and storage folder, beside its log, new for each run.
    let state = log.with_extension("state");
    let _ = std::fs::remove_dir_all(&state);
    // Killed when the run ends, with the server.
    let broker = if peer == Peer::OursMqtt { Some(Broker::start(&state)?) } else { None };
    let mut server = start_server(bins, peer, pinned.then_some(0), log, &state, broker.as_ref())?;
    let mut args =
        vec!["--url".to_owned(), server.url.clone(), "--timeout".to_owned(), scenario.timeout_s.to_string()];
    args.extend(scenario.args.iter().cloned());
    if scenario.args.first().is_some_and(|a| a == "idle") {
        args.extend(["--server-pid".to_owned(), server.pid().to_string()]);
    }
    let mut cmd = launch(&bins.release.join("loadgen"), &args, pinned.then_some(1));
    let result = run_bounded(&mut cmd, Duration::from_secs(scenario.timeout_s + 30));
    let alive = server.alive();
    server.stop();
    drop(broker);
    let _ = std::fs::remove_dir_all(&state);
    let stdout = result?;
    if !alive {
        return Err(format!("the server exited during the run; log: {}", log.display()));
    }
    let mut report = HashMap::new();
    for line in stdout.lines() {
        if let Some((k, v)) = line.split_once('=')
            && let Ok(v) = v.trim().parse::<f64>()
        {
            report.insert(k.trim().to_owned(), v);
        }
    }
    Ok(report)
}

/// Runs `cmd` to its end, at most `limit`, and returns its standard output.
fn run_bounded(cmd: &mut Command, limit: Duration) -> Result<String, String> {
    let mut child =
        cmd.stdout(Stdio::piped()).spawn().map_err(|e| format!("could not start the load generator: {e}"))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the load generator did not finish within {limit:?}"));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let out = reader.join().unwrap_or_default();
    if status.success() { Ok(out) } else { Err(format!("the load generator failed ({status})")) }
}

/// Starts `peer`'s server, pinned to `cpu` when given.
/// `state` is the folder a SQLite manager keeps its database and files in.
fn start_server(
    bins: &Bins,
    peer: Peer,
    cpu: Option<u32>,
    log_path: &Path,
    state: &Path,
    broker: Option<&Broker>,
) -> Result<ServerProcess, String> {
    let ping = PING_INTERVAL_S.to_string();
    let cmd = match peer {
        Peer::Ours | Peer::OursSqlite | Peer::OursMqtt | Peer::Baseline => {
            let args = ["--listen", "127.0.0.1:0", "--ping-interval", &ping, "--max-connections", "50000"]
                .map(String::from);
            let program = match (peer, &bins.baseline) {
                (Peer::Baseline, Some(baseline)) => baseline.clone(),
                (Peer::Baseline, None) => return Err("no --baseline binary".to_owned()),
                _ => bins.release.join("manager"),
            };
            let mut cmd = launch(&program, &args, cpu);
            // Warnings only, and the line that says where it listens.
            cmd.env("RUST_LOG", "warn,manager=info").env("NO_COLOR", "1");
            // Through the environment, which a baseline built before these flags ignores.
            if peer == Peer::OursSqlite {
                cmd.env("MANAGER_DATABASE", state.join("flamenco-manager.sqlite"))
                    .env("MANAGER_STORAGE_PATH", state.join("flamenco-manager-storage"));
            } else {
                cmd.env("MANAGER_DATABASE", ":memory:");
            }
            if let Some(broker) = broker {
                cmd.env("MANAGER_MQTT_BROKER", broker.url());
            }
            cmd
        }
        Peer::Node => {
            let mut cmd = launch(Path::new("node"), &["server.mjs".to_owned()], cpu);
            cmd.current_dir(&bins.bench_dir).env("PING_INTERVAL_MS", (PING_INTERVAL_S * 1000).to_string());
            cmd
        }
        Peer::Ceiling => {
            let args = ["--listen", "127.0.0.1:0", "--ping-interval-ms"].map(String::from);
            let mut args = args.to_vec();
            args.push((PING_INTERVAL_S * 1000).to_string());
            launch(&bins.release.join("ceiling-probe"), &args, cpu)
        }
    };
    ServerProcess::start(cmd, peer.name(), log_path)
}

/// A Mosquitto for the `ours-mqtt` server: a loopback port the OS picks, anonymous clients,
/// no persistence; killed when dropped.
pub(super) struct Broker {
    child: std::process::Child,
    port: u16,
}

impl Broker {
    /// Starts one with its configuration in `dir`, and waits (at most 10 s) until it accepts
    /// connections.
    fn start(dir: &Path) -> Result<Broker, String> {
        let program = crate::packages::find("mosquitto")
            .ok_or("ours-mqtt needs mosquitto: install Debian's package (apt-get install mosquitto)")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for mosquitto: {e}"))?
            .port();
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let config = dir.join("mosquitto.conf");
        let text = format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n");
        std::fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
        let child = Command::new(&program)
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", program.display()))?;
        let mut broker = Broker { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || !matches!(broker.child.try_wait(), Ok(None)) {
                return Err(format!("mosquitto did not listen on port {port} within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(broker)
    }

    fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The broker `ours-mqtt` runs against starts on a free port, takes connections, and is
    /// gone once dropped. Needs Debian's mosquitto, as `cargo xtask ci` installs it.
    #[test]
    fn the_mqtt_broker_starts_listens_and_stops() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-broker-{}", std::process::id()));
        let broker = Broker::start(&dir).unwrap();
        let url = broker.url();
        let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
        assert!(url.starts_with("mqtt://127.0.0.1:"), "{url}");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(broker);
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "killed with its pid when dropped"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
