//! What the services do when the store fails, and what they finish after a restart.

use std::sync::Arc;

use axum::http::StatusCode;
use broadcast_core::{JobStatus, MockBroadcaster, Room, TaskStatus};
use manager_api::model::{Job, JobBlock, LastRenderedImage, Task, Worker, WorkerTag};
use manager_api::{Error, InMemoryStorage, Manager, Storage, StorageError, StorageResult};
use serde_json::json;
use uuid::Uuid;

use crate::support::{Setup, expect, get, post};

/// A store whose disk is full (or broken): reads work, every change fails.
struct Failing {
    inner: Arc<InMemoryStorage>,
    unavailable: bool,
}

impl Failing {
    fn refuse(&self) -> StorageError {
        if self.unavailable {
            StorageError::unavailable("writing: No space left on device")
        } else {
            StorageError::failed("writing: the database answered nonsense")
        }
    }
}

impl Storage for Failing {
    fn atomically(&self, _change: &mut dyn FnMut(&dyn Storage) -> Result<(), Error>) -> Result<(), Error> {
        Err(self.refuse().into())
    }
    fn job(&self, id: Uuid) -> StorageResult<Option<Job>> {
        self.inner.job(id)
    }
    fn jobs(&self) -> StorageResult<Vec<Job>> {
        self.inner.jobs()
    }
    fn put_job(&self, _job: Job) -> StorageResult<()> {
        Err(self.refuse())
    }
    fn remove_job(&self, _id: Uuid) -> StorageResult<Option<Job>> {
        Err(self.refuse())
    }
    fn task(&self, id: Uuid) -> StorageResult<Option<Task>> {
        self.inner.task(id)
    }
    fn tasks_of_job(&self, job_id: Uuid) -> StorageResult<Vec<Task>> {
        self.inner.tasks_of_job(job_id)
    }
    fn tasks_of_worker(&self, worker_id: Uuid) -> StorageResult<Vec<Task>> {
        self.inner.tasks_of_worker(worker_id)
    }
    fn put_task(&self, _task: Task) -> StorageResult<()> {
        Err(self.refuse())
    }
    fn worker(&self, id: Uuid) -> StorageResult<Option<Worker>> {
        self.inner.worker(id)
    }
    fn workers(&self) -> StorageResult<Vec<Worker>> {
        self.inner.workers()
    }
    fn put_worker(&self, _worker: Worker) -> StorageResult<()> {
        Err(self.refuse())
    }
    fn remove_worker(&self, _id: Uuid) -> StorageResult<Option<Worker>> {
        Err(self.refuse())
    }
    fn worker_tag(&self, id: Uuid) -> StorageResult<Option<WorkerTag>> {
        self.inner.worker_tag(id)
    }
    fn worker_tags(&self) -> StorageResult<Vec<WorkerTag>> {
        self.inner.worker_tags()
    }
    fn put_worker_tag(&self, _tag: WorkerTag) -> StorageResult<()> {
        Err(self.refuse())
    }
    fn remove_worker_tag(&self, _id: Uuid) -> StorageResult<Option<WorkerTag>> {
        Err(self.refuse())
    }
    fn job_blocklist(&self, job_id: Uuid) -> StorageResult<Vec<JobBlock>> {
        self.inner.job_blocklist(job_id)
    }
    fn add_job_block(&self, _block: &JobBlock) -> StorageResult<()> {
        Err(self.refuse())
    }
    fn remove_job_block(&self, _block: &JobBlock) -> StorageResult<bool> {
        Err(self.refuse())
    }
    fn last_rendered(&self, job_id: Uuid) -> StorageResult<Option<LastRenderedImage>> {
        self.inner.last_rendered(job_id)
    }
    fn newest_last_rendered(&self) -> StorageResult<Option<Uuid>> {
        self.inner.newest_last_rendered()
    }
    fn put_last_rendered(&self, _job_id: Uuid, _image: LastRenderedImage) -> StorageResult<()> {
        Err(self.refuse())
    }
    fn append_task_log(&self, _job_id: Uuid, _task_id: Uuid, _text: &str) -> StorageResult<()> {
        Err(self.refuse())
    }
    fn task_log_size(&self, job_id: Uuid, task_id: Uuid) -> StorageResult<Option<u64>> {
        self.inner.task_log_size(job_id, task_id)
    }
    fn read_task_log(&self, job_id: Uuid, task_id: Uuid, from: u64) -> StorageResult<Option<Vec<u8>>> {
        self.inner.read_task_log(job_id, task_id, from)
    }
}

fn failing(setup: &Setup, unavailable: bool) -> Manager {
    let mut mock = MockBroadcaster::new();
    mock.expect_broadcast().never();
    let store = Failing { inner: setup.storage.clone(), unavailable };
    Manager::new(Arc::new(store), Arc::new(mock))
}

#[tokio::test]
async fn a_full_disk_is_503_a_broken_store_500_and_neither_broadcasts_nor_stops_reads() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    for (unavailable, status) in
        [(true, StatusCode::SERVICE_UNAVAILABLE), (false, StatusCode::INTERNAL_SERVER_ERROR)]
    {
        let manager = failing(&setup, unavailable);
        post(format!("/api/v3/jobs/{}/setpriority", job.id))
            .json(json!({"priority": 10}))
            .send(&manager)
            .await
            .assert_error(status, "storage error: writing");
        post("/api/v3/worker-mgt/tags")
            .json(json!({"name": "GPU"}))
            .send(&manager)
            .await
            .assert_status(status);
        let fetched = get(format!("/api/v3/jobs/{}", job.id)).send(&manager).await;
        fetched.assert_status(StatusCode::OK);
        assert_eq!(fetched.json()["priority"], 50, "nothing changed");
    }
}

#[tokio::test]
async fn jobs_left_half_way_by_a_stopped_manager_are_finished() {
    let setup = Setup::new();
    let (canceling, worker, active) = setup.working().await;
    let requeueing = setup.echo_job().await;
    let untouched = setup.echo_job().await;
    // What a manager stopped in the middle of two status changes leaves behind.
    for (job, status) in [(&canceling, JobStatus::CancelRequested), (&requeueing, JobStatus::Requeueing)] {
        let mut stored = setup.storage.job(job.id).unwrap().unwrap();
        stored.status = status;
        setup.storage.put_job(stored).unwrap();
    }
    let mut failed = setup.task_named(&requeueing, "sleep");
    failed.status = TaskStatus::Failed;
    setup.storage.put_task(failed).unwrap();

    let mut mock = MockBroadcaster::new();
    let mut sequence = mockall::Sequence::new();
    let (c, r) = (canceling.id.to_string(), requeueing.id.to_string());
    expect(&mut mock, &mut sequence, Room::Jobs, move |u| {
        u["id"] == c.as_str() && u["status"] == "canceled" && u["previous_status"] == "cancel-requested"
    });
    expect(&mut mock, &mut sequence, Room::Jobs, move |u| {
        u["id"] == r.as_str() && u["status"] == "queued" && u["refresh_tasks"] == true
    });
    let manager = setup.with_mock(mock);
    assert_eq!(manager.finish_interrupted_jobs().await, Ok(2));

    assert_eq!(manager.job(canceling.id).unwrap().status, JobStatus::Canceled);
    let task = manager.task(active.id).unwrap();
    assert_eq!(task.status, TaskStatus::Canceled);
    assert!(!task.is_assigned_to(worker.id));
    assert_eq!(manager.job(requeueing.id).unwrap().status, JobStatus::Queued);
    assert!(manager.job_tasks(requeueing.id).unwrap().iter().all(|t| t.status == TaskStatus::Queued));
    assert_eq!(manager.job(untouched.id).unwrap().status, JobStatus::Queued);
    assert_eq!(setup.silent().finish_interrupted_jobs().await, Ok(0), "nothing is left to finish");
}
