//! The cost of a broadcast to a small room while many other sockets are connected.
//!
//! Twice: `members` clients in `Jobs` alone, then the same with `others` clients that
//! left `Jobs` (`/subscription` `{"op":"unsubscribe","type":"allJobs"}`) before it. Each
//! time one caller sets a job's priority, one call at a time; the median latency of the
//! `/jobs` deliveries should not grow with the others. The others count any `/jobs` they
//! still receive as leaked.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use tokio::sync::watch;

use crate::eio::{self, End, Handler, Target};
use crate::fanout::{drain, outcome};
use crate::jobs::{Calls, JobsSub};
use crate::rest::create_jobs;
use crate::stats::{Shared, now_ns, report};

const LEAVE_JOBS: &str = r#"["/subscription",{"op":"unsubscribe","type":"allJobs"}]"#;

#[derive(Debug, clap::Args)]
pub(crate) struct Opts {
    /// Clients in `Jobs`.
    #[arg(long, default_value_t = 10)]
    members: usize,
    /// Clients connected but not in `Jobs`, in the second measurement.
    #[arg(long, default_value_t = 5000)]
    others: usize,
    /// Set-priority calls per measurement.
    #[arg(long, default_value_t = 500)]
    calls: u64,
}

/// A client outside `Jobs`: counts the `/jobs` it should not get.
struct Outsider {
    leaked: Arc<AtomicU64>,
}

impl Handler for Outsider {
    type Stats = ();

    fn packet(&mut self, packet: &[u8], _at: u64) {
        if packet.starts_with(b"42[\"/jobs\"") {
            self.leaked.fetch_add(1, Relaxed);
        }
    }

    fn finish(self, _end: End) {}
}

pub(crate) async fn run(target: &Target, concurrency: usize, opts: &Opts) -> Result<(), String> {
    let (stop_tx, stop) = watch::channel(false);
    let alone = measure(target, concurrency, opts).await?;
    report("alone_p50_us", alone.0 / 1000);
    report("alone_p99_us", alone.1 / 1000);

    let leaked = Arc::new(AtomicU64::new(0));
    let outsiders_shared = Arc::new(Shared::default());
    let outsiders = eio::spawn_clients(
        target,
        opts.others,
        concurrency,
        Some(LEAVE_JOBS),
        &outsiders_shared,
        &stop,
        |_| Outsider { leaked: leaked.clone() },
    )
    .await;
    outsiders.all_connected()?;
    let crowded = measure(target, concurrency, opts).await?;
    let _ = stop_tx.send(true);
    outsiders.join(Duration::from_secs(10)).await?;
    report("others", opts.others);
    report("crowded_p50_us", crowded.0 / 1000);
    report("crowded_p99_us", crowded.1 / 1000);
    report("growth", format!("{:.2}", crowded.0 as f64 / alone.0.max(1) as f64));
    report("lost", alone.2 + crowded.2);
    report("reordered", alone.3 + crowded.3);
    report("leaked", leaked.load(Relaxed));
    report("dropped", outsiders_shared.dropped.load(Relaxed) + alone.4 + crowded.4);
    Ok(())
}

/// p50 and p99 latency in ns, lost, reordered and dropped, of `calls` sequential calls
/// seen by `members` fresh clients.
async fn measure(
    target: &Target,
    concurrency: usize,
    opts: &Opts,
) -> Result<(u64, u64, u64, u64, usize), String> {
    let (mut conns, ids) = create_jobs(&target.addr, 1).await?;
    let mut http = conns.pop().ok_or("no connection")?;
    let calls = Arc::new(Calls::new(&ids));
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop) = watch::channel(false);
    let members = eio::spawn_clients(target, opts.members, concurrency, None, &shared, &stop, |_| {
        JobsSub::new(shared.clone(), calls.clone())
    })
    .await;
    members.all_connected()?;
    let first_at = now_ns();
    for n in 1..=opts.calls {
        let priority = calls.sending(0, n, now_ns());
        tokio::time::timeout(Duration::from_secs(10), http.set_priority(&ids[0], priority))
            .await
            .map_err(|_| "a set-priority call took over 10 s".to_owned())??;
    }
    drain(&shared, opts.calls * opts.members as u64).await;
    let _ = stop_tx.send(true);
    let counts = members.join(Duration::from_secs(10)).await?;
    let outcome = outcome(&shared, &counts, opts.calls, first_at);
    Ok((
        shared.latency.quantile(0.5),
        shared.latency.quantile(0.99),
        outcome.lost,
        outcome.reordered,
        shared.dropped.load(Relaxed),
    ))
}
