//! The worker-tag service: list, fetch, create, update, delete (`notify::worker_tag_*`).

use broadcast_core::notify;
use uuid::Uuid;

use crate::model::WorkerTag;
use crate::{Error, Manager, Storage, schema};

fn check_name(storage: &dyn Storage, name: &str, except: Option<Uuid>) -> Result<(), Error> {
    if name.trim().is_empty() {
        return Err(Error::invalid("the worker tag name must not be empty"));
    }
    let taken = storage.worker_tags()?.iter().any(|t| t.name == name && Some(t.id) != except);
    if taken {
        return Err(Error::conflict(format!("a worker tag named {name:?} already exists")));
    }
    Ok(())
}

impl Manager {
    /// Every worker tag, in creation order.
    pub fn worker_tags(&self) -> Result<Vec<WorkerTag>, Error> {
        Ok(self.storage().worker_tags()?)
    }

    /// The worker tag `tag_id`.
    pub fn worker_tag(&self, tag_id: Uuid) -> Result<WorkerTag, Error> {
        self.storage().worker_tag(tag_id)?.ok_or(Error::tag_not_found(tag_id))
    }

    /// Creates a tag, with a new UUID unless the request gives one, and broadcasts it.
    pub async fn create_worker_tag(&self, request: schema::WorkerTag) -> Result<WorkerTag, Error> {
        let (tag, _order) = self
            .change(|storage| {
                let id = request.id.unwrap_or_else(Uuid::new_v4);
                if storage.worker_tag(id)?.is_some() {
                    return Err(Error::conflict(format!("worker tag {id} already exists")));
                }
                check_name(storage, &request.name, None)?;
                let tag = WorkerTag { id, name: request.name, description: request.description };
                storage.put_worker_tag(tag.clone())?;
                Ok(tag)
            })
            .await?;
        self.send(notify::worker_tag_updated(tag.to_payload())).await;
        Ok(tag)
    }

    /// Renames the tag and, when given, changes its description; broadcasts it.
    pub async fn update_worker_tag(&self, tag_id: Uuid, request: schema::WorkerTag) -> Result<(), Error> {
        if request.id.is_some_and(|id| id != tag_id) {
            return Err(Error::invalid(format!(
                "the tag's id in the body differs from {tag_id} in the path"
            )));
        }
        let (tag, _order) = self
            .change(|storage| {
                let mut tag = storage.worker_tag(tag_id)?.ok_or(Error::tag_not_found(tag_id))?;
                check_name(storage, &request.name, Some(tag_id))?;
                tag.name = request.name;
                if request.description.is_some() {
                    tag.description = request.description;
                }
                storage.put_worker_tag(tag.clone())?;
                Ok(tag)
            })
            .await?;
        self.send(notify::worker_tag_updated(tag.to_payload())).await;
        Ok(())
    }

    /// Deletes the tag, takes every worker out of it and lifts it from jobs limited to it;
    /// broadcasts the deleted tag.
    pub async fn delete_worker_tag(&self, tag_id: Uuid) -> Result<(), Error> {
        let (tag, _order) = self
            .change(|storage| {
                let tag = storage.remove_worker_tag(tag_id)?.ok_or(Error::tag_not_found(tag_id))?;
                for mut worker in storage.workers()? {
                    if worker.tags.contains(&tag_id) {
                        worker.tags.retain(|t| *t != tag_id);
                        storage.put_worker(worker)?;
                    }
                }
                for mut job in storage.jobs()? {
                    if job.worker_tag == Some(tag_id) {
                        job.worker_tag = None;
                        storage.put_job(job)?;
                    }
                }
                Ok(tag)
            })
            .await?;
        self.send(notify::worker_tag_deleted(tag.to_payload())).await;
        Ok(())
    }

    /// Makes the worker a member of exactly the tags `tag_ids` (each must exist), and
    /// broadcasts the worker update.
    pub async fn set_worker_tags(&self, worker_id: Uuid, tag_ids: Vec<Uuid>) -> Result<(), Error> {
        let (worker, _order) = self
            .change(|storage| {
                let mut worker = storage.worker(worker_id)?.ok_or(Error::worker_not_found(worker_id))?;
                let mut tags = Vec::new();
                for tag in tag_ids {
                    if storage.worker_tag(tag)?.is_none() {
                        return Err(Error::invalid(format!("worker tag {tag} does not exist")));
                    }
                    if !tags.contains(&tag) {
                        tags.push(tag);
                    }
                }
                worker.tags = tags;
                worker.updated = crate::now();
                storage.put_worker(worker.clone())?;
                Ok(worker)
            })
            .await?;
        self.send(notify::worker_updated(worker.to_update(None))).await;
        Ok(())
    }
}
