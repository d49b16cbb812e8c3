//! `cargo xtask bench`: our manager against Node's socket.io 4 server (the peer, in
//! `tests/bench`) and against the ceiling probe (pre-encoded frames, no Socket.IO), under
//! the same load from `crates/loadgen`.
//!
//! `--quick` is a smoke run of about a minute: fewer subscribers, shorter runs, one run.
//! `--runs N` changes the number of runs (default 3), `--only NAME,..` runs only the
//! scenarios whose names start with one of the NAMEs, `--servers ours,node,ceiling` picks
//! the servers. `--baseline PATH` adds another manager binary (say, one built before a
//! change) that runs wherever ours does, right after it in every run, with a column and an
//! ours/baseline ratio of its own: on a shared machine only interleaved runs tell whether a
//! change helped. `--check` also fails the run when any server lost, reordered or dropped
//! anything (the timings are never checked: they are too noisy for a pass or fail), which
//! is how `cargo xtask ci` runs `--quick` to keep the harness from rotting.
//!
//! Each scenario gets a freshly started server, one server at a time, the server pinned to
//! CPU 0 and the load generator to CPU 1 (`taskset`), both with a high open-file limit.
//! Every run is bounded: a server must say where it listens within 60 s, the load generator
//! gives up after its `--timeout` and is killed 30 s after that, and every server is killed
//! when its scenario ends, failed or not. The table goes to standard output, medians of the
//! runs with min-max; the same numbers go to `target/bench/results.json`; server logs to
//! `target/bench/logs/`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{ServerProcess, cargo, exec, project_root};

/// The servers under test.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Peer {
    Ours,
    /// The manager binary `--baseline` names.
    Baseline,
    Node,
    Ceiling,
}

/// Every server, in table order.
const ALL_PEERS: [Peer; 4] = [Peer::Ours, Peer::Baseline, Peer::Node, Peer::Ceiling];

/// The servers a run has unless `--servers` or `--baseline` says otherwise.
const PEERS: [Peer; 3] = [Peer::Ours, Peer::Node, Peer::Ceiling];

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Ours => "ours",
            Peer::Baseline => "baseline",
            Peer::Node => "node",
            Peer::Ceiling => "ceiling",
        }
    }
}

/// Heartbeat interval of every server, short enough that idle connections exchange a few.
const PING_INTERVAL_S: u64 = 5;

/// A figure the load generator reports.
struct Metric {
    /// Its `key=value` key.
    key: &'static str,
    label: &'static str,
    unit: Unit,
}

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    /// A rate or count, shown with k and M.
    Count,
    /// Microseconds, shown as milliseconds.
    Micros,
    /// A plain number with two decimals.
    Plain,
}

const fn m(key: &'static str, label: &'static str, unit: Unit) -> Metric {
    Metric { key, label, unit }
}

const CORRECTNESS: [Metric; 3] = [
    m("lost", "lost", Unit::Count),
    m("reordered", "reordered", Unit::Count),
    m("dropped", "dropped conns", Unit::Count),
];

/// One scenario: the load generator's arguments and what to show of its report.
struct Scenario {
    name: String,
    peers: &'static [Peer],
    args: Vec<String>,
    metrics: Vec<Metric>,
    /// The load generator's own time limit, in seconds.
    timeout_s: u64,
}

impl Scenario {
    /// Whether `peer` takes part: the baseline wherever ours does.
    fn runs(&self, peer: Peer) -> bool {
        let as_peer = if peer == Peer::Baseline { Peer::Ours } else { peer };
        self.peers.contains(&as_peer)
    }
}

fn scenarios(quick: bool) -> Vec<Scenario> {
    let q = |full: u64, small: u64| if quick { small } else { full };
    let all: &'static [Peer] = &[Peer::Ours, Peer::Node, Peer::Ceiling];
    let socketio: &'static [Peer] = &[Peer::Ours, Peer::Node];
    let with_correctness = |mut metrics: Vec<Metric>| {
        metrics.extend(CORRECTNESS);
        metrics
    };
    let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    let subs = q(1000, 200);
    let mut out = vec![
        Scenario {
            name: format!("fan-out {subs} subs"),
            peers: all,
            args: args(&format!(
                "fanout --subscribers {subs} --duration {} --window 64 --text-len 300",
                q(10, 2)
            )),
            metrics: with_correctness(vec![
                m("deliveries_per_s", "deliveries/s", Unit::Count),
                m("p50_us", "p50 ms", Unit::Micros),
                m("p99_us", "p99 ms", Unit::Micros),
                m("max_us", "max ms", Unit::Micros),
            ]),
            timeout_s: 120,
        },
        Scenario {
            name: format!("fixed 50 msg/s {subs} subs"),
            peers: all,
            args: args(&format!(
                "fanout --subscribers {subs} --duration {} --rate 50 --text-len 300",
                q(10, 3)
            )),
            metrics: with_correctness(vec![
                m("p50_us", "p50 ms", Unit::Micros),
                m("p99_us", "p99 ms", Unit::Micros),
                m("max_us", "max ms", Unit::Micros),
            ]),
            timeout_s: 120,
        },
        Scenario {
            name: format!("rest setpriority {subs} subs"),
            peers: socketio,
            args: args(&format!("rest --subscribers {subs} --duration {} --inflight 16", q(10, 2))),
            metrics: with_correctness(vec![
                m("deliveries_per_s", "/jobs deliveries/s", Unit::Count),
                m("calls_per_s", "calls/s", Unit::Count),
                m("p50_us", "p50 ms", Unit::Micros),
                m("p99_us", "p99 ms", Unit::Micros),
                m("max_us", "max ms", Unit::Micros),
            ]),
            timeout_s: 120,
        },
        Scenario {
            name: format!("idle {} conns", q(10_000, 1000)),
            peers: all,
            args: args(&format!("idle --connections {} --hold {}", q(10_000, 1000), q(30, 6))),
            metrics: vec![
                m("rss_per_conn_kib", "RSS KiB/conn", Unit::Plain),
                m("rss_kept_pct", "% kept 8 s after close", Unit::Plain),
                m("connect_per_s", "connects/s", Unit::Count),
                m("connect_failures", "connect failures", Unit::Count),
                m("dropped", "dropped conns", Unit::Count),
            ],
            timeout_s: 180,
        },
    ];
    let sizes: &[u64] = if quick { &[10, 100, 1000] } else { &[10, 100, 1000, 5000] };
    for &n in sizes {
        out.push(Scenario {
            name: format!("growth {n} subs"),
            peers: all,
            args: args(&format!(
                "fanout --subscribers {n} --duration {} --window 64 --text-len 300",
                q(5, 1)
            )),
            metrics: with_correctness(vec![m("deliveries_per_s", "deliveries/s", Unit::Count)]),
            timeout_s: 120,
        });
    }
    let others = q(5000, 1000);
    out.push(Scenario {
        name: format!("room of 10, {others} others"),
        peers: socketio,
        args: args(&format!("room --members 10 --others {others} --calls {}", q(500, 100))),
        metrics: with_correctness(vec![
            m("alone_p50_us", "p50 ms, 10 alone", Unit::Micros),
            m("crowded_p50_us", "p50 ms, with others", Unit::Micros),
            m("growth", "crowded/alone p50", Unit::Plain),
            m("leaked", "/jobs to others", Unit::Count),
        ]),
        timeout_s: 180,
    });
    out
}

#[derive(Debug)]
struct Options {
    quick: bool,
    runs: usize,
    only: Vec<String>,
    peers: Vec<Peer>,
    check: bool,
    /// The manager binary the baseline server runs.
    baseline: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        quick: false,
        runs: 3,
        only: Vec::new(),
        peers: PEERS.to_vec(),
        check: false,
        baseline: None,
    };
    let mut runs = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => o.quick = true,
            "--check" => o.check = true,
            "--runs" => runs = Some(value("--runs")?.parse().map_err(|e| format!("--runs: {e}"))?),
            "--only" => o.only = value("--only")?.split(',').map(String::from).collect(),
            "--servers" => {
                o.peers = value("--servers")?
                    .split(',')
                    .map(|s| {
                        ALL_PEERS
                            .into_iter()
                            .find(|p| p.name() == s)
                            .ok_or_else(|| format!("unknown server {s:?}"))
                    })
                    .collect::<Result<_, _>>()?
            }
            "--baseline" => o.baseline = Some(PathBuf::from(value("--baseline")?)),
            _ => {
                return Err(format!(
                    "unexpected argument {arg:?} (takes --quick, --check, --runs N, --only NAMES, \
                     --servers NAMES, --baseline PATH)"
                ));
            }
        }
    }
    match (&o.baseline, o.peers.contains(&Peer::Baseline)) {
        (None, true) => return Err("--servers baseline needs --baseline PATH".to_owned()),
        (Some(_), false) => {
            let after_ours = o.peers.iter().position(|&p| p == Peer::Ours).map_or(0, |i| i + 1);
            o.peers.insert(after_ours, Peer::Baseline);
        }
        _ => {}
    }
    o.runs = runs.unwrap_or(if o.quick { 1 } else { 3 }).clamp(1, 20);
    Ok(o)
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
    // Relative to where the command was typed, like any other path argument.
    let baseline = match &opts.baseline {
        Some(path) if path.is_file() => {
            Some(std::path::absolute(path).map_err(|e| format!("--baseline {}: {e}", path.display()))?)
        }
        Some(path) => {
            return Err(format!("--baseline {}: no such file (it names a manager binary)", path.display()));
        }
        None => None,
    };
    let root = project_root();
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    let target = if target.is_relative() { root.join(target) } else { target };
    exec(cargo().args(["build", "--release", "-p", "manager", "-p", "loadgen", "-p", "ceiling-probe"]))?;
    let bench_dir = root.join("tests/bench");
    if opts.peers.contains(&Peer::Node) {
        exec(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&bench_dir),
        )?;
    }
    let out_dir = root.join("target/bench");
    let log_dir = out_dir.join("logs");
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("{}: {e}", log_dir.display()))?;
    let pinned = can_pin();
    if !pinned {
        eprintln!("warning: taskset or a second CPU is missing; servers and load generator are not pinned");
    }
    let bins = Bins { release: target.join("release"), bench_dir, baseline };
    let scenarios: Vec<Scenario> = scenarios(opts.quick)
        .into_iter()
        .filter(|s| opts.only.is_empty() || opts.only.iter().any(|o| s.name.starts_with(o.as_str())))
        .collect();
    if scenarios.is_empty() {
        return Err(format!("no scenario matches --only {}", opts.only.join(",")));
    }

    let started = Instant::now();
    let mut results: HashMap<(usize, Peer), Vec<HashMap<String, f64>>> = HashMap::new();
    let mut failures = Vec::new();
    for run in 1..=opts.runs {
        for (i, scenario) in scenarios.iter().enumerate() {
            for &peer in opts.peers.iter().filter(|&&p| scenario.runs(p)) {
                eprintln!("==> run {run}/{}: {} on {}", opts.runs, scenario.name, peer.name());
                let log = log_dir.join(format!("{}-{}-run{run}.log", peer.name(), slug(&scenario.name)));
                match run_one(&bins, peer, scenario, pinned, &log) {
                    Ok(report) => results.entry((i, peer)).or_default().push(report),
                    Err(e) => {
                        eprintln!("    failed: {e}");
                        failures.push(format!("run {run}, {} on {}: {e}", scenario.name, peer.name()));
                    }
                }
            }
        }
    }
    let table = Table { scenarios: &scenarios, results: &results, peers: &opts.peers };
    print!("{}", table.render(&opts, pinned, started.elapsed()));
    let targets = table.targets();
    println!();
    println!("Targets:");
    for t in &targets {
        println!("  [{}] {}: {}", if t.met { "met" } else { "NOT met" }, t.name, t.detail);
    }
    let json = table.json(&opts, pinned, &targets, &failures);
    let path = out_dir.join("results.json");
    std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    eprintln!("results written to {}", path.display());
    if !failures.is_empty() {
        return Err(format!("{} scenario runs failed:\n  {}", failures.len(), failures.join("\n  ")));
    }
    let broken = if opts.check { broken_correctness(&targets) } else { Vec::new() };
    if broken.is_empty() { Ok(()) } else { Err(format!("--check: {}", broken.join("; "))) }
}

/// The correctness targets that were not met, each with what broke it.
fn broken_correctness(targets: &[Target]) -> Vec<String> {
    targets.iter().filter(|t| t.correctness && !t.met).map(|t| format!("{}: {}", t.name, t.detail)).collect()
}

/// Where the programs are.
struct Bins {
    release: PathBuf,
    bench_dir: PathBuf,
    /// The `--baseline` manager binary.
    baseline: Option<PathBuf>,
}

fn can_pin() -> bool {
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
fn run_one(
    bins: &Bins,
    peer: Peer,
    scenario: &Scenario,
    pinned: bool,
    log: &Path,
) -> Result<HashMap<String, f64>, String> {
    let mut server = start_server(bins, peer, pinned.then_some(0), log)?;
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
fn start_server(bins: &Bins, peer: Peer, cpu: Option<u32>, log_path: &Path) -> Result<ServerProcess, String> {
    let ping = PING_INTERVAL_S.to_string();
    let cmd = match peer {
        Peer::Ours | Peer::Baseline => {
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

fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}

/// Median, min and max of the runs that reported `key`.
#[derive(Clone, Copy)]
struct Summary {
    median: f64,
    min: f64,
    max: f64,
    n: usize,
}

fn summarize(runs: Option<&Vec<HashMap<String, f64>>>, key: &str) -> Option<Summary> {
    let mut v: Vec<f64> = runs?.iter().filter_map(|r| r.get(key).copied()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 1 { v[mid] } else { (v[mid - 1] + v[mid]) / 2.0 };
    Some(Summary { median, min: v[0], max: v[v.len() - 1], n: v.len() })
}

fn fmt_value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Micros => {
            let ms = v / 1000.0;
            if ms >= 100.0 {
                format!("{ms:.0}")
            } else if ms >= 10.0 {
                format!("{ms:.1}")
            } else {
                format!("{ms:.2}")
            }
        }
        Unit::Plain => format!("{v:.2}"),
        Unit::Count if v >= 1e6 => format!("{:.2}M", v / 1e6),
        Unit::Count if v >= 1e4 => format!("{:.1}k", v / 1e3),
        Unit::Count => format!("{v:.0}"),
    }
}

fn fmt_cell(s: Option<Summary>, unit: Unit) -> String {
    match s {
        None => "-".to_owned(),
        Some(s) if s.n == 1 || s.min == s.max => fmt_value(s.median, unit),
        Some(s) => {
            format!("{} ({}-{})", fmt_value(s.median, unit), fmt_value(s.min, unit), fmt_value(s.max, unit))
        }
    }
}

fn ratio(a: Option<Summary>, b: Option<Summary>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b.median != 0.0 => format!("{:.2}x", a.median / b.median),
        _ => "-".to_owned(),
    }
}

/// A performance target and whether it is met.
struct Target {
    name: &'static str,
    met: bool,
    detail: String,
    /// A correctness target (nothing lost, reordered or dropped), which `--check` enforces,
    /// rather than a performance one.
    correctness: bool,
}

struct Table<'a> {
    scenarios: &'a [Scenario],
    results: &'a HashMap<(usize, Peer), Vec<HashMap<String, f64>>>,
    peers: &'a [Peer],
}

impl Table<'_> {
    fn get(&self, scenario: usize, peer: Peer, key: &str) -> Option<Summary> {
        summarize(self.results.get(&(scenario, peer)), key)
    }

    fn find(&self, prefix: &str) -> Option<usize> {
        self.scenarios.iter().position(|s| s.name.starts_with(prefix))
    }

    fn render(&self, opts: &Options, pinned: bool, took: Duration) -> String {
        // The baseline's column and ratio only when there is one.
        let baseline = self.peers.contains(&Peer::Baseline);
        let columns: Vec<Peer> = ALL_PEERS.into_iter().filter(|&p| p != Peer::Baseline || baseline).collect();
        let against: Vec<Peer> = columns.iter().copied().filter(|&p| p != Peer::Ours).collect();
        let mut header = vec!["scenario".to_owned(), "metric".to_owned()];
        header.extend(columns.iter().map(|p| p.name().to_owned()));
        header.extend(against.iter().map(|p| format!("ours/{}", p.name())));
        let mut rows = vec![header];
        for (i, s) in self.scenarios.iter().enumerate() {
            for (j, metric) in s.metrics.iter().enumerate() {
                let cell = |p: Peer| {
                    if s.runs(p) && self.peers.contains(&p) { self.get(i, p, metric.key) } else { None }
                };
                // Ratios of counts that should be zero, or of ratios, say nothing.
                let ratios = !["lost", "reordered", "dropped", "connect_failures", "leaked", "growth"]
                    .contains(&metric.key);
                let mut row =
                    vec![if j == 0 { s.name.clone() } else { String::new() }, metric.label.to_owned()];
                row.extend(columns.iter().map(|&p| fmt_cell(cell(p), metric.unit)));
                row.extend(
                    against
                        .iter()
                        .map(|&p| if ratios { ratio(cell(Peer::Ours), cell(p)) } else { String::new() }),
                );
                rows.push(row);
            }
        }
        let mut widths = vec![0usize; rows[0].len()];
        for row in &rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Web-updates benchmark: {} run(s){}, {}, took {:.0} s; medians, (min-max) over runs.",
            opts.runs,
            if opts.quick { ", quick" } else { "" },
            if pinned { "servers on CPU 0, load generator on CPU 1" } else { "not pinned" },
            took.as_secs_f64()
        );
        for (n, row) in rows.iter().enumerate() {
            let mut line = String::new();
            for (k, (c, &w)) in row.iter().zip(&widths).enumerate() {
                if k < 2 {
                    let _ = write!(line, "{c:<w$}  ");
                } else {
                    let _ = write!(line, "{c:>w$}  ");
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
            if n == 0 {
                let _ =
                    writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            }
        }
        out
    }

    fn targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        let fmt = |s: Option<Summary>, unit| fmt_cell(s, unit);
        if let Some(i) = self.find("fan-out") {
            let (ours, node, ceiling) = (
                self.get(i, Peer::Ours, "deliveries_per_s"),
                self.get(i, Peer::Node, "deliveries_per_s"),
                self.get(i, Peer::Ceiling, "deliveries_per_s"),
            );
            if let (Some(o), Some(n)) = (ours, node) {
                out.push(Target {
                    correctness: false,
                    name: "fan-out deliveries/s >= 10x node",
                    met: o.median >= 10.0 * n.median,
                    detail: format!(
                        "{} vs {} ({})",
                        fmt(ours, Unit::Count),
                        fmt(node, Unit::Count),
                        ratio(ours, node)
                    ),
                });
            }
            if let (Some(o), Some(c)) = (ours, ceiling) {
                out.push(Target {
                    correctness: false,
                    name: "fan-out deliveries/s >= 1/2 ceiling",
                    met: o.median >= 0.5 * c.median,
                    detail: format!(
                        "{} vs {} ({})",
                        fmt(ours, Unit::Count),
                        fmt(ceiling, Unit::Count),
                        ratio(ours, ceiling)
                    ),
                });
            }
        }
        if let Some(i) = self.find("fixed") {
            let (ours, node) = (self.get(i, Peer::Ours, "p99_us"), self.get(i, Peer::Node, "p99_us"));
            if let (Some(o), Some(n)) = (ours, node) {
                out.push(Target {
                    correctness: false,
                    name: "p99 at 50 msg/s <= 1/10 of node's",
                    met: o.median * 10.0 <= n.median,
                    detail: format!(
                        "{} ms vs {} ms ({})",
                        fmt(ours, Unit::Micros),
                        fmt(node, Unit::Micros),
                        ratio(ours, node)
                    ),
                });
            }
        }
        if let Some(o) = self.find("idle").and_then(|i| self.get(i, Peer::Ours, "rss_per_conn_kib")) {
            out.push(Target {
                correctness: false,
                name: "idle RSS <= 8 KiB per connection",
                met: o.median <= 8.0,
                detail: format!("{:.2} KiB", o.median),
            });
        }
        if let Some(i) = self.find("room")
            && let Some(o) = self.get(i, Peer::Ours, "growth")
        {
            {
                out.push(Target {
                    correctness: false,
                    name: "broadcast cost grows only with its room (crowded/alone p50 <= 1.5)",
                    met: o.median <= 1.5,
                    detail: format!(
                        "{:.2}x ({} ms alone, {} ms with others)",
                        o.median,
                        fmt(self.get(i, Peer::Ours, "alone_p50_us"), Unit::Micros),
                        fmt(self.get(i, Peer::Ours, "crowded_p50_us"), Unit::Micros)
                    ),
                });
            }
        }
        for &peer in self.peers {
            let mut bad = Vec::new();
            let mut seen = false;
            for (i, s) in self.scenarios.iter().enumerate() {
                for key in ["lost", "reordered", "dropped", "connect_failures", "leaked", "bad_acks"] {
                    if let Some(runs) = self.results.get(&(i, peer)) {
                        seen = true;
                        let worst = runs.iter().filter_map(|r| r.get(key)).fold(0.0f64, |a, &b| a.max(b));
                        if worst > 0.0 {
                            bad.push(format!("{} {key} {worst:.0}", s.name));
                        }
                    }
                }
            }
            if seen {
                out.push(Target {
                    correctness: true,
                    name: match peer {
                        Peer::Ours => "zero lost/reordered everywhere (ours)",
                        Peer::Baseline => "zero lost/reordered everywhere (baseline)",
                        Peer::Node => "zero lost/reordered everywhere (node)",
                        Peer::Ceiling => "zero lost/reordered everywhere (ceiling)",
                    },
                    met: bad.is_empty(),
                    detail: if bad.is_empty() { "none".to_owned() } else { bad.join("; ") },
                });
            }
        }
        out
    }

    fn json(&self, opts: &Options, pinned: bool, targets: &[Target], failures: &[String]) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\n  \"quick\": {},\n  \"runs\": {},\n  \"pinned\": {pinned},\n",
            opts.quick, opts.runs
        );
        out.push_str("  \"scenarios\": [\n");
        for (i, s) in self.scenarios.iter().enumerate() {
            let _ = write!(
                out,
                "    {{\n      \"name\": {},\n      \"loadgen\": {},\n      \"metrics\": [\n",
                json_str(&s.name),
                json_str(&s.args.join(" "))
            );
            for (j, metric) in s.metrics.iter().enumerate() {
                let _ = write!(
                    out,
                    "        {{\"key\": {}, \"label\": {}",
                    json_str(metric.key),
                    json_str(metric.label)
                );
                for &peer in self.peers.iter().filter(|&&p| s.runs(p)) {
                    let runs: Vec<String> = self
                        .results
                        .get(&(i, peer))
                        .map(|r| r.iter().filter_map(|m| m.get(metric.key)).map(|v| json_num(*v)).collect())
                        .unwrap_or_default();
                    let median =
                        self.get(i, peer, metric.key).map(|s| json_num(s.median)).unwrap_or("null".into());
                    let _ = write!(
                        out,
                        ", {}: {{\"median\": {median}, \"runs\": [{}]}}",
                        json_str(peer.name()),
                        runs.join(", ")
                    );
                }
                out.push('}');
                out.push_str(if j + 1 < s.metrics.len() { ",\n" } else { "\n" });
            }
            out.push_str("      ]\n    }");
            out.push_str(if i + 1 < self.scenarios.len() { ",\n" } else { "\n" });
        }
        out.push_str("  ],\n  \"targets\": [\n");
        for (i, t) in targets.iter().enumerate() {
            let _ = write!(
                out,
                "    {{\"name\": {}, \"met\": {}, \"detail\": {}}}{}",
                json_str(t.name),
                t.met,
                json_str(&t.detail),
                if i + 1 < targets.len() { ",\n" } else { "\n" }
            );
        }
        let failures: Vec<String> = failures.iter().map(|f| json_str(f)).collect();
        let _ = write!(out, "  ],\n  \"failures\": [{}]\n}}\n", failures.join(", "));
        out
    }
}

fn json_num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "null".to_owned() }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_the_flags_ci_uses() {
        let o = parse(&args(&["--quick", "--check"])).unwrap();
        assert!(o.quick && o.check);
        assert_eq!(o.runs, 1, "--quick is one run unless --runs says otherwise");
        assert_eq!(o.peers, PEERS.to_vec());
        let o = parse(&args(&["--runs", "5", "--servers", "ours,ceiling"])).unwrap();
        assert!(!o.quick && !o.check);
        assert_eq!(o.runs, 5);
        assert_eq!(o.peers, vec![Peer::Ours, Peer::Ceiling]);
        assert!(parse(&args(&["--servers", "nginx"])).unwrap_err().contains("unknown server"));
        assert!(parse(&args(&["--fast"])).unwrap_err().contains("--check"));
    }

    #[test]
    fn a_baseline_runs_right_after_ours_wherever_ours_runs() {
        let o = parse(&args(&["--baseline", "/tmp/manager-before"])).unwrap();
        assert_eq!(o.peers, vec![Peer::Ours, Peer::Baseline, Peer::Node, Peer::Ceiling]);
        assert_eq!(o.baseline.as_deref(), Some(Path::new("/tmp/manager-before")));
        let o = parse(&args(&["--servers", "ours,baseline", "--baseline", "old"])).unwrap();
        assert_eq!(o.peers, vec![Peer::Ours, Peer::Baseline]);
        assert!(parse(&args(&["--servers", "baseline"])).unwrap_err().contains("--baseline PATH"));
        assert!(parse(&args(&["--baseline"])).unwrap_err().contains("needs a value"));

        let scenarios = scenarios(true);
        for s in &scenarios {
            assert_eq!(s.runs(Peer::Baseline), s.runs(Peer::Ours), "{}", s.name);
        }
        let fan_out = scenarios.iter().position(|s| s.name.starts_with("fan-out")).unwrap();
        let report = |d: f64| vec![HashMap::from([("deliveries_per_s".to_owned(), d)])];
        let results = HashMap::from([
            ((fan_out, Peer::Ours), report(1_200_000.0)),
            ((fan_out, Peer::Baseline), report(1_000_000.0)),
        ]);
        let peers = [Peer::Ours, Peer::Baseline];
        let table = Table { scenarios: &scenarios, results: &results, peers: &peers };
        let o = parse(&args(&["--servers", "ours,baseline", "--baseline", "old"])).unwrap();
        let text = table.render(&o, true, Duration::from_secs(1));
        let header = text.lines().nth(1).unwrap();
        let columns: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(
            columns,
            [
                "scenario",
                "metric",
                "ours",
                "baseline",
                "node",
                "ceiling",
                "ours/baseline",
                "ours/node",
                "ours/ceiling"
            ]
        );
        let row = text.lines().find(|l| l.contains("deliveries/s")).unwrap();
        assert!(row.contains("1.20M") && row.contains("1.00M") && row.contains("1.20x"), "{row}");

        let without = Table { scenarios: &scenarios, results: &results, peers: &[Peer::Ours] };
        let text = without.render(&parse(&[]).unwrap(), true, Duration::from_secs(1));
        assert!(!text.contains("baseline"), "no baseline column unless asked for:\n{text}");
    }

    /// One report per scenario for `ours`, with `lost` set in the fan-out's.
    fn results(scenarios: &[Scenario], lost: f64) -> HashMap<(usize, Peer), Vec<HashMap<String, f64>>> {
        let mut results = HashMap::new();
        for (i, s) in scenarios.iter().enumerate() {
            let mut report = HashMap::from([
                ("lost".to_owned(), 0.0),
                ("reordered".to_owned(), 0.0),
                ("rss_per_conn_kib".to_owned(), 18.0),
            ]);
            if s.name.starts_with("fan-out") {
                report.insert("lost".to_owned(), lost);
            }
            results.insert((i, Peer::Ours), vec![report]);
        }
        results
    }

    #[test]
    fn check_fails_on_a_lost_message_but_never_on_a_timing() {
        let scenarios = scenarios(true);
        let peers = [Peer::Ours];
        let clean = results(&scenarios, 0.0);
        let table = Table { scenarios: &scenarios, results: &clean, peers: &peers };
        let targets = table.targets();
        assert!(
            targets.iter().any(|t| !t.correctness && !t.met),
            "the idle target (18 KiB > 8) is missed, and is not a correctness target"
        );
        assert_eq!(broken_correctness(&targets), Vec::<String>::new());

        let lossy = results(&scenarios, 3.0);
        let table = Table { scenarios: &scenarios, results: &lossy, peers: &peers };
        let broken = broken_correctness(&table.targets());
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert!(broken[0].contains("(ours)") && broken[0].contains("lost 3"), "{}", broken[0]);
    }
}
