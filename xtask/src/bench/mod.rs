//! `cargo xtask bench`: our manager against Node's socket.io 4 server (the peer, in
//! `tests/bench`) and against the ceiling probe (pre-encoded frames, no Socket.IO), under
//! the same load from `crates/loadgen`; and our manager scaled out through a real
//! `redis-server`: alone with `--redis` (`ours-redis`, every update taking the Redis hop)
//! and beside one `webupdates-node` with the subscribers spread over both (`spread`).
//!
//! Our manager runs with its state in memory (`ours`) and, in the scenarios that change
//! state through REST (set-priority, task updates with log lines), also with a SQLite
//! database and storage folder made fresh for each run (`ours-sqlite`), so the table shows
//! what durability costs. Named with `--servers ours,ours-mqtt`, it also runs publishing
//! every update to a Mosquitto the bench starts for each run (`ours-mqtt`, in the fan-out
//! and set-priority scenarios), so the table shows what MQTT costs Socket.IO:
//! `cargo xtask bench --only fan-out,rest --servers ours,ours-mqtt`.
//!
//! The flags are in `options.rs` (`cargo xtask bench --help`). `--quick` is a smoke run of
//! about a minute. `--baseline PATH` adds another manager binary (say, one built before a
//! change) that runs wherever ours does, right after it in every run: on a shared machine
//! only interleaved runs tell whether a change helped. `--check` also fails the run when any
//! server lost, reordered or dropped anything, which is how `cargo xtask ci` runs `--quick`
//! to keep the harness from rotting; timings never fail a run.
//!
//! One file per concept: `servers.rs` (starting, pinning and bounding the servers and the
//! load generator), `scenarios.rs` (what the load generator runs and which figures count),
//! `report.rs` (the table, the targets and the JSON), `scale_out.rs` (the targets of the
//! Redis peers).
//!
//! Each scenario gets a freshly started server, one server at a time, the server pinned to
//! CPU 0 and the load generator to CPU 1 (`taskset`), both with a high open-file limit.
//! Every run is bounded: a server must say where it listens within 60 s, the load generator
//! gives up after its `--timeout` and is killed 30 s after that, and every server is killed
//! when its scenario ends, failed or not. The table goes to standard output, medians of the
//! runs with min-max; the same numbers go to `target/bench/results.json`; server logs to
//! `target/bench/logs/`.

mod options;
mod report;
mod scale_out;
mod scenarios;
mod servers;
mod services;

use std::process::Command;
use std::time::Instant;

pub(crate) use options::Args;
use report::{Results, Table, broken_correctness};
use scenarios::{Scenario, scenarios};
use servers::{Bins, Peer, can_pin, run_one};

use crate::util::{cargo, exec, project_root, target_dir};

pub(crate) fn run(args: Args) -> Result<(), String> {
    let opts = args.resolve()?;
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
    let target = target_dir()?;
    exec(cargo().args([
        "build",
        "--release",
        "-p",
        "manager",
        "-p",
        "webupdates-node",
        "-p",
        "loadgen",
        "-p",
        "ceiling-probe",
    ]))?;
    if opts.peers.iter().any(|p| matches!(p, Peer::OursRedis | Peer::Spread)) {
        crate::packages::ensure(crate::packages::NEEDED)?;
    }
    let bench_dir = root.join("tests/bench");
    if opts.peers.contains(&Peer::OursMqtt) {
        crate::packages::ensure(crate::packages::NEEDED)?;
    }
    if opts.peers.contains(&Peer::Node) {
        exec(
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&bench_dir),
        )?;
    }
    let out_dir = target.join("bench");
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
    let mut results = Results::new();
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

fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect()
}
