//! The servers under test and the load generator: how each is started, pinned and bounded.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::scenarios::Scenario;
use super::services::{Broker, RedisServer};
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
    /// Ours with `--redis` and no other node: every update takes the Redis hop.
    OursRedis,
    /// Ours with `--redis` and one `webupdates-node`, the clients spread over both.
    Spread,
}

/// The servers a run has unless `--servers` or `--baseline` says otherwise.
pub(super) const PEERS: [Peer; 6] =
    [Peer::Ours, Peer::OursSqlite, Peer::Node, Peer::Ceiling, Peer::OursRedis, Peer::Spread];

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
            Peer::OursRedis => "ours-redis",
            Peer::Spread => "spread",
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
pub(super) fn launch(program: &Path, args: &[String], cpu: Option<u32>) -> Command {
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
    let mut servers = start_servers(bins, peer, pinned.then_some(0), log, &state, broker.as_ref())?;
    let server = &mut servers.main;
    let mut args =
        vec!["--url".to_owned(), server.url.clone(), "--timeout".to_owned(), scenario.timeout_s.to_string()];
    if let Some(node) = &servers.node {
        args.extend(["--also-url".to_owned(), node.url.clone()]);
    }
    args.extend(scenario.args.iter().cloned());
    if scenario.args.first().is_some_and(|a| a == "idle") {
        args.extend(["--server-pid".to_owned(), server.pid().to_string()]);
    }
    let mut cmd = launch(&bins.release.join("loadgen"), &args, pinned.then_some(1));
    let result = run_bounded(&mut cmd, Duration::from_secs(scenario.timeout_s + 30));
    let alive = server.alive() && servers.node.as_mut().is_none_or(ServerProcess::alive);
    drop(servers);
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

/// What serves one run: the server the load generator's sender talks to, and for the
/// scale-out peers a second server and the Redis server behind both; all stopped when
/// dropped.
struct Servers {
    main: ServerProcess,
    node: Option<ServerProcess>,
    redis: Option<RedisServer>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.main.stop();
        if let Some(node) = &mut self.node {
            node.stop();
        }
        if let Some(redis) = &mut self.redis {
            redis.stop();
        }
    }
}

/// Starts what `peer` needs, every server pinned to `cpu` when given (Redis included: it
/// is part of the serving side).
/// `state` is the folder a SQLite manager keeps its database and files in; `broker` the
/// Mosquitto an MQTT-publishing manager publishes to.
fn start_servers(
    bins: &Bins,
    peer: Peer,
    cpu: Option<u32>,
    log_path: &Path,
    state: &Path,
    broker: Option<&Broker>,
) -> Result<Servers, String> {
    if !matches!(peer, Peer::OursRedis | Peer::Spread) {
        let main = start_server(bins, peer, cpu, log_path, state, broker, &[])?;
        return Ok(Servers { main, node: None, redis: None });
    }
    let redis = RedisServer::start(cpu)?;
    let flag = ["--redis".to_owned(), redis.url()];
    let main = start_server(bins, peer, cpu, log_path, state, None, &flag)?;
    wait_ready(&main.url)?;
    let node = match peer {
        Peer::Spread => {
            let node_log = log_path.with_extension("node.log");
            let mut args = vec!["--listen".to_owned(), "127.0.0.1:0".to_owned()];
            args.extend(manager_socketio_args());
            args.extend(flag.iter().cloned());
            let mut cmd = launch(&bins.release.join("webupdates-node"), &args, cpu);
            cmd.env("RUST_LOG", "warn,webupdates_node=info").env("NO_COLOR", "1");
            let node = ServerProcess::start(cmd, "webupdates-node", &node_log)?;
            wait_ready(&node.url)?;
            Some(node)
        }
        _ => None,
    };
    Ok(Servers { main, node, redis: Some(redis) })
}

/// The Socket.IO flags every one of our servers runs with.
fn manager_socketio_args() -> Vec<String> {
    ["--ping-interval", &PING_INTERVAL_S.to_string(), "--max-connections", "50000"].map(String::from).to_vec()
}

/// Waits, at most 30 s, until `url`'s `GET /ready` answers 200 (it reads from Redis).
fn wait_ready(url: &str) -> Result<(), String> {
    use std::io::Write;
    let addr = url.trim_start_matches("http://");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let answer = std::net::TcpStream::connect(addr).and_then(|mut stream| {
            stream.set_read_timeout(Some(Duration::from_secs(2)))?;
            stream.write_all(b"GET /ready HTTP/1.0\r\n\r\n")?;
            let mut head = [0u8; 12];
            stream.read_exact(&mut head)?;
            Ok(head)
        });
        if answer.is_ok_and(|head| head.ends_with(b" 200")) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{url} did not become ready (GET /ready) within 30 s"))
}

/// Starts `peer`'s server, pinned to `cpu` when given, with `extra` arguments; `state` and
/// `broker` as for [`start_servers`].
fn start_server(
    bins: &Bins,
    peer: Peer,
    cpu: Option<u32>,
    log_path: &Path,
    state: &Path,
    broker: Option<&Broker>,
    extra: &[String],
) -> Result<ServerProcess, String> {
    let cmd = match peer {
        Peer::Ours | Peer::OursSqlite | Peer::OursMqtt | Peer::Baseline | Peer::OursRedis | Peer::Spread => {
            let mut args = vec!["--listen".to_owned(), "127.0.0.1:0".to_owned()];
            args.extend(manager_socketio_args());
            args.extend(extra.iter().cloned());
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
