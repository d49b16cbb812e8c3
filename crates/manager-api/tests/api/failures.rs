//! Task failure as Flamenco does it: soft failures retried by other workers up to a
//! threshold, then a hard failure; workers that fail a job's task type too often are
//! blocklisted for it; the blocklist answers, can be cleared, and goes with requeueing.

use std::sync::Arc;

use axum::http::StatusCode;
use broadcast_core::testing::InMemoryBroadcaster;
use broadcast_core::{JobStatus, Room, TaskStatus};
use manager_api::model::{JobBlock, Worker};
use manager_api::{InMemoryStorage, Manager, Options, Storage};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::flows::{report, start_worker, statuses, submit};
use crate::support::*;

fn manager_with(options: Options) -> (Manager, Arc<InMemoryStorage>, Arc<InMemoryBroadcaster>) {
    let storage = Arc::new(InMemoryStorage::new());
    let recorder = Arc::new(InMemoryBroadcaster::new());
    (Manager::with_options(storage.clone(), recorder.clone(), options), storage, recorder)
}

fn blocklist_after(failures: u32) -> Options {
    let mut options = Options::default();
    options.failures.blocklist_threshold = failures;
    options
}

async fn next_task(manager: &Manager, worker: &Worker) -> Option<Value> {
    let answer = post("/api/v3/worker/task").worker(worker).send(manager).await;
    match answer.status {
        StatusCode::OK => Some(answer.json()),
        StatusCode::NO_CONTENT => None,
        other => panic!("asking for work answered {other}"),
    }
}

async fn fail(manager: &Manager, worker: &Worker, task: &Value) -> Uuid {
    let task_id = id(&task["uuid"]);
    report(manager, worker, task_id, json!({"taskStatus": "failed", "log": "it broke\n"})).await;
    task_id
}

#[tokio::test]
async fn a_failure_is_soft_and_another_worker_retries_the_task_then_it_succeeds() {
    let (manager, _storage, recorder) = manager_with(Options::default());
    let job_id = submit(&manager, echo_sleep_json()).await;
    let a = start_worker(&manager, "a").await;
    let b = start_worker(&manager, "b").await;
    let task_id = fail(&manager, &a, &next_task(&manager, &a).await.unwrap()).await;
    let task = manager.task(task_id).unwrap();
    assert_eq!(task.status, TaskStatus::SoftFailed);
    assert_eq!(task.failed_by_workers.iter().map(|w| w.id).collect::<Vec<_>>(), [a.id]);
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Active);
    let job_room = recorder.events(Room::Job(job_id));
    assert_eq!(statuses(&job_room).last().unwrap(), &("soft-failed".to_owned(), "active".to_owned()));
    let log = recorder.events(Room::TaskLog(task_id));
    let chunks: Vec<&str> = log.iter().map(|(_, p)| p["log"].as_str().unwrap()).collect();
    assert_eq!(chunks[0], "it broke\n", "the worker's lines first");
    assert!(chunks[1].contains("soft failure") && chunks[1].contains("2 more failure(s)"), "{}", chunks[1]);

    // The worker that failed it does not get it again; another one does.
    assert_eq!(next_task(&manager, &a).await, None);
    let retried = next_task(&manager, &b).await.unwrap();
    assert_eq!(id(&retried["uuid"]), task_id);
    report(&manager, &b, task_id, json!({"taskStatus": "completed"})).await;
    assert_eq!(manager.task(task_id).unwrap().status, TaskStatus::Completed);
    assert_eq!(next_task(&manager, &a).await.unwrap()["name"], "sleep");
}

#[tokio::test]
async fn the_third_worker_failing_a_task_fails_it_and_the_job() {
    let (manager, _storage, _recorder) = manager_with(Options::default());
    let job_id = submit(&manager, echo_sleep_json()).await;
    let mut expected = Vec::new();
    for name in ["a", "b", "c"] {
        let worker = start_worker(&manager, name).await;
        let task_id = fail(&manager, &worker, &next_task(&manager, &worker).await.unwrap()).await;
        expected.push(manager.task(task_id).unwrap().status);
    }
    assert_eq!(expected, [TaskStatus::SoftFailed, TaskStatus::SoftFailed, TaskStatus::Failed]);
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Failed);
}

#[tokio::test]
async fn a_worker_failing_a_task_type_too_often_is_blocklisted_for_it_until_removed() {
    let (manager, _storage, _recorder) = manager_with(blocklist_after(2));
    let job_id = submit(&manager, render_json("1-4", 1)).await;
    let a = start_worker(&manager, "a").await;
    let b = start_worker(&manager, "b").await;
    let first = fail(&manager, &a, &next_task(&manager, &a).await.unwrap()).await;
    let blocklist = || async { get(format!("/api/v3/jobs/{job_id}/blocklist")).send(&manager).await };
    assert_eq!(blocklist().await.json(), json!([]), "one failure is not enough");
    let second = fail(&manager, &a, &next_task(&manager, &a).await.unwrap()).await;
    assert_ne!(first, second);
    let listed = blocklist().await;
    listed.assert_status(StatusCode::OK);
    let entry = json!({"worker_id": a.id, "task_type": "blender", "worker_name": "a"});
    assert_eq!(listed.json(), json!([entry]));

    // No more render tasks for it (the preview waits for them); another worker takes them.
    assert_eq!(next_task(&manager, &a).await, None);
    assert_eq!(id(&next_task(&manager, &b).await.unwrap()["uuid"]), first);

    // Taken off the list, it gets render work again (not the two it failed).
    delete(format!("/api/v3/jobs/{job_id}/blocklist"))
        .json(
            json!([{"worker_id": a.id, "task_type": "blender"}, {"worker_id": b.id, "task_type": "ffmpeg"}]),
        )
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(blocklist().await.json(), json!([]));
    let again = next_task(&manager, &a).await.unwrap();
    assert_eq!(again["task_type"], "blender");
    assert!(![first, second].contains(&id(&again["uuid"])));
}

#[tokio::test]
async fn blocking_the_last_worker_that_could_run_a_task_fails_it_and_the_job() {
    let (manager, _storage, recorder) = manager_with(blocklist_after(1));
    let job_id = submit(&manager, render_json("1-2", 1)).await;
    let a = start_worker(&manager, "a").await;
    let task_id = fail(&manager, &a, &next_task(&manager, &a).await.unwrap()).await;
    assert_eq!(manager.task(task_id).unwrap().status, TaskStatus::Failed);
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Failed);
    let log = recorder.events(Room::TaskLog(task_id));
    assert!(log.last().unwrap().1["log"].as_str().unwrap().contains("No worker is left"));
}

#[tokio::test]
async fn blocking_a_worker_requeues_the_tasks_of_the_job_it_had_failed_for_good() {
    let (manager, storage, _recorder) = manager_with(blocklist_after(2));
    let job_id = submit(&manager, render_json("1-3", 1)).await;
    let a = start_worker(&manager, "a").await;
    let _b = start_worker(&manager, "b").await;
    // A task the worker failed for good earlier (as a person may have set it), while the
    // job went on.
    let earlier = next_task(&manager, &a).await.unwrap();
    let mut failed = storage.task(id(&earlier["uuid"])).unwrap().unwrap();
    failed.status = TaskStatus::Failed;
    failed.failed_by_workers.push(a.task_worker());
    storage.put_task(failed.clone()).unwrap();

    fail(&manager, &a, &next_task(&manager, &a).await.unwrap()).await;
    assert_eq!(storage.job_blocklist(job_id).unwrap().len(), 1);
    let requeued = manager.task(failed.id).unwrap();
    assert_eq!((requeued.status, requeued.worker), (TaskStatus::Queued, None));
    assert!(requeued.activity.contains("may no longer run tasks of type"), "{}", requeued.activity);
}

#[tokio::test]
async fn requeueing_a_job_clears_its_blocklist() {
    let (manager, storage, _recorder) = manager_with(Options::default());
    let job_id = submit(&manager, echo_sleep_json()).await;
    let a = start_worker(&manager, "a").await;
    storage.add_job_block(&JobBlock { job_id, worker_id: a.id, task_type: "misc".to_owned() }).unwrap();
    assert_eq!(next_task(&manager, &a).await, None);
    post(format!("/api/v3/jobs/{job_id}/setstatus"))
        .json(json!({"status": "requeueing", "reason": "try again"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::CONFLICT);
    post(format!("/api/v3/jobs/{job_id}/setstatus"))
        .json(json!({"status": "pause-requested", "reason": "hold on"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    post(format!("/api/v3/jobs/{job_id}/setstatus"))
        .json(json!({"status": "requeueing", "reason": "try again"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(storage.job_blocklist(job_id).unwrap(), []);
    assert_eq!(next_task(&manager, &a).await.unwrap()["name"], "echo");
}

#[tokio::test]
async fn a_worker_may_not_decide_on_a_soft_failure_and_bad_blocklist_requests_are_refused() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let manager = setup.silent();
    post(format!("/api/v3/worker/task/{}", task.id))
        .worker(&worker)
        .json(json!({"taskStatus": "soft-failed"}))
        .send(&manager)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "the manager's to decide");
    get(format!("/api/v3/jobs/{}/blocklist", Uuid::new_v4()))
        .send(&manager)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    get("/api/v3/jobs/nope/blocklist").send(&manager).await.assert_status(StatusCode::BAD_REQUEST);
    delete(format!("/api/v3/jobs/{}/blocklist", job.id))
        .json(json!([{"worker_id": "not-a-uuid", "task_type": "misc"}]))
        .send(&manager)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    delete(format!("/api/v3/jobs/{}/blocklist", Uuid::new_v4()))
        .json(json!([]))
        .send(&manager)
        .await
        .assert_status(StatusCode::NOT_FOUND);
}
