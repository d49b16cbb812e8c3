//! The status rules: which job and task status changes are allowed, and how a job's status
//! follows its tasks. Pure functions over statuses; the services apply them and broadcast.
//!
//! - A task going `active` makes a `queued` job `active`.
//! - All tasks `completed` makes the job `completed`.
//! - A `failed` task makes the job `failed`.
//! - A task put back to `queued` makes a finished (`completed`, `failed`, `canceled`) job
//!   `queued` again.
//! - When every task has ended and some were canceled, the job is `canceled`.
//! - A job set to `cancel-requested` cancels its unfinished tasks and ends `canceled`.
//! - A job set to `requeueing` puts its unfinished tasks (all of them when it had
//!   completed) back to `queued` and ends `queued`.
//! - A job set to `pause-requested` (or `paused`, which is taken the same way) pauses its
//!   queued and soft-failed tasks; its active tasks may finish, and the job is `paused` as
//!   soon as none is active (at once when none was). A task a worker gives back while its
//!   job is pausing or paused is `paused`, not `queued`. A pausing job may still be
//!   cancelled or requeued; a paused one resumes with `requeueing` (or `queued`).
//! - After a restart, a job still `cancel-requested`, `requeueing` or `pause-requested` has
//!   that change carried on ([`plan_after_restart`]).

use broadcast_core::{JobStatus, TaskStatus};

use crate::Error;

/// What a job's status becomes now that one of its tasks went to `changed_to`, given the
/// statuses of all its tasks after that change; `None` when it stays.
pub fn job_status_after_task_change(
    job: JobStatus,
    changed_to: TaskStatus,
    tasks: &[TaskStatus],
) -> Option<JobStatus> {
    use JobStatus as J;
    use TaskStatus as T;
    // A job in the middle of a mass change is finished by that change, not by its tasks.
    if matches!(job, J::CancelRequested | J::Requeueing | J::UnderConstruction) {
        return None;
    }
    let ended = |s: &TaskStatus| matches!(s, T::Completed | T::Canceled | T::Failed);
    let next = match changed_to {
        T::Failed => J::Failed,
        _ if tasks.iter().all(|s| *s == T::Completed) => J::Completed,
        _ if job == J::PauseRequested && !tasks.contains(&T::Active) => J::Paused,
        T::Active if job == J::Queued => J::Active,
        T::Queued | T::SoftFailed if matches!(job, J::Completed | J::Failed | J::Canceled) => J::Queued,
        T::Canceled if tasks.iter().all(ended) && !tasks.contains(&T::Failed) => J::Canceled,
        _ => return None,
    };
    (next != job).then_some(next)
}

/// How a requested job status change is carried out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobStatusPlan {
    /// The status the job takes at once (`cancel-requested`, `requeueing`, `paused`, ...).
    pub requested: JobStatus,
    /// The status it ends in once its tasks were changed; the same as `requested` when
    /// there is no in-between state.
    pub ends: JobStatus,
    /// Task statuses to change, and what to.
    pub tasks_from: &'static [TaskStatus],
    /// What the tasks in `tasks_from` become.
    pub tasks_to: TaskStatus,
}

impl JobStatusPlan {
    /// The status the job ends in, given its tasks' statuses before the change: `ends`,
    /// except that a pausing job whose tasks are still active stays `pause-requested`
    /// (it becomes `paused` when the last of them ends, see
    /// [`job_status_after_task_change`]).
    pub fn ends_with(&self, tasks: &[TaskStatus]) -> JobStatus {
        if self.requested == JobStatus::PauseRequested && tasks.contains(&TaskStatus::Active) {
            JobStatus::PauseRequested
        } else {
            self.ends
        }
    }
}

/// What pausing changes: queued and soft-failed tasks wait, active ones may finish.
const PAUSABLE: &[TaskStatus] = &[TaskStatus::Queued, TaskStatus::SoftFailed];

const UNFINISHED: &[TaskStatus] =
    &[TaskStatus::Queued, TaskStatus::Active, TaskStatus::SoftFailed, TaskStatus::Paused];
const NOT_COMPLETED: &[TaskStatus] = &[
    TaskStatus::Queued,
    TaskStatus::Active,
    TaskStatus::SoftFailed,
    TaskStatus::Paused,
    TaskStatus::Failed,
    TaskStatus::Canceled,
];
const ALL_TASKS: &[TaskStatus] = &TaskStatus::ALL;

/// The schema string of a status (`cancel-requested`, `soft-failed`, ...), which is what
/// users know it by.
pub(crate) fn status_name(status: impl serde::Serialize) -> String {
    serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The plan for asking a job in `current` to go to `requested`, or a conflict when that
/// change is not allowed from there.
pub fn plan_job_status_change(current: JobStatus, requested: JobStatus) -> Result<JobStatusPlan, Error> {
    use JobStatus as J;
    let refuse = || {
        Err(Error::conflict(format!(
            "the job is {} and cannot be set to {}",
            status_name(current),
            status_name(requested)
        )))
    };
    if matches!(current, J::CancelRequested | J::Requeueing | J::UnderConstruction) {
        return Err(Error::conflict(format!("the job is {}; wait until that is done", status_name(current))));
    }
    let plan = |ends, tasks_from, tasks_to| Ok(JobStatusPlan { requested, ends, tasks_from, tasks_to });
    let pause = || {
        Ok(JobStatusPlan {
            requested: J::PauseRequested,
            ends: J::Paused,
            tasks_from: PAUSABLE,
            tasks_to: TaskStatus::Paused,
        })
    };
    match requested {
        J::CancelRequested => match current {
            J::Completed | J::Canceled => refuse(),
            _ => plan(J::Canceled, UNFINISHED, TaskStatus::Canceled),
        },
        J::Requeueing => match current {
            J::Queued => refuse(),
            J::Completed => plan(J::Queued, ALL_TASKS, TaskStatus::Queued),
            _ => plan(J::Queued, NOT_COMPLETED, TaskStatus::Queued),
        },
        J::Paused | J::PauseRequested => match current {
            J::Queued | J::Active => pause(),
            _ => refuse(),
        },
        J::Queued => match current {
            J::Paused => plan(J::Queued, &[TaskStatus::Paused], TaskStatus::Queued),
            _ => Err(Error::conflict(format!(
                "the job is {} and cannot be set to queued; ask for requeueing",
                status_name(current)
            ))),
        },
        J::Active | J::Completed | J::Failed | J::Canceled | J::UnderConstruction => {
            Err(Error::conflict(format!(
                "a job cannot be set to {}; ask for cancel-requested, requeueing, pause-requested or queued",
                status_name(requested)
            )))
        }
    }
}

/// How to finish a job found in `status` when the manager starts, given its tasks'
/// statuses: a job left `cancel-requested` or `requeueing` by a manager that stopped
/// half-way is carried on to `canceled` or `queued`, as if the request had just been made
/// (a `requeueing` job whose tasks all completed was requeued from `completed`, so all of
/// them go back to the queue). A job left `pause-requested` has its queued tasks paused
/// and is `paused` when none of its tasks is active; its active tasks may still finish
/// (see [`JobStatusPlan::ends_with`]). `None` for every other status.
pub fn plan_after_restart(status: JobStatus, tasks: &[TaskStatus]) -> Option<JobStatusPlan> {
    let from_completed = tasks.iter().all(|s| *s == TaskStatus::Completed);
    let plan =
        |ends, tasks_from, tasks_to| Some(JobStatusPlan { requested: status, ends, tasks_from, tasks_to });
    match status {
        JobStatus::CancelRequested => plan(JobStatus::Canceled, UNFINISHED, TaskStatus::Canceled),
        JobStatus::Requeueing if from_completed => plan(JobStatus::Queued, ALL_TASKS, TaskStatus::Queued),
        JobStatus::Requeueing => plan(JobStatus::Queued, NOT_COMPLETED, TaskStatus::Queued),
        JobStatus::PauseRequested => plan(JobStatus::Paused, PAUSABLE, TaskStatus::Paused),
        _ => None,
    }
}

/// Whether a person may set a task in `current` to `requested` (`POST
/// /api/v3/tasks/{id}/setstatus`). Only workers make tasks `active`.
pub fn check_task_status_change(current: TaskStatus, requested: TaskStatus) -> Result<(), Error> {
    if requested == TaskStatus::Active {
        return Err(Error::conflict("only a worker can make a task active".to_owned()));
    }
    if requested == current {
        return Err(Error::conflict(format!("the task is already {}", status_name(current))));
    }
    Ok(())
}

/// Whether a worker executing a task in `current` may report `reported`.
pub fn check_worker_task_status(current: TaskStatus, reported: TaskStatus) -> Result<(), Error> {
    use TaskStatus as T;
    if reported == current {
        return Ok(());
    }
    if reported == T::SoftFailed {
        return Err(Error::invalid(
            "a worker reports failed; whether that is a soft failure is the manager's to decide",
        ));
    }
    if !matches!(reported, T::Active | T::Completed | T::Failed) {
        return Err(Error::conflict(format!("a worker cannot set a task to {}", status_name(reported))));
    }
    if current != T::Active {
        return Err(Error::conflict(format!(
            "the task is {}, not active; it cannot become {}",
            status_name(current),
            status_name(reported)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobStatus as J;
    use TaskStatus as T;

    fn check(job: J, changed_to: T, tasks: &[T], expected: Option<J>) {
        assert_eq!(
            job_status_after_task_change(job, changed_to, tasks),
            expected,
            "{job:?} after a task went {changed_to:?}, tasks {tasks:?}"
        );
    }

    #[test]
    fn job_follows_its_tasks() {
        check(J::Queued, T::Active, &[T::Active, T::Queued], Some(J::Active));
        check(J::Active, T::Active, &[T::Active, T::Active], None);
        check(J::Active, T::Completed, &[T::Completed, T::Queued], None);
        check(J::Active, T::Completed, &[T::Completed, T::Completed], Some(J::Completed));
        check(J::Queued, T::Completed, &[T::Completed], Some(J::Completed));
        check(J::Active, T::Failed, &[T::Failed, T::Queued], Some(J::Failed));
        check(J::Failed, T::Failed, &[T::Failed, T::Failed], None);
        check(J::Completed, T::Queued, &[T::Queued, T::Completed], Some(J::Queued));
        check(J::Failed, T::Queued, &[T::Queued, T::Completed], Some(J::Queued));
        check(J::Active, T::Queued, &[T::Queued, T::Active], None);
        check(J::Active, T::Canceled, &[T::Canceled, T::Completed], Some(J::Canceled));
        check(J::Active, T::Canceled, &[T::Canceled, T::Queued], None);
        check(J::CancelRequested, T::Canceled, &[T::Canceled], None);
        check(J::Requeueing, T::Queued, &[T::Queued], None);
        check(J::PauseRequested, T::Completed, &[T::Completed, T::Active, T::Paused], None);
        check(J::PauseRequested, T::Completed, &[T::Completed, T::Paused], Some(J::Paused));
        check(J::PauseRequested, T::Paused, &[T::Paused, T::Paused], Some(J::Paused));
        check(J::PauseRequested, T::Completed, &[T::Completed, T::Completed], Some(J::Completed));
        check(J::PauseRequested, T::Failed, &[T::Failed, T::Paused], Some(J::Failed));
    }

    #[test]
    fn job_status_requests() {
        let plan = plan_job_status_change(J::Active, J::CancelRequested).unwrap();
        assert_eq!((plan.requested, plan.ends), (J::CancelRequested, J::Canceled));
        assert_eq!(plan.tasks_to, T::Canceled);
        assert!(!plan.tasks_from.contains(&T::Completed));

        let plan = plan_job_status_change(J::Failed, J::Requeueing).unwrap();
        assert_eq!((plan.requested, plan.ends), (J::Requeueing, J::Queued));
        assert!(!plan.tasks_from.contains(&T::Completed));
        let plan = plan_job_status_change(J::Completed, J::Requeueing).unwrap();
        assert!(plan.tasks_from.contains(&T::Completed));

        let plan = plan_job_status_change(J::Active, J::PauseRequested).unwrap();
        assert_eq!((plan.requested, plan.ends, plan.tasks_to), (J::PauseRequested, J::Paused, T::Paused));
        assert_eq!(plan.tasks_from, [T::Queued, T::SoftFailed]);
        assert_eq!(plan.ends_with(&[T::Active, T::Queued]), J::PauseRequested, "active tasks may finish");
        assert_eq!(plan.ends_with(&[T::Completed, T::Queued]), J::Paused, "nothing active: paused at once");
        assert_eq!(plan_job_status_change(J::Queued, J::Paused).unwrap(), plan, "paused is taken as pausing");
        let plan = plan_job_status_change(J::PauseRequested, J::CancelRequested).unwrap();
        assert_eq!((plan.ends, plan.tasks_to), (J::Canceled, T::Canceled));
        assert!(plan.tasks_from.contains(&T::Paused) && plan.tasks_from.contains(&T::Active));
        let plan = plan_job_status_change(J::Paused, J::Requeueing).unwrap();
        assert_eq!((plan.ends, plan.tasks_to), (J::Queued, T::Queued));
        assert!(plan.tasks_from.contains(&T::Paused));
        let plan = plan_job_status_change(J::Paused, J::Queued).unwrap();
        assert_eq!(plan.ends, J::Queued);

        for (current, requested, message) in [
            (J::Canceled, J::CancelRequested, "the job is canceled and cannot be set to cancel-requested"),
            (J::Completed, J::CancelRequested, "the job is completed and cannot be set to cancel-requested"),
            (J::Queued, J::Requeueing, "the job is queued and cannot be set to requeueing"),
            (J::Completed, J::Paused, "the job is completed and cannot be set to paused"),
            (J::Paused, J::PauseRequested, "the job is paused and cannot be set to pause-requested"),
            (
                J::PauseRequested,
                J::PauseRequested,
                "the job is pause-requested and cannot be set to pause-requested",
            ),
            (
                J::PauseRequested,
                J::Queued,
                "the job is pause-requested and cannot be set to queued; ask for requeueing",
            ),
            (J::Active, J::Queued, "the job is active and cannot be set to queued; ask for requeueing"),
            (
                J::Queued,
                J::Completed,
                "a job cannot be set to completed; ask for cancel-requested, requeueing, pause-requested or queued",
            ),
            (J::CancelRequested, J::Requeueing, "the job is cancel-requested; wait until that is done"),
        ] {
            assert_eq!(
                plan_job_status_change(current, requested),
                Err(Error::conflict(message.to_owned())),
                "{current:?} -> {requested:?}"
            );
        }
    }

    #[test]
    fn interrupted_changes_are_finished_after_a_restart() {
        let plan = plan_after_restart(J::CancelRequested, &[T::Active, T::Completed]).unwrap();
        assert_eq!((plan.ends, plan.tasks_to), (J::Canceled, T::Canceled));
        assert!(!plan.tasks_from.contains(&T::Completed));
        let plan = plan_after_restart(J::Requeueing, &[T::Failed, T::Completed]).unwrap();
        assert_eq!((plan.ends, plan.tasks_to), (J::Queued, T::Queued));
        assert!(!plan.tasks_from.contains(&T::Completed));
        let plan = plan_after_restart(J::Requeueing, &[T::Completed, T::Completed]).unwrap();
        assert!(plan.tasks_from.contains(&T::Completed));
        let plan = plan_after_restart(J::PauseRequested, &[T::Active, T::Queued]).unwrap();
        assert_eq!((plan.tasks_to, plan.ends_with(&[T::Active, T::Queued])), (T::Paused, J::PauseRequested));
        assert_eq!(plan.ends_with(&[T::Completed, T::Queued]), J::Paused);
        for status in [J::Active, J::Queued, J::Paused, J::Completed, J::Canceled, J::Failed] {
            assert_eq!(plan_after_restart(status, &[T::Active]), None, "{status:?}");
        }
    }

    #[test]
    fn task_status_requests() {
        assert!(check_task_status_change(T::Active, T::Canceled).is_ok());
        assert!(check_task_status_change(T::Completed, T::Queued).is_ok());
        assert_eq!(
            check_task_status_change(T::Queued, T::Active),
            Err(Error::conflict("only a worker can make a task active".to_owned()))
        );
        assert_eq!(
            check_task_status_change(T::Queued, T::Queued),
            Err(Error::conflict("the task is already queued".to_owned()))
        );
    }

    #[test]
    fn worker_task_reports() {
        assert!(check_worker_task_status(T::Active, T::Completed).is_ok());
        assert!(check_worker_task_status(T::Active, T::Active).is_ok());
        assert!(check_worker_task_status(T::Completed, T::Completed).is_ok());
        assert_eq!(
            check_worker_task_status(T::Active, T::Queued),
            Err(Error::conflict("a worker cannot set a task to queued".to_owned()))
        );
        assert_eq!(
            check_worker_task_status(T::Completed, T::Failed),
            Err(Error::conflict("the task is completed, not active; it cannot become failed".to_owned()))
        );
    }
}
