//! `/jobs` deliveries driven by `POST /api/v3/jobs/{id}/setpriority`.
//!
//! Each caller owns one job and sets its priority one call at a time, to 51, 52, ...
//! wrapping after 100 to 0, so the n-th call of a job sets `(50 + n) % 101`. A subscriber
//! turns the priority it sees back into that n from the previous one it saw of the same
//! job, which gives the sequence number (for lost and reordered) and, through a ring of
//! send times per job, the latency; the JSON is only searched for `"id":"` and
//! `"priority":`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::eio::{End, Handler};
use crate::stats::{Counts, Shared, digits};
use crate::ws::find;

/// Send times kept per job; a subscriber more than this many calls behind reads a wrong one.
const RING: usize = 4096;

/// The jobs under test and when each of their calls was sent.
pub(crate) struct Calls {
    ids: Vec<[u8; 36]>,
    sent_at: Vec<Box<[AtomicU64]>>,
}

impl Calls {
    pub(crate) fn new(ids: &[String]) -> Calls {
        let ids: Vec<[u8; 36]> =
            ids.iter().map(|id| id.as_bytes().try_into().expect("job ids are 36 bytes")).collect();
        let sent_at = ids.iter().map(|_| (0..RING).map(|_| AtomicU64::new(0)).collect()).collect();
        Calls { ids, sent_at }
    }

    /// The priority of job `job`'s `n`-th call, recorded as sent at `at`.
    pub(crate) fn sending(&self, job: usize, n: u64, at: u64) -> u64 {
        self.sent_at[job][n as usize % RING].store(at, Relaxed);
        (50 + n) % 101
    }

    fn job(&self, id: &[u8]) -> Option<usize> {
        self.ids.iter().position(|j| j == id)
    }
}

/// A subscriber of `/jobs`.
pub(crate) struct JobsSub {
    shared: Arc<Shared>,
    calls: Arc<Calls>,
    /// Per job: the last priority seen and its call number.
    last: Vec<(u64, u64)>,
    counts: Counts,
}

impl JobsSub {
    pub(crate) fn new(shared: Arc<Shared>, calls: Arc<Calls>) -> JobsSub {
        let last = vec![(50, 0); calls.ids.len()];
        JobsSub { shared, calls, last, counts: Counts::default() }
    }
}

impl Handler for JobsSub {
    type Stats = Counts;

    fn packet(&mut self, packet: &[u8], at: u64) {
        let Some((job, priority)) = job_fields(&self.calls, packet) else { return };
        let (last_priority, last_n) = self.last[job];
        let step = (priority + 101 - last_priority) % 101;
        if step == 0 {
            // Another update of the job (its status, say), not one of our calls.
            return;
        }
        if step > 50 {
            // Backwards: an older call's update after a newer one's.
            self.counts.reordered += 1;
            return;
        }
        let n = last_n + step;
        self.last[job] = (priority, n);
        self.counts.received += 1;
        let sent_at = self.calls.sent_at[job][n as usize % RING].load(Relaxed);
        self.shared.delivered(sent_at, at);
    }

    fn finish(self, _end: End) -> Counts {
        self.counts
    }
}

/// The job index and priority in a `/jobs` packet about one of our jobs.
fn job_fields(calls: &Calls, packet: &[u8]) -> Option<(usize, u64)> {
    let body = packet.strip_prefix(b"42[\"/jobs\",")?;
    let id_at = find(body, b"\"id\":\"")? + 6;
    let job = calls.job(body.get(id_at..id_at + 36)?)?;
    let p_at = find(body, b"\"priority\":")? + 11;
    let len = body[p_at..].iter().take_while(|b| b.is_ascii_digit()).count();
    Some((job, digits(&body[p_at..p_at + len])?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_job_and_priority() {
        let id = "2b1c3c8e-0000-4000-8000-000000000001".to_owned();
        let calls = Calls::new(std::slice::from_ref(&id));
        let p = format!(r#"42["/jobs",{{"id":"{id}","name":"bench","priority":73,"refresh_tasks":false}}]"#);
        assert_eq!(job_fields(&calls, p.as_bytes()), Some((0, 73)));
        let other = r#"42["/jobs",{"id":"2b1c3c8e-0000-4000-8000-000000000002","priority":73}]"#;
        assert_eq!(job_fields(&calls, other.as_bytes()), None);
    }

    #[test]
    fn counts_steps_and_wraps() {
        let id = "2b1c3c8e-0000-4000-8000-000000000001".to_owned();
        let calls = Arc::new(Calls::new(std::slice::from_ref(&id)));
        let mut sub = JobsSub::new(Arc::new(Shared::default()), calls.clone());
        for n in 1..=300u64 {
            let p = calls.sending(0, n, n);
            if n % 7 == 0 {
                continue; // lost
            }
            sub.packet(format!(r#"42["/jobs",{{"id":"{id}","priority":{p}}}]"#).as_bytes(), n + 10);
        }
        assert_eq!(sub.counts.received, 300 - 300 / 7);
        assert_eq!(sub.counts.reordered, 0);
    }
}
