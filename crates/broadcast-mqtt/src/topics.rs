//! Topic mapping: which MQTT topic an update sent to a room is published on (SPEC
//! section 10), under the configured prefix.
//!
//! The rooms decide who gets what (broadcast-core's rules); this only names the room's
//! topic. Task-log chunks and chat messages are not published, as in Flamenco.

use broadcast_core::{Room, Update};

/// The topic `update`, sent to `room`, is published on, or `None` for what MQTT does not
/// carry (`/tasklog` and `/message`).
///
/// ```
/// use broadcast_core::{FarmStatus, FarmStatusReport, Room, Update};
///
/// let status = Update::FarmStatus(FarmStatusReport { status: FarmStatus::Idle });
/// assert_eq!(broadcast_mqtt::topic("flamenco", Room::FarmStatus, &status).as_deref(), Some("flamenco/status"));
/// ```
pub fn topic(prefix: &str, room: Room, update: &Update) -> Option<String> {
    let suffix = match (room, update) {
        (Room::Lifecycle, _) => "lifecycle".to_owned(),
        (Room::FarmStatus, _) => "status".to_owned(),
        (Room::Jobs, _) => "jobs".to_owned(),
        (Room::Workers, _) => "workers".to_owned(),
        (Room::WorkerTags, _) => "workertags".to_owned(),
        (Room::LastRendered, _) => "last-rendered".to_owned(),
        (Room::Job(job), Update::LastRendered(_)) => format!("jobs/{}/last-rendered", job.hyphenated()),
        (Room::Job(job), _) => format!("jobs/{}", job.hyphenated()),
        (Room::Chat | Room::TaskLog(_), _) => return None,
    };
    Some(format!("{prefix}/{suffix}"))
}

#[cfg(test)]
mod tests {
    use broadcast_core::notify::{self, Notification};
    use broadcast_core::*;
    use uuid::uuid;

    use super::topic;

    const JOB: uuid::Uuid = uuid!("fa48930a-105c-4125-a7f7-0aa1651dcd57");
    const TASK: uuid::Uuid = uuid!("0b8a5c6e-2f0e-4e7a-9a47-2f6c8f7b1d21");

    fn at() -> Timestamp {
        "2024-05-01T10:00:00Z".parse().unwrap()
    }

    fn job() -> JobUpdate {
        JobUpdate {
            id: JOB,
            name: None,
            updated: at(),
            status: JobStatus::Queued,
            previous_status: None,
            job_type: "t".into(),
            priority: 50,
            refresh_tasks: false,
            delete_requested_at: None,
            was_deleted: false,
            steps_completed: None,
            steps_total: None,
        }
    }

    fn worker() -> WorkerUpdate {
        WorkerUpdate {
            id: TASK,
            name: "w".into(),
            updated: at(),
            last_seen: None,
            status: WorkerStatus::Awake,
            previous_status: None,
            status_change: None,
            version: "3.6".into(),
            deleted_at: None,
            can_restart: false,
        }
    }

    /// The topics a notification's deliveries are published on, in order.
    fn check(notification: Notification, expected: &[&str]) {
        let topics: Vec<String> =
            notification.deliveries().iter().filter_map(|d| topic("flamenco", d.room, &d.update)).collect();
        assert_eq!(topics, expected);
    }

    /// One line per kind of update, every row of SPEC section 10 and the two left out.
    #[test]
    fn every_update_kind_has_its_topic() {
        let image = LastRenderedUpdate {
            job_id: JOB,
            task_id: TASK,
            thumbnail: LastRenderedImageInfo { base: "/job-files/x".into(), suffixes: vec![] },
        };
        let task = TaskUpdate {
            id: TASK,
            job_id: JOB,
            name: "t".into(),
            updated: at(),
            status: TaskStatus::Active,
            previous_status: None,
            activity: String::new(),
            worker: None,
            steps_completed: None,
            steps_total: None,
        };
        let tag = WorkerTag { id: Some(TASK), name: "GPU".into(), description: None };
        check(notify::manager_startup(), &["flamenco/lifecycle"]);
        check(notify::manager_shutdown(), &["flamenco/lifecycle"]);
        check(notify::farm_status(FarmStatusReport { status: FarmStatus::Idle }), &["flamenco/status"]);
        check(notify::job_created(job()), &["flamenco/jobs"]);
        check(notify::job_updated(job()), &["flamenco/jobs"]);
        check(notify::job_deleted(job(), at()), &["flamenco/jobs"]);
        check(notify::task_updated(task), &[&format!("flamenco/jobs/{JOB}")]);
        check(
            notify::last_rendered(image),
            &[&format!("flamenco/jobs/{JOB}/last-rendered"), "flamenco/last-rendered"],
        );
        check(notify::worker_created(worker()), &["flamenco/workers"]);
        check(notify::worker_updated(worker()), &["flamenco/workers"]);
        check(notify::worker_deleted(worker(), at()), &["flamenco/workers"]);
        check(notify::worker_tag_updated(tag.clone()), &["flamenco/workertags"]);
        check(notify::worker_tag_deleted(tag), &["flamenco/workertags"]);
        check(notify::task_log(TaskLogUpdate { task_id: TASK, log: "line\n".into() }), &[]);
        check(notify::chat_message(ChatMessage { name: "n".into(), text: "t".into() }), &[]);
    }

    #[test]
    fn the_prefix_comes_first() {
        let status = Update::FarmStatus(FarmStatusReport { status: FarmStatus::Idle });
        assert_eq!(topic("farm/a", Room::FarmStatus, &status).as_deref(), Some("farm/a/status"));
    }
}
