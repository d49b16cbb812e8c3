//! Idle connections: how fast they open and what each costs the server in memory.
//!
//! The server's resident set (`VmRSS` in `/proc/<pid>/status`) is read before the first
//! connect and after all connections were held, heartbeats going, for the hold time; the
//! difference over the number of connections is the cost of one. It is read once more
//! `--settle` seconds after every client closed: how much of that memory the server still
//! holds once its clients are gone.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::watch;

use crate::eio::{self, End, Handler, Target};
use crate::stats::{Shared, report};

#[derive(Debug, clap::Args)]
pub(crate) struct Opts {
    /// Connections to open and hold.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Seconds to hold them.
    #[arg(long, default_value_t = 30.0)]
    hold: f64,
    /// Seconds to wait after the clients closed before reading the server's memory again.
    #[arg(long, default_value_t = 8.0)]
    settle: f64,
    /// The server's process id, for its memory; 0 skips the memory figures.
    #[arg(long, default_value_t = 0)]
    server_pid: u32,
}

struct Idle;

impl Handler for Idle {
    type Stats = ();
    fn packet(&mut self, _packet: &[u8], _at: u64) {}
    fn finish(self, _end: End) {}
}

/// A process's resident set in KiB.
fn rss_kib(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| format!("/proc/{pid}: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS for {pid}"))
}

pub(crate) async fn run(target: &Target, concurrency: usize, opts: &Opts) -> Result<(), String> {
    let memory = opts.server_pid != 0;
    let before = if memory { rss_kib(opts.server_pid)? } else { 0 };
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop) = watch::channel(false);
    let clients =
        eio::spawn_clients(target, opts.connections, concurrency, None, &shared, &stop, |_| Idle).await;
    let (connected, failures) = (clients.connected(), clients.failures);
    report("connections", connected);
    report("connect_failures", failures);
    if let Some(e) = &clients.first_error {
        eprintln!("loadgen: first connect failure: {e}");
    }
    report("connect_per_s", format!("{:.0}", connected as f64 / clients.elapsed.as_secs_f64()));
    let at_connect = if memory { rss_kib(opts.server_pid)? } else { 0 };
    tokio::time::sleep(Duration::from_secs_f64(opts.hold)).await;
    let after = if memory { rss_kib(opts.server_pid)? } else { 0 };
    let dropped = shared.dropped.load(Relaxed);
    let _ = stop_tx.send(true);
    clients.join(Duration::from_secs(20)).await?;
    if memory {
        tokio::time::sleep(Duration::from_secs_f64(opts.settle)).await;
        let left = rss_kib(opts.server_pid)?;
        report("rss_before_kib", before);
        report("rss_connected_kib", at_connect);
        report("rss_after_kib", after);
        let per = after.saturating_sub(before) as f64 / connected.max(1) as f64;
        report("rss_per_conn_kib", format!("{per:.2}"));
        report("rss_left_kib", left);
        let kept = left.saturating_sub(before) as f64 / after.saturating_sub(before).max(1) as f64;
        report("rss_kept_pct", format!("{:.1}", kept * 100.0));
    }
    report("dropped", dropped);
    report("lost", dropped + failures);
    report("reordered", 0);
    Ok(())
}
