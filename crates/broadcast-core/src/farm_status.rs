//! [`compute_farm_status`]: the farm's status from its jobs' and workers' statuses.
//!
//! Flamenco's rules, checked in this order (the first that holds decides):
//! 1. `inoperative`: there are no workers, or every worker is `offline` or `error`;
//! 2. `active`: some job is `active` and some worker is `awake`;
//! 3. `waiting`: some job is `active` or `queued`;
//! 4. `asleep`: no worker is `awake` and some worker is `asleep`;
//! 5. `idle`: otherwise.
//!
//! Workers that are `starting`, `testing` or `restart` count as neither awake nor asleep.
//! Deleted workers do not count: the caller leaves them out. `starting` is the status
//! before it is first computed, and `unknown` is never produced.

use crate::{FarmStatus, JobStatus, WorkerStatus};

/// The farm's status, from the status of every job and of every worker not deleted.
///
/// ```
/// use broadcast_core::{FarmStatus, JobStatus, WorkerStatus, compute_farm_status};
///
/// assert_eq!(compute_farm_status([JobStatus::Active], [WorkerStatus::Awake]), FarmStatus::Active);
/// assert_eq!(compute_farm_status([JobStatus::Queued], []), FarmStatus::Inoperative);
/// ```
pub fn compute_farm_status(
    jobs: impl IntoIterator<Item = JobStatus>,
    workers: impl IntoIterator<Item = WorkerStatus>,
) -> FarmStatus {
    let (mut any_worker, mut any_operative, mut any_awake, mut any_asleep) = (false, false, false, false);
    for worker in workers {
        any_worker = true;
        match worker {
            WorkerStatus::Offline | WorkerStatus::Error => {}
            WorkerStatus::Awake => (any_operative, any_awake) = (true, true),
            WorkerStatus::Asleep => (any_operative, any_asleep) = (true, true),
            WorkerStatus::Starting | WorkerStatus::Testing | WorkerStatus::Restart => any_operative = true,
        }
    }
    let (mut any_active, mut any_queued) = (false, false);
    for job in jobs {
        match job {
            JobStatus::Active => any_active = true,
            JobStatus::Queued => any_queued = true,
            _ => {}
        }
    }
    if !any_worker || !any_operative {
        FarmStatus::Inoperative
    } else if any_active && any_awake {
        FarmStatus::Active
    } else if any_active || any_queued {
        FarmStatus::Waiting
    } else if !any_awake && any_asleep {
        FarmStatus::Asleep
    } else {
        FarmStatus::Idle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FarmStatus as F;
    use JobStatus as J;
    use WorkerStatus as W;

    fn check(jobs: &[JobStatus], workers: &[WorkerStatus], expected: FarmStatus) {
        let got = compute_farm_status(jobs.iter().copied(), workers.iter().copied());
        assert_eq!(got, expected, "jobs {jobs:?}, workers {workers:?}");
    }

    // One test per rule.

    #[test]
    fn inoperative_without_workers() {
        check(&[], &[], F::Inoperative);
    }

    #[test]
    fn inoperative_when_every_worker_is_offline_or_in_error() {
        check(&[], &[W::Offline], F::Inoperative);
        check(&[], &[W::Error], F::Inoperative);
        check(&[J::Queued], &[W::Offline, W::Error, W::Offline], F::Inoperative);
    }

    #[test]
    fn active_when_a_job_is_active_and_a_worker_awake() {
        check(&[J::Active], &[W::Awake], F::Active);
        check(&[J::Completed, J::Active], &[W::Offline, W::Awake, W::Asleep], F::Active);
    }

    #[test]
    fn waiting_when_a_job_is_active_or_queued() {
        check(&[J::Queued], &[W::Awake], F::Waiting);
        check(&[J::Active], &[W::Asleep], F::Waiting);
        check(&[J::Active], &[W::Starting], F::Waiting);
    }

    #[test]
    fn asleep_when_no_worker_is_awake_and_some_asleep() {
        check(&[], &[W::Asleep], F::Asleep);
        check(&[J::Completed], &[W::Asleep, W::Offline, W::Starting], F::Asleep);
    }

    #[test]
    fn idle_otherwise() {
        check(&[], &[W::Awake], F::Idle);
        check(&[J::Completed, J::Failed, J::Paused, J::Canceled], &[W::Awake, W::Asleep], F::Idle);
    }

    #[test]
    fn starting_testing_and_restart_workers_are_neither_awake_nor_asleep() {
        for w in [W::Starting, W::Testing, W::Restart] {
            // Not inoperative: the worker is there and not offline or in error.
            check(&[], &[w], F::Idle);
            // Not awake: an active job is waiting, not active.
            check(&[J::Active], &[w], F::Waiting);
            // Not asleep: beside an offline worker the farm is idle, not asleep.
            check(&[], &[w, W::Offline], F::Idle);
        }
    }

    #[test]
    fn jobs_in_other_statuses_are_not_work() {
        for j in JobStatus::ALL.into_iter().filter(|j| !matches!(j, J::Active | J::Queued)) {
            check(&[j], &[W::Awake], F::Idle);
            check(&[j], &[W::Asleep], F::Asleep);
        }
    }

    // One test per order of precedence: where two rules hold, the earlier one decides.

    #[test]
    fn inoperative_before_active_and_waiting() {
        check(&[J::Active, J::Queued], &[W::Offline], F::Inoperative);
    }

    #[test]
    fn active_before_waiting() {
        // A queued job would make it waiting; the active job with an awake worker wins.
        check(&[J::Queued, J::Active], &[W::Awake], F::Active);
    }

    #[test]
    fn waiting_before_asleep() {
        check(&[J::Queued], &[W::Asleep], F::Waiting);
    }

    #[test]
    fn asleep_before_idle() {
        check(&[], &[W::Asleep, W::Testing], F::Asleep);
    }

    #[test]
    fn an_awake_worker_keeps_the_farm_from_being_asleep() {
        check(&[], &[W::Asleep, W::Awake], F::Idle);
    }
}
