//! The load generator of `cargo xtask bench`: many Engine.IO 3 or 4 websocket clients on
//! one thread, a scenario per subcommand, results printed as `key=value` lines.
//!
//! Every scenario is bounded in time: connects and acks time out, senders stop after
//! their duration or message count, draining gives up when nothing arrives for 3 s, and
//! the whole run is cut off after `--timeout` seconds. Only loopback addresses are taken.
//!
//! `loadgen --help` and `loadgen <scenario> --help` list the options.

mod eio;
mod fanout;
mod http;
mod idle;
mod jobs;
mod rest;
mod room;
mod stats;
mod updates;
mod ws;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use eio::{Eio, Target};

/// Load generator for the web-updates benchmark.
#[derive(Debug, Parser)]
#[command(name = "loadgen")]
struct Args {
    /// The server, `http://127.0.0.1:PORT` (loopback only).
    #[arg(long)]
    url: String,
    /// A second server of the same deployment (`http://127.0.0.1:PORT`), for clients spread
    /// over two: every other client connects there; senders stay on --url.
    #[arg(long)]
    also_url: Option<String>,
    /// Engine.IO generation the clients speak.
    #[arg(long, value_enum, default_value = "3")]
    eio: Eio,
    /// Handshakes in progress at once.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
    /// Seconds after which the run fails, whatever it is doing.
    #[arg(long, default_value_t = 300.0)]
    timeout: f64,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Chat fan-out: subscribers in `Chat`, one sender emitting `/chat`.
    Fanout(fanout::Opts),
    /// `/jobs` broadcasts driven by set-priority calls.
    Rest(rest::Opts),
    /// Connections held idle: connect rate and server memory per connection.
    Idle(idle::Opts),
    /// A broadcast to a small room, alone and with many other sockets connected.
    Room(room::Opts),
    /// Workers posting task updates with log lines (write-heavy REST).
    Updates(updates::Opts),
}

fn target(url: &str, also: Option<&str>, eio: Eio) -> Result<Target, String> {
    let loopback = |url: &str| -> Result<String, String> {
        let addr = url.strip_prefix("http://").unwrap_or(url).trim_end_matches('/');
        let parsed: SocketAddr = addr.parse().map_err(|e| format!("{url}: {e}"))?;
        if !parsed.ip().is_loopback() {
            return Err(format!("{url}: only loopback addresses are benchmarked"));
        }
        Ok(addr.to_owned())
    };
    let addr = loopback(url).map_err(|e| format!("--url {e}"))?;
    let also = also.map(loopback).transpose().map_err(|e| format!("--also-url {e}"))?;
    Ok(Target { addr, eio, also })
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    // Thousands of sockets: lift the soft limit on open files as far as allowed.
    if let Err(e) = rlimit::increase_nofile_limit(1 << 20) {
        eprintln!("loadgen: cannot raise the open-file limit: {e}");
    }
    let target = target(&args.url, args.also_url.as_deref(), args.eio)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let limit = Duration::from_secs_f64(args.timeout);
    let c = args.connect_concurrency;
    runtime.block_on(async {
        let scenario = async {
            match &args.scenario {
                Scenario::Fanout(o) => fanout::run(&target, c, o).await,
                Scenario::Rest(o) => rest::run(&target, c, o).await,
                Scenario::Idle(o) => idle::run(&target, c, o).await,
                Scenario::Room(o) => room::run(&target, c, o).await,
                Scenario::Updates(o) => updates::run(&target.addr, o).await,
            }
        };
        tokio::time::timeout(limit, scenario).await.map_err(|_| format!("gave up after {limit:?}"))?
    })
}
