//! What every scenario measures: a latency histogram shared by all connections, and the
//! counters each subscriber keeps.
//!
//! The histogram is log-linear, 64 buckets per power of two (at most 1.6 % off), with
//! atomic buckets so that any number of tasks record into it without a lock.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

/// Nanoseconds since the first call: the one clock that senders and subscribers share.
pub(crate) fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

const SUB: u64 = 64;
const BUCKETS: usize = (SUB as usize) * 60;

/// Latencies in nanoseconds.
pub(crate) struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

fn index(v: u64) -> usize {
    if v < 2 * SUB {
        return v as usize;
    }
    let e = 63 - v.leading_zeros() as u64 - 6;
    (SUB * e + (v >> e)) as usize
}

fn lower_bound(i: usize) -> u64 {
    let i = i as u64;
    if i < 2 * SUB {
        return i;
    }
    let e = i / SUB - 1;
    (i % SUB + SUB) << e
}

impl Histogram {
    pub(crate) fn record(&self, ns: u64) {
        let i = index(ns).min(BUCKETS - 1);
        self.buckets[i].fetch_add(1, Relaxed);
        self.count.fetch_add(1, Relaxed);
        self.max.fetch_max(ns, Relaxed);
    }

    pub(crate) fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    pub(crate) fn max(&self) -> u64 {
        self.max.load(Relaxed)
    }

    /// The value below which a fraction `q` of the samples lie; 0 without samples.
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        let rank = ((total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, b) in self.buckets.iter().enumerate() {
            seen += b.load(Relaxed);
            if seen >= rank {
                // The bucket's middle, never above the largest sample.
                let (lo, hi) = (lower_bound(i), lower_bound(i + 1));
                return (lo + (hi - lo) / 2).min(self.max());
            }
        }
        self.max()
    }
}

/// What all connections of a scenario add to.
#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) latency: Histogram,
    /// Deliveries that subscribers counted.
    pub(crate) received: AtomicU64,
    /// When the latest delivery was read, in [`now_ns`].
    pub(crate) last_at: AtomicU64,
    /// Connections that ended before the scenario stopped them.
    pub(crate) dropped: AtomicUsize,
}

impl Shared {
    pub(crate) fn delivered(&self, sent_at: u64, at: u64) {
        self.latency.record(at.saturating_sub(sent_at));
        self.received.fetch_add(1, Relaxed);
        self.last_at.fetch_max(at, Relaxed);
    }
}

/// One subscriber's view of its deliveries.
#[derive(Default, Clone, Copy)]
pub(crate) struct Counts {
    pub(crate) received: u64,
    pub(crate) reordered: u64,
}

/// Parses the ASCII digits of `bytes`; `None` if one is not a digit.
pub(crate) fn digits(bytes: &[u8]) -> Option<u64> {
    bytes
        .iter()
        .try_fold(0u64, |acc, &b| b.is_ascii_digit().then(|| acc.wrapping_mul(10) + u64::from(b - b'0')))
}

/// Prints one result line, `key=value`, for `cargo xtask bench` to read.
pub(crate) fn report(key: &str, value: impl std::fmt::Display) {
    println!("{key}={value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        for v in [0u64, 1, 100, 127, 128, 129, 1000, 65_535, 1 << 20, 123_456_789, 1 << 40] {
            let i = index(v);
            assert!(lower_bound(i) <= v, "{v}");
            assert!(lower_bound(i + 1) > v, "{v}");
            assert!((lower_bound(i + 1) - lower_bound(i)) as f64 <= (v as f64 / 60.0).max(1.0), "{v}");
        }
    }

    #[test]
    fn quantiles() {
        let h = Histogram::default();
        for v in 1..=1000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 - 500_000.0).abs() < 10_000.0, "{p50}");
        assert_eq!(h.max(), 1_000_000);
        assert!(h.quantile(1.0) <= 1_000_000);
    }

    #[test]
    fn parses_digits() {
        assert_eq!(digits(b"0000012345"), Some(12345));
        assert_eq!(digits(b"12a"), None);
    }
}
