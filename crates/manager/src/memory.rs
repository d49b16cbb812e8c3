//! Gives the memory of closed connections back to the operating system.
//!
//! glibc's allocator keeps what a program frees inside its heaps and returns only the free
//! top of a heap, so after a wave of browser connections (say 10,000 that each cost about
//! 18 KiB) the manager would keep their memory, about 180 MB, long after they left. The
//! reclaimer watches the number of connected sockets and, once it has fallen by
//! [`MIN_DROP`] from its high point, asks the allocator to return every free page
//! (`malloc_trim(0)`, which releases free pages anywhere in the heaps). It runs on a
//! blocking thread: glibc walks and locks each heap in turn, which took 27 ms to return
//! 175 MiB after 10,000 connections closed; allocations wait for it meanwhile.
//!
//! Elsewhere than Linux with glibc it does nothing: musl, macOS and Windows have no such
//! call.

use std::time::Duration;

/// How far the number of connected sockets must fall from its high point before memory is
/// returned: a handful of closing tabs is not worth walking the heaps for.
pub(crate) const MIN_DROP: usize = 64;

/// Decides when to return memory, from the number of connected sockets seen at each tick.
#[derive(Debug, Default)]
pub(crate) struct Reclaimer {
    /// The most sockets connected at once since memory was last returned.
    high: usize,
}

impl Reclaimer {
    /// Whether to return memory now that `connected` sockets are connected.
    pub(crate) fn should_return(&mut self, connected: usize) -> bool {
        if connected >= self.high {
            self.high = connected;
            return false;
        }
        if self.high - connected < MIN_DROP {
            return false;
        }
        self.high = connected;
        true
    }
}

/// Checks every `every` whether `connected()` fell far enough, and returns memory when it
/// did; logs how much came back and how long it took, and counts the bytes in
/// `memory_returned_bytes_total`.
pub(crate) fn spawn(every: Duration, connected: impl Fn() -> usize + Send + 'static) {
    tokio::spawn(async move {
        let mut reclaimer = Reclaimer::default();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tick.tick().await;
            let now = connected();
            if !reclaimer.should_return(now) {
                continue;
            }
            let before = resident_bytes();
            let started = std::time::Instant::now();
            if tokio::task::spawn_blocking(return_free_memory).await.is_err() {
                tracing::warn!("returning free memory to the operating system failed");
                continue;
            }
            let took_ms = started.elapsed().as_millis();
            let returned = before.zip(resident_bytes()).map(|(b, a)| b.saturating_sub(a)).unwrap_or(0);
            metrics::counter!("memory_returned_bytes_total").increment(returned);
            tracing::info!(
                connected = now,
                returned_mib = returned / (1 << 20),
                took_ms,
                "returned free memory to the operating system after connections closed"
            );
        }
    });
}

/// This process's resident set in bytes, where `/proc` tells it.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.trim().strip_suffix("kB")?;
    kib.trim().parse::<u64>().ok().map(|k| k * 1024)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[expect(unsafe_code, reason = "the one call into the C allocator; it takes no pointers")]
fn return_free_memory() {
    // SAFETY: `malloc_trim` takes a plain size and no pointers; glibc serialises it with
    // every other allocator call, from any thread.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_memory_once_the_count_fell_far_enough_from_its_high_point() {
        let mut r = Reclaimer::default();
        assert!(!r.should_return(0), "nothing connected yet");
        assert!(!r.should_return(1000), "rising");
        assert!(!r.should_return(1000 - MIN_DROP + 1), "a few tabs closed");
        assert!(r.should_return(1000 - MIN_DROP), "fell by MIN_DROP from the high point");
        assert!(!r.should_return(1000 - MIN_DROP), "already returned at this level");
        assert!(!r.should_return(1000 - 2 * MIN_DROP + 1), "not far enough below the new level");
        assert!(r.should_return(0), "everyone left");
        assert!(!r.should_return(0));
        assert!(!r.should_return(500), "a new wave");
        assert!(r.should_return(100), "and it left too");
    }

    #[test]
    fn reads_its_own_resident_set() {
        if cfg!(target_os = "linux") {
            assert!(resident_bytes().is_some_and(|b| b > 0));
        }
    }
}
