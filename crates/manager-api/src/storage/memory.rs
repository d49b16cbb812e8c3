//! [`InMemoryStorage`]: everything in memory, for tests and for callers that embed the
//! services; lost when the process ends. Its methods never fail.

use std::collections::HashMap;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use uuid::Uuid;

use super::{Storage, StorageResult};
use crate::Error;
use crate::model::{Job, JobBlock, LastRenderedImage, Task, Worker, WorkerTag};

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
    /// Task logs, by task.
    task_logs: HashMap<Uuid, Vec<u8>>,
    /// Every job's blocklist entries, in the order they were added.
    job_blocks: Vec<JobBlock>,
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
    fn atomically(&self, change: &mut dyn FnMut(&dyn Storage) -> Result<(), Error>) -> Result<(), Error> {
        change(self)
    }

    fn job(&self, id: Uuid) -> StorageResult<Option<Job>> {
        Ok(self.read().jobs.get(id))
    }

    fn jobs(&self) -> StorageResult<Vec<Job>> {
        Ok(self.read().jobs.all())
    }

    fn put_job(&self, job: Job) -> StorageResult<()> {
        self.write().jobs.put(job.id, job);
        Ok(())
    }

    fn remove_job(&self, id: Uuid) -> StorageResult<Option<Job>> {
        let mut state = self.write();
        let Some(job) = state.jobs.remove(id) else {
            return Ok(None);
        };
        let task_ids: Vec<Uuid> =
            state.tasks.items.values().filter(|t| t.job_id == id).map(|t| t.id).collect();
        for task_id in task_ids {
            state.tasks.remove(task_id);
            state.task_logs.remove(&task_id);
        }
        state.last_rendered.remove(&id);
        state.job_blocks.retain(|b| b.job_id != id);
        Ok(Some(job))
    }

    fn task(&self, id: Uuid) -> StorageResult<Option<Task>> {
        Ok(self.read().tasks.get(id))
    }

    fn tasks_of_job(&self, job_id: Uuid) -> StorageResult<Vec<Task>> {
        Ok(self.read().tasks.matching(|t| t.job_id == job_id))
    }

    fn tasks_of_worker(&self, worker_id: Uuid) -> StorageResult<Vec<Task>> {
        Ok(self.read().tasks.matching(|t| t.is_assigned_to(worker_id)))
    }

    fn put_task(&self, task: Task) -> StorageResult<()> {
        self.write().tasks.put(task.id, task);
        Ok(())
    }

    fn worker(&self, id: Uuid) -> StorageResult<Option<Worker>> {
        Ok(self.read().workers.get(id))
    }

    fn workers(&self) -> StorageResult<Vec<Worker>> {
        Ok(self.read().workers.all())
    }

    fn put_worker(&self, worker: Worker) -> StorageResult<()> {
        self.write().workers.put(worker.id, worker);
        Ok(())
    }

    fn remove_worker(&self, id: Uuid) -> StorageResult<Option<Worker>> {
        let mut state = self.write();
        state.job_blocks.retain(|b| b.worker_id != id);
        Ok(state.workers.remove(id))
    }

    fn job_blocklist(&self, job_id: Uuid) -> StorageResult<Vec<JobBlock>> {
        Ok(self.read().job_blocks.iter().filter(|b| b.job_id == job_id).cloned().collect())
    }

    fn add_job_block(&self, block: &JobBlock) -> StorageResult<()> {
        let mut state = self.write();
        if !state.job_blocks.contains(block) {
            state.job_blocks.push(block.clone());
        }
        Ok(())
    }

    fn remove_job_block(&self, block: &JobBlock) -> StorageResult<bool> {
        let mut state = self.write();
        let before = state.job_blocks.len();
        state.job_blocks.retain(|b| b != block);
        Ok(state.job_blocks.len() < before)
    }

    fn worker_tag(&self, id: Uuid) -> StorageResult<Option<WorkerTag>> {
        Ok(self.read().worker_tags.get(id))
    }

    fn worker_tags(&self) -> StorageResult<Vec<WorkerTag>> {
        Ok(self.read().worker_tags.all())
    }

    fn put_worker_tag(&self, tag: WorkerTag) -> StorageResult<()> {
        self.write().worker_tags.put(tag.id, tag);
        Ok(())
    }

    fn remove_worker_tag(&self, id: Uuid) -> StorageResult<Option<WorkerTag>> {
        Ok(self.write().worker_tags.remove(id))
    }

    fn last_rendered(&self, job_id: Uuid) -> StorageResult<Option<LastRenderedImage>> {
        Ok(self.read().last_rendered.get(&job_id).cloned())
    }

    fn newest_last_rendered(&self) -> StorageResult<Option<Uuid>> {
        Ok(self
            .read()
            .last_rendered
            .iter()
            .max_by_key(|(_, image)| image.received)
            .map(|(job_id, _)| *job_id))
    }

    fn put_last_rendered(&self, job_id: Uuid, image: LastRenderedImage) -> StorageResult<()> {
        self.write().last_rendered.insert(job_id, image);
        Ok(())
    }

    fn append_task_log(&self, _job_id: Uuid, task_id: Uuid, text: &str) -> StorageResult<()> {
        self.write().task_logs.entry(task_id).or_default().extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn task_log_size(&self, _job_id: Uuid, task_id: Uuid) -> StorageResult<Option<u64>> {
        Ok(self.read().task_logs.get(&task_id).map(|log| log.len() as u64))
    }

    fn read_task_log(&self, _job_id: Uuid, task_id: Uuid, from: u64) -> StorageResult<Option<Vec<u8>>> {
        let state = self.read();
        Ok(state.task_logs.get(&task_id).map(|log| {
            let from = usize::try_from(from).unwrap_or(usize::MAX).min(log.len());
            log[from..].to_vec()
        }))
    }
}
