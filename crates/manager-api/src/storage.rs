//! [`Storage`]: where jobs, tasks, workers, worker tags and last-rendered images are kept,
//! and [`InMemoryStorage`], the embedded default.
//!
//! The trait is plain synchronous get/put/remove; it does not make read-change-store
//! sequences atomic by itself. The services do that: every change runs under the
//! manager's write lock, which is held only for the synchronous part and always released
//! before anything is broadcast (a slow socket must never stall other requests).
//!
//! Methods cannot fail: the in-memory store has nothing that can. A database-backed store
//! would have to retry or panic-free degrade internally; giving the trait `Result`s is the
//! first thing to do when one is written.

use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use uuid::Uuid;

use crate::model::{Job, LastRenderedImage, Task, Worker, WorkerTag};

/// Keeps the manager's state. Shared by every request, so it must be safe to call from
/// many threads at once; each method on its own is atomic.
pub trait Storage: Send + Sync {
    /// The job `id`.
    fn job(&self, id: Uuid) -> Option<Job>;
    /// Every job, in submission order.
    fn jobs(&self) -> Vec<Job>;
    /// Stores `job`, replacing the one with the same id.
    fn put_job(&self, job: Job);
    /// Removes the job `id` with its tasks and its last-rendered image.
    fn remove_job(&self, id: Uuid) -> Option<Job>;

    /// The task `id`.
    fn task(&self, id: Uuid) -> Option<Task>;
    /// The tasks of the job `job_id`, in the order they were first stored.
    fn tasks_of_job(&self, job_id: Uuid) -> Vec<Task>;
    /// Every task assigned to the worker `worker_id`.
    fn tasks_of_worker(&self, worker_id: Uuid) -> Vec<Task>;
    /// Stores `task`, replacing the one with the same id.
    fn put_task(&self, task: Task);

    /// The worker `id`.
    fn worker(&self, id: Uuid) -> Option<Worker>;
    /// Every worker, in registration order.
    fn workers(&self) -> Vec<Worker>;
    /// Stores `worker`, replacing the one with the same id.
    fn put_worker(&self, worker: Worker);
    /// Removes the worker `id`.
    fn remove_worker(&self, id: Uuid) -> Option<Worker>;

    /// The worker tag `id`.
    fn worker_tag(&self, id: Uuid) -> Option<WorkerTag>;
    /// Every worker tag, in creation order.
    fn worker_tags(&self) -> Vec<WorkerTag>;
    /// Stores `tag`, replacing the one with the same id.
    fn put_worker_tag(&self, tag: WorkerTag);
    /// Removes the worker tag `id`.
    fn remove_worker_tag(&self, id: Uuid) -> Option<WorkerTag>;

    /// The newest image rendered for the job `job_id`.
    fn last_rendered(&self, job_id: Uuid) -> Option<LastRenderedImage>;
    /// Keeps `image` as the newest of the job `job_id`, dropping the one before.
    fn put_last_rendered(&self, job_id: Uuid, image: LastRenderedImage);
}

/// A map with its insertion order, so listings are stable.
#[derive(Debug)]
struct Ordered<T> {
    items: HashMap<Uuid, T>,
    order: Vec<Uuid>,
}

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered { items: HashMap::new(), order: Vec::new() }
    }
}

impl<T: Clone> Ordered<T> {
    fn get(&self, id: Uuid) -> Option<T> {
        self.items.get(&id).cloned()
    }

    fn all(&self) -> Vec<T> {
        self.matching(|_| true)
    }

    /// The items `keep` accepts, in insertion order.
    fn matching(&self, keep: impl Fn(&T) -> bool) -> Vec<T> {
        self.order.iter().filter_map(|id| self.items.get(id)).filter(|t| keep(t)).cloned().collect()
    }

    fn put(&mut self, id: Uuid, item: T) {
        if self.items.insert(id, item).is_none() {
            self.order.push(id);
        }
    }

    fn remove(&mut self, id: Uuid) -> Option<T> {
        let item = self.items.remove(&id)?;
        self.order.retain(|other| *other != id);
        Some(item)
    }
}

#[derive(Debug, Default)]
struct State {
    jobs: Ordered<Job>,
    tasks: Ordered<Task>,
    workers: Ordered<Worker>,
    worker_tags: Ordered<WorkerTag>,
    last_rendered: HashMap<Uuid, LastRenderedImage>,
}

/// Everything in memory, behind one read-write lock; lost when the process ends.
#[derive(Debug, Default)]
pub struct InMemoryStorage {
    state: RwLock<State>,
}

impl InMemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        // Every write below is a single insert or remove that cannot panic half-way, so a
        // poisoned lock still guards consistent data.
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }
}

impl Storage for InMemoryStorage {
    fn job(&self, id: Uuid) -> Option<Job> {
        self.read().jobs.get(id)
    }

    fn jobs(&self) -> Vec<Job> {
        self.read().jobs.all()
    }

    fn put_job(&self, job: Job) {
        self.write().jobs.put(job.id, job);
    }

    fn remove_job(&self, id: Uuid) -> Option<Job> {
        let mut state = self.write();
        let job = state.jobs.remove(id)?;
        let task_ids: Vec<Uuid> =
            state.tasks.items.values().filter(|t| t.job_id == id).map(|t| t.id).collect();
        for task_id in task_ids {
            state.tasks.remove(task_id);
        }
        state.last_rendered.remove(&id);
        Some(job)
    }

    fn task(&self, id: Uuid) -> Option<Task> {
        self.read().tasks.get(id)
    }

    fn tasks_of_job(&self, job_id: Uuid) -> Vec<Task> {
        self.read().tasks.matching(|t| t.job_id == job_id)
    }

    fn tasks_of_worker(&self, worker_id: Uuid) -> Vec<Task> {
        self.read().tasks.matching(|t| t.is_assigned_to(worker_id))
    }

    fn put_task(&self, task: Task) {
        self.write().tasks.put(task.id, task);
    }

    fn worker(&self, id: Uuid) -> Option<Worker> {
        self.read().workers.get(id)
    }

    fn workers(&self) -> Vec<Worker> {
        self.read().workers.all()
    }

    fn put_worker(&self, worker: Worker) {
        self.write().workers.put(worker.id, worker);
    }

    fn remove_worker(&self, id: Uuid) -> Option<Worker> {
        self.write().workers.remove(id)
    }

    fn worker_tag(&self, id: Uuid) -> Option<WorkerTag> {
        self.read().worker_tags.get(id)
    }

    fn worker_tags(&self) -> Vec<WorkerTag> {
        self.read().worker_tags.all()
    }

    fn put_worker_tag(&self, tag: WorkerTag) {
        self.write().worker_tags.put(tag.id, tag);
    }

    fn remove_worker_tag(&self, id: Uuid) -> Option<WorkerTag> {
        self.write().worker_tags.remove(id)
    }

    fn last_rendered(&self, job_id: Uuid) -> Option<LastRenderedImage> {
        self.read().last_rendered.get(&job_id).cloned()
    }

    fn put_last_rendered(&self, job_id: Uuid, image: LastRenderedImage) {
        self.write().last_rendered.insert(job_id, image);
    }
}

#[cfg(test)]
mod tests {
    use broadcast_core::{JobStatus, TaskStatus};
    use chrono::Utc;

    use super::*;

    fn job(name: &str) -> Job {
        let now = Utc::now();
        Job {
            id: Uuid::new_v4(),
            name: name.to_owned(),
            job_type: "echo-sleep-test".to_owned(),
            type_etag: None,
            priority: 50,
            settings: Default::default(),
            metadata: Default::default(),
            submitter_platform: "linux".to_owned(),
            storage: None,
            worker_tag: None,
            created: now,
            updated: now,
            status: JobStatus::Queued,
            activity: String::new(),
            delete_requested_at: None,
        }
    }

    fn task(job: &Job, name: &str) -> Task {
        Task {
            id: Uuid::new_v4(),
            job_id: job.id,
            name: name.to_owned(),
            status: TaskStatus::Queued,
            priority: 50,
            task_type: "misc".to_owned(),
            activity: String::new(),
            commands: Vec::new(),
            created: job.created,
            updated: job.created,
            worker: None,
            last_touched: None,
            failed_by_workers: Vec::new(),
            depends_on: Vec::new(),
        }
    }

    #[test]
    fn listings_keep_insertion_order_and_replacing_keeps_the_place() {
        let storage = InMemoryStorage::new();
        let (a, b) = (job("a"), job("b"));
        storage.put_job(a.clone());
        storage.put_job(b.clone());
        let mut renamed = a.clone();
        renamed.name = "a2".to_owned();
        storage.put_job(renamed);
        let names: Vec<String> = storage.jobs().into_iter().map(|j| j.name).collect();
        assert_eq!(names, ["a2", "b"]);

        let tasks: Vec<Task> = ["t1", "t2", "t3"].iter().map(|n| task(&a, n)).collect();
        for t in tasks.iter().rev() {
            storage.put_task(t.clone());
        }
        storage.put_task(task(&b, "other"));
        let names: Vec<String> = storage.tasks_of_job(a.id).into_iter().map(|t| t.name).collect();
        assert_eq!(names, ["t3", "t2", "t1"]);
    }

    #[test]
    fn removing_a_job_removes_its_tasks_and_image_only() {
        let storage = InMemoryStorage::new();
        let (a, b) = (job("a"), job("b"));
        storage.put_job(a.clone());
        storage.put_job(b.clone());
        let ta = task(&a, "ta");
        let tb = task(&b, "tb");
        storage.put_task(ta.clone());
        storage.put_task(tb.clone());
        storage.put_last_rendered(
            a.id,
            LastRenderedImage {
                task_id: ta.id,
                content_type: "image/png".to_owned(),
                bytes: axum::body::Bytes::from_static(b"png"),
                received: Utc::now(),
            },
        );
        assert_eq!(storage.remove_job(a.id).map(|j| j.id), Some(a.id));
        assert!(storage.job(a.id).is_none());
        assert!(storage.task(ta.id).is_none());
        assert!(storage.last_rendered(a.id).is_none());
        assert_eq!(storage.task(tb.id), Some(tb));
        assert!(storage.remove_job(a.id).is_none());
    }
}
