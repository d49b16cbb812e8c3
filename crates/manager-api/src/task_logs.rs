//! Task logs: what workers send in `TaskUpdate.log` is appended to the task's log (a file
//! under the storage path with the SQLite store) before it is broadcast as `/tasklog`
//! (see `tasks.rs`); here the web app reads it back, whole or its tail.

use uuid::Uuid;

use crate::schema::TaskLogInfo;
use crate::storage::JobFile;
use crate::{Error, Manager};

/// How much of the end of a log `logtail` answers with, in bytes.
pub const LOG_TAIL_BYTES: u64 = 2048;

/// The tail of a log whose last `tail.len()` bytes are `tail`, read from byte `from`: when
/// it does not start at the beginning of the log, its first line is most likely partial and
/// is cut up to and including the first newline. A tail without any newline is one partial
/// line; then only the bytes of a character cut in two at its start are dropped, so the
/// answer is always whole UTF-8 characters when the log is.
pub fn cut_tail(tail: &[u8], from: u64) -> &[u8] {
    if from == 0 {
        return tail;
    }
    match tail.iter().position(|b| *b == b'\n') {
        Some(newline) => &tail[newline + 1..],
        None => {
            let continuation = tail.iter().take_while(|b| (**b & 0b1100_0000) == 0b1000_0000).count();
            &tail[continuation..]
        }
    }
}

impl Manager {
    /// Where the task's log is and how large; `None` when the task has no log yet.
    pub fn task_log_info(&self, task_id: Uuid) -> Result<Option<TaskLogInfo>, Error> {
        let task = self.task(task_id)?;
        let Some(size) = self.storage().task_log_size(task.job_id, task_id)? else {
            return Ok(None);
        };
        let url = JobFile::TaskLog { job_id: task.job_id, task_id }.url();
        Ok(Some(TaskLogInfo { task_id, job_id: task.job_id, url, size }))
    }

    /// The last [`LOG_TAIL_BYTES`] of the task's log, its first partial line cut off (see
    /// [`cut_tail`]); `None` when the task has no log yet.
    pub fn task_log_tail(&self, task_id: Uuid) -> Result<Option<Vec<u8>>, Error> {
        let task = self.task(task_id)?;
        let Some(size) = self.storage().task_log_size(task.job_id, task_id)? else {
            return Ok(None);
        };
        let from = size.saturating_sub(LOG_TAIL_BYTES);
        let Some(tail) = self.storage().read_task_log(task.job_id, task_id, from)? else {
            return Ok(None);
        };
        // The log may have grown since its size was read: keep what it held then, the last
        // bytes as of that size, so that `from` still says where the tail starts.
        let tail = &tail[..tail.len().min(LOG_TAIL_BYTES as usize)];
        Ok(Some(cut_tail(tail, from).to_vec()))
    }

    /// The contents and media type of a job file, `None` when there is no such file (an
    /// unknown job or task, no log yet, no image of that name).
    pub fn job_file(&self, file: JobFile) -> Result<Option<(&'static str, Vec<u8>)>, Error> {
        match file {
            JobFile::TaskLog { job_id, task_id } => Ok(self
                .storage()
                .read_task_log(job_id, task_id, 0)?
                .map(|log| ("text/plain; charset=utf-8", log))),
            JobFile::LastRendered { job_id, file_name } => {
                let image = self.storage().last_rendered(job_id)?;
                Ok(image.and_then(|i| i.thumbnail(file_name).map(|t| ("image/jpeg", t.to_vec()))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cut_tail;

    fn check(tail: &str, from: u64, expected: &str) {
        assert_eq!(cut_tail(tail.as_bytes(), from), expected.as_bytes(), "{tail:?} from {from}");
    }

    #[test]
    fn the_first_partial_line_is_cut() {
        check("whole\nlog\n", 0, "whole\nlog\n");
        check("tial line\nnext\n", 5, "next\n");
        check("line\n", 5, "");
        check("no newline at all", 5, "no newline at all");
        check("", 5, "");
        // A tail starting in the middle of "ö" (0xc3 0xb6) and without a newline.
        assert_eq!(cut_tail(&"größer".as_bytes()[3..], 3), "ßer".as_bytes());
    }
}
