//! Write-heavy REST load: workers posting task updates with log lines, as a farm does while
//! it renders. Each worker registers, signs on, wakes, takes a task of its own job and then
//! reports on it as fast as the manager answers, on its own keep-alive connection. Every
//! update changes the task's activity and appends a log line, so each one is a stored
//! change (and, with a database, a committed transaction and a log-file append).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::http::Http;
use crate::stats::{Histogram, now_ns, report};

#[derive(Debug, clap::Args)]
pub(crate) struct Opts {
    /// Workers, each with its own job, task and connection.
    #[arg(long, default_value_t = 100)]
    workers: usize,
    /// Seconds of updating.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
}

const SECRET: &str = "bench-secret";

/// A worker, awake, with the task it was given: its connection, credential and task id.
async fn awake_worker(addr: &str, n: usize) -> Result<(Http, String, String), String> {
    let mut http = Http::connect(addr).await?;
    http.create_job().await?;
    let registration = format!(
        r#"{{"secret":"{SECRET}","platform":"linux","supported_task_types":["misc"],"name":"bench-{n}"}}"#
    );
    let worker = http.expect_json("/api/v3/worker/register-worker", registration, None).await?;
    let id = worker.get("uuid").and_then(|v| v.as_str()).ok_or("no worker uuid")?.to_owned();
    let auth = Some((id.as_str(), SECRET));
    let sign_on =
        format!(r#"{{"name":"bench-{n}","supported_task_types":["misc"],"software_version":"bench"}}"#);
    http.expect_json("/api/v3/worker/sign-on", sign_on, auth).await?;
    http.expect_status("/api/v3/worker/state-changed", r#"{"status":"awake"}"#.to_owned(), auth, 204).await?;
    let task = http.expect_json("/api/v3/worker/task", String::new(), auth).await?;
    let task_id = task.get("uuid").and_then(|v| v.as_str()).ok_or("no task for the worker")?.to_owned();
    Ok((http, id, task_id))
}

pub(crate) async fn run(addr: &str, opts: &Opts) -> Result<(), String> {
    let mut workers = Vec::with_capacity(opts.workers);
    for n in 0..opts.workers {
        workers.push(awake_worker(addr, n).await?);
    }
    report("workers", opts.workers);
    let latency = Arc::new(Histogram::default());
    let started = Instant::now();
    let duration = Duration::from_secs_f64(opts.duration);
    let mut tasks = Vec::new();
    for (mut http, id, task_id) in workers {
        let latency = latency.clone();
        tasks.push(tokio::spawn(async move {
            let path = format!("/api/v3/worker/task/{task_id}");
            let mut n = 0u64;
            while started.elapsed() < duration {
                n += 1;
                let update = format!(
                    r#"{{"activity":"rendering tile {n}","log":"tile {n}: 64 samples, 12.3 MiB peak, 0.42 s\n"}}"#
                );
                let sent = now_ns();
                http.expect_status(&path, update, Some((&id, SECRET)), 204).await?;
                latency.record(now_ns().saturating_sub(sent));
            }
            Ok::<u64, String>(n)
        }));
    }
    let mut updates = 0;
    for task in tasks {
        updates += tokio::time::timeout(duration + Duration::from_secs(30), task)
            .await
            .map_err(|_| "a worker did not finish in time".to_owned())?
            .map_err(|e| e.to_string())??;
    }
    let span = started.elapsed().as_secs_f64();
    report("updates", updates);
    report("updates_per_s", format!("{:.0}", updates as f64 / span));
    report("p50_us", latency.quantile(0.50) / 1000);
    report("p99_us", latency.quantile(0.99) / 1000);
    report("max_us", latency.max() / 1000);
    Ok(())
}
