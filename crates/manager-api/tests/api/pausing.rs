//! Pausing a job as Flamenco 3.9 does: `pause-requested` pauses the queued tasks, lets
//! the active ones finish, and the job is `paused` once none is active; `requeueing`
//! resumes it; a pausing job can be cancelled; a worker giving a task back while its job
//! pauses leaves it `paused`; a restart carries an interrupted pause on.

use axum::http::StatusCode;
use broadcast_core::{JobStatus, Room, TaskStatus};
use manager_api::Storage;
use serde_json::json;
use uuid::Uuid;

use crate::flows::{pairs, recorded, report, start_worker, statuses, submit};
use crate::support::*;

async fn set_job_status(manager: &manager_api::Manager, job_id: Uuid, status: &str) {
    post(format!("/api/v3/jobs/{job_id}/setstatus"))
        .json(json!({"status": status, "reason": "testing"}))
        .send(manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

fn task_statuses(manager: &manager_api::Manager, job_id: Uuid) -> Vec<TaskStatus> {
    manager.job_tasks(job_id).unwrap().iter().map(|t| t.status).collect()
}

#[tokio::test]
async fn pausing_a_queued_job_pauses_its_tasks_and_the_job_at_once() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    let worker = start_worker(&manager, "w").await;
    set_job_status(&manager, job_id, "pause-requested").await;
    assert_eq!(task_statuses(&manager, job_id), [TaskStatus::Paused, TaskStatus::Paused]);
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Paused);
    let jobs = recorder.events(Room::Jobs);
    assert_eq!(
        statuses(&jobs),
        pairs(&[("queued", "-"), ("pause-requested", "queued"), ("paused", "pause-requested")])
    );
    assert_eq!(jobs[2].1["refresh_tasks"], true);
    post("/api/v3/worker/task").worker(&worker).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn pausing_an_active_job_lets_the_active_task_finish_then_the_job_is_paused() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, render_json("1-3", 1)).await;
    let worker = start_worker(&manager, "w").await;
    let assigned = post("/api/v3/worker/task").worker(&worker).send(&manager).await.json();
    let active = id(&assigned["uuid"]);
    recorder.take();

    set_job_status(&manager, job_id, "pause-requested").await;
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::PauseRequested);
    let tasks = task_statuses(&manager, job_id);
    assert_eq!(tasks, [TaskStatus::Active, TaskStatus::Paused, TaskStatus::Paused, TaskStatus::Paused]);
    // One update: the job waits in pause-requested, its tasks changed.
    let jobs = recorder.events(Room::Jobs);
    assert_eq!(statuses(&jobs), pairs(&[("pause-requested", "active")]));
    assert_eq!(jobs[0].1["refresh_tasks"], true);

    // The active task may still report and finish; nothing new is handed out meanwhile.
    report(&manager, &worker, active, json!({"activity": "rendering"})).await;
    report(&manager, &worker, active, json!({"taskStatus": "completed"})).await;
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Paused);
    let jobs = recorder.events(Room::Jobs);
    assert_eq!(statuses(&jobs), pairs(&[("pause-requested", "active"), ("paused", "pause-requested")]));
    assert_eq!(jobs[1].1["steps_completed"], 1, "the finished task's step counts");
    let job_room = recorder.events(Room::Job(job_id));
    let last = &job_room.last().unwrap().1;
    assert_eq!((&last["id"], &last["status"]), (&json!(active), &json!("completed")));
    post("/api/v3/worker/task").worker(&worker).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn requeueing_resumes_a_paused_job() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    let worker = start_worker(&manager, "w").await;
    set_job_status(&manager, job_id, "pause-requested").await;
    recorder.take();
    set_job_status(&manager, job_id, "requeueing").await;
    assert_eq!(task_statuses(&manager, job_id), [TaskStatus::Queued, TaskStatus::Queued]);
    let jobs = recorder.events(Room::Jobs);
    assert_eq!(statuses(&jobs), pairs(&[("requeueing", "paused"), ("queued", "requeueing")]));
    assert_eq!(jobs[1].1["refresh_tasks"], true);
    let assigned = post("/api/v3/worker/task").worker(&worker).send(&manager).await;
    assigned.assert_status(StatusCode::OK);
    assert_eq!(assigned.json()["name"], "echo");
}

#[tokio::test]
async fn a_pausing_job_can_be_cancelled_and_its_active_task_with_it() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    let worker = start_worker(&manager, "w").await;
    let active = id(&post("/api/v3/worker/task").worker(&worker).send(&manager).await.json()["uuid"]);
    set_job_status(&manager, job_id, "pause-requested").await;
    recorder.take();
    set_job_status(&manager, job_id, "cancel-requested").await;
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Canceled);
    assert_eq!(task_statuses(&manager, job_id), [TaskStatus::Canceled, TaskStatus::Canceled]);
    let jobs = recorder.events(Room::Jobs);
    assert_eq!(
        statuses(&jobs),
        pairs(&[("cancel-requested", "pause-requested"), ("canceled", "cancel-requested")])
    );
    // The worker hears that the task is no longer its own.
    post(format!("/api/v3/worker/task/{active}"))
        .worker(&worker)
        .json(json!({"taskStatus": "completed"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_task_given_back_while_pausing_is_paused_and_the_job_with_it() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    let worker = start_worker(&manager, "w").await;
    let active = id(&post("/api/v3/worker/task").worker(&worker).send(&manager).await.json()["uuid"]);
    set_job_status(&manager, job_id, "pause-requested").await;
    recorder.take();
    post("/api/v3/worker/sign-off")
        .worker(&worker)
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let task = manager.task(active).unwrap();
    assert_eq!((task.status, task.worker), (TaskStatus::Paused, None));
    assert!(task.activity.contains("paused by the manager"), "{}", task.activity);
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Paused);
    let job_room = recorder.events(Room::Job(job_id));
    assert_eq!(statuses(&job_room), pairs(&[("paused", "active")]));
    assert_eq!(statuses(&recorder.events(Room::Jobs)), pairs(&[("paused", "pause-requested")]));
}

#[tokio::test]
async fn pausing_asks_are_refused_where_flamenco_refuses_them() {
    let (manager, _recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    set_job_status(&manager, job_id, "pause-requested").await;
    for (status, message) in [
        ("pause-requested", "the job is paused and cannot be set to pause-requested"),
        ("cancel-requested", ""),
    ] {
        let answer = post(format!("/api/v3/jobs/{job_id}/setstatus"))
            .json(json!({"status": status, "reason": "again"}))
            .send(&manager)
            .await;
        if message.is_empty() {
            answer.assert_status(StatusCode::NO_CONTENT);
        } else {
            answer.assert_error(StatusCode::CONFLICT, message);
        }
    }
    post(format!("/api/v3/jobs/{job_id}/setstatus"))
        .json(json!({"status": "pause-requested", "reason": "done already"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::CONFLICT, "the job is canceled and cannot be set to pause-requested");
}

/// A job left `pause-requested` by a manager that stopped: after the restart its queued
/// tasks are paused; it is `paused` when none is active, and waits for them otherwise.
#[tokio::test]
async fn a_restart_carries_an_interrupted_pause_on() {
    let setup = Setup::new();
    let (job, _worker, active) = setup.working().await;
    let waiting = setup.echo_job().await;
    for job_id in [job.id, waiting.id] {
        let mut stored = setup.storage.job(job_id).unwrap().unwrap();
        stored.status = JobStatus::PauseRequested;
        setup.storage.put_job(stored).unwrap();
    }
    let (manager, recorder) = {
        let recorder = std::sync::Arc::new(broadcast_core::testing::InMemoryBroadcaster::new());
        (manager_api::Manager::new(setup.storage.clone(), recorder.clone()), recorder)
    };
    assert_eq!(manager.finish_interrupted_jobs().await.unwrap(), 2);
    assert_eq!(manager.job(job.id).unwrap().status, JobStatus::PauseRequested);
    assert_eq!(task_statuses(&manager, job.id), [TaskStatus::Active, TaskStatus::Paused]);
    assert_eq!(manager.task(active.id).unwrap().status, TaskStatus::Active);
    assert_eq!(manager.job(waiting.id).unwrap().status, JobStatus::Paused);
    assert_eq!(task_statuses(&manager, waiting.id), [TaskStatus::Paused, TaskStatus::Paused]);
    let jobs = recorder.events(Room::Jobs);
    assert_eq!(
        statuses(&jobs),
        pairs(&[("pause-requested", "pause-requested"), ("paused", "pause-requested")])
    );
    assert!(jobs.iter().all(|(_, p)| p["refresh_tasks"] == true));

    // Run again, nothing is left to do: the pausing job waits for its active task.
    assert_eq!(manager.finish_interrupted_jobs().await.unwrap(), 0);
}
