//! The things the manager keeps: jobs, tasks, workers, worker tags and job blocklists.
//!
//! Each type serialises to the JSON of its REST schema (`Job`, `Task`, `WorkerTag`, ...)
//! and knows how to become the broadcast-core payload that describes it to web pages
//! (`to_update`). Which rooms get that payload is not decided here.

mod command;
mod job;
mod job_block;
mod last_rendered;
mod sleep_schedule;
mod task;
mod worker;
mod worker_tag;

pub use command::Command;
pub use job::Job;
pub use job_block::JobBlock;
pub use last_rendered::{LastRenderedImage, THUMBNAILS};
pub use sleep_schedule::SleepSchedule;
pub use task::{Task, TaskWorker};
pub use worker::Worker;
pub use worker_tag::WorkerTag;
