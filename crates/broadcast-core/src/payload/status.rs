//! The status enums, with the schema's exact strings.

use serde::{Deserialize, Serialize};

/// `JobStatus`: where a job is in its life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobStatus {
    /// `active`: at least one task is being worked on.
    Active,
    /// `canceled`: cancelled; unfinished tasks were cancelled with it.
    Canceled,
    /// `completed`: every task completed.
    Completed,
    /// `failed`: a task failed.
    Failed,
    /// `paused`: on hold.
    Paused,
    /// `pause-requested`: pausing asked for; its queued tasks are paused, its active ones
    /// may finish, and it is `paused` once none is active.
    PauseRequested,
    /// `queued`: waiting for a worker.
    Queued,
    /// `cancel-requested`: cancellation asked for, tasks being cancelled.
    CancelRequested,
    /// `requeueing`: unfinished tasks being put back in the queue.
    Requeueing,
    /// `under-construction`: tasks not yet all created.
    UnderConstruction,
}

/// `TaskStatus`: where a task is in its life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskStatus {
    /// `active`: a worker is executing it.
    Active,
    /// `canceled`: cancelled.
    Canceled,
    /// `completed`: done.
    Completed,
    /// `failed`: failed for good.
    Failed,
    /// `queued`: waiting for a worker.
    Queued,
    /// `soft-failed`: failed on some worker, may be retried by another.
    SoftFailed,
    /// `paused`: on hold.
    Paused,
}

/// `WorkerStatus`: what a worker is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkerStatus {
    /// `starting`: signed on, not yet awake.
    Starting,
    /// `awake`: ready for or executing tasks.
    Awake,
    /// `asleep`: idle by request.
    Asleep,
    /// `error`: in trouble.
    Error,
    /// `testing`: running a test.
    Testing,
    /// `offline`: not connected.
    Offline,
    /// `restart`: asked to restart.
    Restart,
}

impl JobStatus {
    /// Every job status, in the schema's order.
    pub const ALL: [JobStatus; 10] = [
        JobStatus::Active,
        JobStatus::Canceled,
        JobStatus::Completed,
        JobStatus::Failed,
        JobStatus::Paused,
        JobStatus::PauseRequested,
        JobStatus::Queued,
        JobStatus::CancelRequested,
        JobStatus::Requeueing,
        JobStatus::UnderConstruction,
    ];
}

impl TaskStatus {
    /// Every task status, in the schema's order.
    pub const ALL: [TaskStatus; 7] = [
        TaskStatus::Active,
        TaskStatus::Canceled,
        TaskStatus::Completed,
        TaskStatus::Failed,
        TaskStatus::Queued,
        TaskStatus::SoftFailed,
        TaskStatus::Paused,
    ];
}

impl WorkerStatus {
    /// Every worker status, in the schema's order.
    pub const ALL: [WorkerStatus; 7] = [
        WorkerStatus::Starting,
        WorkerStatus::Awake,
        WorkerStatus::Asleep,
        WorkerStatus::Error,
        WorkerStatus::Testing,
        WorkerStatus::Offline,
        WorkerStatus::Restart,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug>(
        all: &[T],
        expected: &[&str],
    ) {
        let names: Vec<String> =
            all.iter().map(|s| serde_json::to_value(s).unwrap().as_str().unwrap().to_owned()).collect();
        assert_eq!(names, expected);
        for (status, name) in all.iter().zip(expected) {
            let parsed: T = serde_json::from_value(serde_json::Value::from(*name)).unwrap();
            assert_eq!(&parsed, status);
        }
    }

    #[test]
    fn job_status_strings() {
        check(
            &JobStatus::ALL,
            &[
                "active",
                "canceled",
                "completed",
                "failed",
                "paused",
                "pause-requested",
                "queued",
                "cancel-requested",
                "requeueing",
                "under-construction",
            ],
        );
    }

    #[test]
    fn task_status_strings() {
        check(
            &TaskStatus::ALL,
            &["active", "canceled", "completed", "failed", "queued", "soft-failed", "paused"],
        );
    }

    #[test]
    fn worker_status_strings() {
        check(&WorkerStatus::ALL, &["starting", "awake", "asleep", "error", "testing", "offline", "restart"]);
    }

    #[test]
    fn unknown_status_strings_are_errors() {
        assert!(serde_json::from_str::<JobStatus>("\"cancelRequested\"").is_err());
        assert!(serde_json::from_str::<TaskStatus>("\"soft_failed\"").is_err());
        assert!(serde_json::from_str::<WorkerStatus>("\"Awake\"").is_err());
    }
}
