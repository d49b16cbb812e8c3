//! REST-driven broadcasts: subscribers in `Jobs`, callers setting job priorities with a
//! fixed number of calls in flight, one job and one keep-alive connection per caller.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::eio::{self, Target};
use crate::fanout::{drain, outcome, report_latency};
use crate::http::Http;
use crate::jobs::{Calls, JobsSub};
use crate::stats::{Shared, now_ns, report};

#[derive(Debug, clap::Args)]
pub(crate) struct Opts {
    /// Connected clients in `Jobs`.
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Seconds of calling.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Calls in flight, each on its own connection and job.
    #[arg(long, default_value_t = 16)]
    inflight: usize,
    /// Calls at most per caller, whatever the duration.
    #[arg(long, default_value_t = 200_000)]
    max_calls: u64,
}

/// Creates `n` jobs, each through its own connection, which the caller then keeps.
pub(crate) async fn create_jobs(addr: &str, n: usize) -> Result<(Vec<Http>, Vec<String>), String> {
    let (mut conns, mut ids) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let mut http = Http::connect(addr).await?;
        ids.push(http.create_job().await?);
        conns.push(http);
    }
    // Creating a job may bring more updates of it a little later; let them pass.
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok((conns, ids))
}

pub(crate) async fn run(target: &Target, concurrency: usize, opts: &Opts) -> Result<(), String> {
    let (conns, ids) = create_jobs(&target.addr, opts.inflight).await?;
    let calls = Arc::new(Calls::new(&ids));
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop) = watch::channel(false);
    let subs = eio::spawn_clients(target, opts.subscribers, concurrency, None, &shared, &stop, |_| {
        JobsSub::new(shared.clone(), calls.clone())
    })
    .await;
    subs.all_connected()?;
    report("subscribers", opts.subscribers);

    let first_at = now_ns();
    let started = Instant::now();
    let duration = Duration::from_secs_f64(opts.duration);
    let mut callers = Vec::new();
    for (job, mut http) in conns.into_iter().enumerate() {
        let (calls, id, max) = (calls.clone(), ids[job].clone(), opts.max_calls);
        callers.push(tokio::spawn(async move {
            let mut n = 0u64;
            while n < max && started.elapsed() < duration {
                n += 1;
                let priority = calls.sending(job, n, now_ns());
                http.set_priority(&id, priority).await?;
            }
            Ok::<u64, String>(n)
        }));
    }
    let mut sent = 0;
    for caller in callers {
        let calls = tokio::time::timeout(duration + Duration::from_secs(30), caller)
            .await
            .map_err(|_| "a caller did not finish in time".to_owned())?
            .map_err(|e| e.to_string())??;
        sent += calls;
    }
    let call_span = started.elapsed().as_secs_f64();
    drain(&shared, sent * opts.subscribers as u64).await;
    let _ = stop_tx.send(true);
    let counts = subs.join(Duration::from_secs(10)).await?;
    let outcome = outcome(&shared, &counts, sent, first_at);
    report("calls", sent);
    report("calls_per_s", format!("{:.0}", sent as f64 / call_span));
    report("deliveries", outcome.deliveries);
    report("deliveries_per_s", format!("{:.0}", outcome.per_second));
    report_latency(&shared);
    report("lost", outcome.lost);
    report("reordered", outcome.reordered);
    report("dropped", shared.dropped.load(Relaxed));
    Ok(())
}
