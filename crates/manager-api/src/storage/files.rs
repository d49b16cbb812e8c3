//! Job files: task logs and last-rendered images, in Flamenco's layout below one root
//! folder (the storage path):
//!
//! ```text
//! job-<first 4 characters of the job UUID>/<job UUID>/task-<task UUID>.txt
//! job-<first 4 characters of the job UUID>/<job UUID>/last-rendered.jpg (and -small, -tiny)
//! ```
//!
//! [`JobFile`] is the only way from a URL to a file: a path is parsed into one of those two
//! shapes or refused, so `..`, absolute paths and any other name never reach the file
//! system. [`JobFiles`] keeps the files; it refuses to follow a symbolic link that leads
//! out of its root.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::{StorageError, StorageResult};
use crate::JOB_FILES_PREFIX;
use crate::model::THUMBNAILS;

/// A file of a job that `/job-files/` serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobFile {
    /// The log of one task.
    TaskLog {
        /// The task's job.
        job_id: Uuid,
        /// The task.
        task_id: Uuid,
    },
    /// One of the thumbnails of the job's last-rendered image.
    LastRendered {
        /// The job.
        job_id: Uuid,
        /// Its name in [`THUMBNAILS`](crate::model::THUMBNAILS): `last-rendered.jpg`, ...
        file_name: &'static str,
    },
}

/// `job-<first 4 characters>/<job UUID>`: the folder of the job's files.
pub(crate) fn job_dir(job_id: Uuid) -> String {
    let id = job_id.to_string();
    format!("job-{}/{id}", &id[..4])
}

impl JobFile {
    /// The file a path below `/job-files/` names, when it is one; `None` for anything else.
    /// Only the exact shapes of the layout are accepted (lower-case UUIDs included).
    pub fn parse(path: &str) -> Option<JobFile> {
        let mut parts = path.split('/');
        let (prefix, job, name) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let job_id = exact_uuid(job)?;
        if prefix != format!("job-{}", &job[..4]) {
            return None;
        }
        if let Some(&(file_name, _, _)) = THUMBNAILS.iter().find(|(n, _, _)| *n == name) {
            return Some(JobFile::LastRendered { job_id, file_name });
        }
        let task_id = exact_uuid(name.strip_prefix("task-")?.strip_suffix(".txt")?)?;
        Some(JobFile::TaskLog { job_id, task_id })
    }

    /// Its path below the storage path, `/`-separated.
    pub fn relative_path(&self) -> String {
        match self {
            JobFile::TaskLog { job_id, task_id } => format!("{}/task-{task_id}.txt", job_dir(*job_id)),
            JobFile::LastRendered { job_id, file_name } => format!("{}/{file_name}", job_dir(*job_id)),
        }
    }

    /// The URL path it is served at.
    pub fn url(&self) -> String {
        format!("{JOB_FILES_PREFIX}/{}", self.relative_path())
    }
}

/// A UUID in its canonical lower-case hyphenated text, and nothing else.
fn exact_uuid(text: &str) -> Option<Uuid> {
    let id = text.parse::<Uuid>().ok()?;
    (id.to_string() == text).then_some(id)
}

/// Task logs and last-rendered images as files below `root`.
#[derive(Debug)]
pub(crate) struct JobFiles {
    root: PathBuf,
}

impl JobFiles {
    /// Files below `root`, which is created when missing and must be writable.
    pub(crate) fn open(root: &Path) -> io::Result<JobFiles> {
        fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        // Writing a file is the only sure test of a writable folder (permission bits say
        // nothing of a read-only mount).
        let probe = root.join(".write-test");
        fs::write(&probe, b"")?;
        fs::remove_file(&probe)?;
        Ok(JobFiles { root })
    }

    /// The folder the files are kept in.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The path of `file`, after checking that nothing in it is a link leading out of the
    /// root; `None` when the file does not exist.
    fn existing(&self, file: &JobFile) -> io::Result<Option<PathBuf>> {
        let path = self.root.join(file.relative_path());
        match path.canonicalize() {
            Ok(real) if real.starts_with(&self.root) => Ok(Some(real)),
            Ok(real) => {
                tracing::warn!(path = %path.display(), target = %real.display(), "a job file leads out of the storage path; refused");
                Ok(None)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The path to write `file` at, its folder created; refused when the folder or the file
    /// is a link leading out of the root.
    fn writable(&self, file: &JobFile) -> io::Result<PathBuf> {
        let path = self.root.join(file.relative_path());
        let parent = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(parent)?;
        let inside = parent.canonicalize()?.starts_with(&self.root)
            && match self.existing(file) {
                Ok(Some(_)) | Err(_) => true,
                Ok(None) => fs::symlink_metadata(&path).is_err(),
            };
        if !inside {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("{} leads out of the storage path", path.display()),
            ));
        }
        Ok(path)
    }

    pub(crate) fn append(&self, file: &JobFile, text: &str) -> StorageResult<()> {
        let doing = || format!("appending to {}", file.relative_path());
        let path = self.writable(file).map_err(|e| StorageError::from_io(&e, &doing()))?;
        let mut out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| StorageError::from_io(&e, &doing()))?;
        out.write_all(text.as_bytes()).map_err(|e| StorageError::from_io(&e, &doing()))
    }

    pub(crate) fn size(&self, file: &JobFile) -> StorageResult<Option<u64>> {
        let doing = || format!("reading the size of {}", file.relative_path());
        match self.existing(file).map_err(|e| StorageError::from_io(&e, &doing()))? {
            Some(path) => {
                Ok(Some(fs::metadata(path).map_err(|e| StorageError::from_io(&e, &doing()))?.len()))
            }
            None => Ok(None),
        }
    }

    pub(crate) fn read(&self, file: &JobFile, from: u64) -> StorageResult<Option<Vec<u8>>> {
        let doing = || format!("reading {}", file.relative_path());
        let Some(path) = self.existing(file).map_err(|e| StorageError::from_io(&e, &doing()))? else {
            return Ok(None);
        };
        let read = || -> io::Result<Vec<u8>> {
            let mut input = File::open(&path)?;
            input.seek(SeekFrom::Start(from))?;
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes)?;
            Ok(bytes)
        };
        read().map(Some).map_err(|e| StorageError::from_io(&e, &doing()))
    }

    /// Replaces `file` with `bytes` as a whole: written beside it, then renamed over it, so
    /// a reader or a crash never sees half an image.
    pub(crate) fn replace(&self, file: &JobFile, bytes: &[u8]) -> StorageResult<()> {
        let doing = || format!("writing {}", file.relative_path());
        let path = self.writable(file).map_err(|e| StorageError::from_io(&e, &doing()))?;
        let partial = path.with_extension("partial");
        fs::write(&partial, bytes)
            .and_then(|()| fs::rename(&partial, &path))
            .map_err(|e| StorageError::from_io(&e, &doing()))
    }

    /// Removes the folder of the job `job_id` with everything in it, when it exists.
    pub(crate) fn remove_job(&self, job_id: Uuid) -> StorageResult<()> {
        let dir = self.root.join(job_dir(job_id));
        match fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(StorageError::from_io(&e, &format!("removing {}", dir.display())))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "0f9b4a8e-6a0e-4d0c-9d6e-0123456789ab";
    const TASK: &str = "b6a5c3d2-1e0f-4a9b-8c7d-6e5f4a3b2c1d";

    fn check(path: &str, expected: Option<JobFile>) {
        assert_eq!(JobFile::parse(path), expected, "{path:?}");
        if let Some(file) = expected {
            assert_eq!(file.relative_path(), path);
        }
    }

    #[test]
    fn only_the_layout_parses() {
        let (job_id, task_id) = (JOB.parse().unwrap(), TASK.parse().unwrap());
        check(&format!("job-0f9b/{JOB}/task-{TASK}.txt"), Some(JobFile::TaskLog { job_id, task_id }));
        for name in ["last-rendered.jpg", "last-rendered-small.jpg", "last-rendered-tiny.jpg"] {
            check(&format!("job-0f9b/{JOB}/{name}"), Some(JobFile::LastRendered { job_id, file_name: name }));
        }
        for bad in [
            format!("job-0f9c/{JOB}/task-{TASK}.txt"),
            format!("job-0f9b/{}/task-{TASK}.txt", JOB.to_uppercase()),
            format!("job-0f9b/{JOB}/../{JOB}/task-{TASK}.txt"),
            format!("job-0f9b/{JOB}/task-{TASK}.txt/"),
            format!("/job-0f9b/{JOB}/task-{TASK}.txt"),
            format!("job-0f9b/{JOB}/task-{TASK}.log"),
            format!("job-0f9b/{JOB}/last-rendered.gif"),
            format!("job-0f9b/{JOB}/last-rendered.png"),
            format!("job-0f9b/{JOB}/.."),
            "../../etc/passwd".to_owned(),
            "/etc/passwd".to_owned(),
            String::new(),
        ] {
            check(&bad, None);
        }
    }
}
