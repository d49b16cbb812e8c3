//! Chat fan-out: subscribers in `Chat`, one sender emitting `/chat` with acks, either as
//! fast as a window of un-acked messages allows or at a fixed rate.
//!
//! Each message's text starts with its sequence number and send time at fixed places,
//! `S<10 digits>T<15 digits>`, padded with `x` to the asked length, so a subscriber reads
//! both from a few bytes after `"text":"` without parsing the JSON.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, timeout};

use crate::eio::{self, End, Handler, Target};
use crate::stats::{Counts, Shared, digits, now_ns, report};
use crate::ws::find;

/// How long the sender waits for a free slot in its window before giving up.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, clap::Args)]
pub(crate) struct Opts {
    /// Connected clients that only receive.
    #[arg(long, default_value_t = 1000)]
    subscribers: usize,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Un-acked messages the sender may have out at once.
    #[arg(long, default_value_t = 64)]
    window: usize,
    /// Messages per second; 0 sends as fast as the window allows.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Length of each message's text, in bytes.
    #[arg(long, default_value_t = 300)]
    text_len: usize,
    /// Messages at most, whatever the duration.
    #[arg(long, default_value_t = 2_000_000)]
    max_messages: u64,
}

/// A subscriber: checks the order of sequence numbers and records latencies.
struct ChatSub {
    shared: Arc<Shared>,
    last: u64,
    counts: Counts,
}

impl Handler for ChatSub {
    type Stats = Counts;

    fn packet(&mut self, packet: &[u8], at: u64) {
        let Some((seq, sent_at)) = chat_fields(packet) else { return };
        if seq <= self.last {
            self.counts.reordered += 1;
        } else {
            self.last = seq;
        }
        self.counts.received += 1;
        self.shared.delivered(sent_at, at);
    }

    fn finish(self, _end: End) -> Counts {
        self.counts
    }
}

/// The sequence number and send time in a `/message` packet, if it is one of ours.
fn chat_fields(packet: &[u8]) -> Option<(u64, u64)> {
    const MARK: &[u8] = b"\"text\":\"S";
    let head = packet.strip_prefix(b"42[\"/message\",")?;
    let at = find(&head[..head.len().min(96)], MARK)? + MARK.len();
    let fields = head.get(at..at + 26)?;
    if fields[10] != b'T' {
        return None;
    }
    Some((digits(&fields[..10])?, digits(&fields[11..26])?))
}

/// The sender's reader: frees a window slot per ack.
struct Acks {
    window: Arc<Semaphore>,
    acked: u64,
    bad: u64,
}

impl Handler for Acks {
    type Stats = (u64, u64);

    fn packet(&mut self, packet: &[u8], _at: u64) {
        if packet.starts_with(b"43") {
            if find(packet, b"[\"message sent successfully.\"]").is_none() {
                self.bad += 1;
            }
            self.acked += 1;
            self.window.add_permits(1);
        }
    }

    fn finish(self, _end: End) -> (u64, u64) {
        (self.acked, self.bad)
    }
}

/// The result of one fan-out run.
pub(crate) struct Outcome {
    pub(crate) deliveries: u64,
    pub(crate) per_second: f64,
    pub(crate) lost: u64,
    pub(crate) reordered: u64,
}

pub(crate) async fn run(target: &Target, concurrency: usize, opts: &Opts) -> Result<(), String> {
    let shared = Arc::new(Shared::default());
    let (stop_tx, stop) = watch::channel(false);
    let subs = eio::spawn_clients(target, opts.subscribers, concurrency, None, &shared, &stop, |_| ChatSub {
        shared: shared.clone(),
        last: 0,
        counts: Counts::default(),
    })
    .await;
    subs.all_connected()?;
    report("subscribers", opts.subscribers);
    report("connect_per_s", format!("{:.0}", opts.subscribers as f64 / subs.elapsed.as_secs_f64()));

    let sender = eio::connect(target).await.map_err(|e| format!("sender: {e}"))?;
    let writer = sender.writer.clone();
    let window = Arc::new(Semaphore::new(opts.window));
    let acks = Acks { window: window.clone(), acked: 0, bad: 0 };
    let sender_task = tokio::spawn({
        let stop = stop.clone();
        async move {
            let mut acks = acks;
            let end = eio::run(sender, &mut acks, stop).await;
            (acks.finish(end), ())
        }
    });

    let pad = "x".repeat(opts.text_len.saturating_sub(27));
    let period = (opts.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / opts.rate));
    let started = Instant::now();
    let first_at = now_ns();
    let mut next = started;
    let mut sent = 0u64;
    let mut message = String::with_capacity(opts.text_len + 64);
    while sent < opts.max_messages && started.elapsed().as_secs_f64() < opts.duration {
        if let Some(period) = period {
            tokio::time::sleep_until(next).await;
            next += period;
        }
        let permit = timeout(ACK_TIMEOUT, window.acquire())
            .await
            .map_err(|_| format!("no ack for {ACK_TIMEOUT:?} after {sent} messages"))?
            .map_err(|e| e.to_string())?;
        permit.forget();
        sent += 1;
        message.clear();
        use std::fmt::Write;
        let _ = write!(
            message,
            "42{sent}[\"/chat\",{{\"name\":\"bench\",\"text\":\"S{sent:010}T{:015}{pad}\"}}]",
            now_ns()
        );
        writer.lock().await.text(message.as_bytes()).await.map_err(|e| format!("sender: {e}"))?;
    }
    timeout(ACK_TIMEOUT, window.acquire_many(opts.window as u32))
        .await
        .map_err(|_| format!("the last acks did not come within {ACK_TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?
        .forget();

    let expected = sent * opts.subscribers as u64;
    drain(&shared, expected).await;
    let _ = stop_tx.send(true);
    let counts = subs.join(Duration::from_secs(10)).await?;
    let ((acked, bad_acks), ()) = sender_task.await.map_err(|e| e.to_string())?;
    let outcome = outcome(&shared, &counts, sent, first_at);
    report("sent", sent);
    report("acked", acked);
    report("bad_acks", bad_acks);
    report("deliveries", outcome.deliveries);
    report("deliveries_per_s", format!("{:.0}", outcome.per_second));
    report_latency(&shared);
    report("lost", outcome.lost);
    report("reordered", outcome.reordered);
    report("dropped", shared.dropped.load(Relaxed));
    Ok(())
}

/// Waits until `expected` deliveries arrived, or nothing arrived for 3 s, or 60 s passed.
pub(crate) async fn drain(shared: &Shared, expected: u64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let (mut last, mut last_change) = (shared.received.load(Relaxed), Instant::now());
    while Instant::now() < deadline {
        let now = shared.received.load(Relaxed);
        if now >= expected {
            return;
        }
        if now != last {
            (last, last_change) = (now, Instant::now());
        } else if last_change.elapsed() > Duration::from_secs(3) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Deliveries per second from the first send to the last delivery; lost and reordered
/// summed over subscribers, each of which should have received all `sent`.
pub(crate) fn outcome(shared: &Shared, counts: &[Counts], sent: u64, first_at: u64) -> Outcome {
    let deliveries = shared.received.load(Relaxed);
    let span = shared.last_at.load(Relaxed).saturating_sub(first_at).max(1) as f64 / 1e9;
    let lost = counts.iter().map(|c| sent.saturating_sub(c.received)).sum();
    let reordered = counts.iter().map(|c| c.reordered).sum();
    Outcome { deliveries, per_second: deliveries as f64 / span, lost, reordered }
}

pub(crate) fn report_latency(shared: &Shared) {
    let h = &shared.latency;
    report("p50_us", h.quantile(0.50) / 1000);
    report("p99_us", h.quantile(0.99) / 1000);
    report("max_us", h.max() / 1000);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sequence_and_time_at_fixed_places() {
        let p = br#"42["/message",{"name":"bench","text":"S0000000042T000000000001234xxxx"}]"#;
        assert_eq!(chat_fields(p), Some((42, 1234)));
        assert_eq!(chat_fields(br#"42["/message",{"name":"x","text":"hello"}]"#), None);
        assert_eq!(chat_fields(br#"42["/jobs",{"id":"x"}]"#), None);
    }
}
