//! WAL checkpoints off the request path. By default SQLite checkpoints inside the commit
//! that makes the WAL pass 1000 pages, and a checkpoint syncs the WAL and the database file
//! to disk: the request that happens to commit then waits for two disk syncs, holding the
//! write lock every other change waits for. Here the writer never checkpoints
//! (`wal_autocheckpoint = 0`); a thread of its own does, every [`INTERVAL`], in `PASSIVE`
//! mode, which never waits for readers or the writer.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, MAIN_DB};

/// How often the WAL is copied into the database file.
const INTERVAL: Duration = Duration::from_millis(500);

/// The checkpointing thread; stopped (after one last checkpoint) when dropped.
#[derive(Debug)]
pub(super) struct Checkpointer {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

fn checkpoint(db: &Connection) {
    if let Err(error) = db.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
        tracing::warn!(%error, "WAL checkpoint failed; it is tried again");
    }
}

impl Checkpointer {
    /// Starts checkpointing `database`, whose writer is `writer`; `None` (and the writer
    /// left to checkpoint as SQLite does by default) when the file cannot be written, or
    /// the thread cannot be started.
    pub(super) fn start(database: &Path, writer: &Connection) -> Option<Checkpointer> {
        let db = Connection::open(database).ok()?;
        if db.is_readonly(MAIN_DB).unwrap_or(true) {
            return None;
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    checkpoint(&db);
                }
                checkpoint(&db);
            })
            .ok()?;
        if let Err(error) = writer.pragma_update(None, "wal_autocheckpoint", 0) {
            tracing::warn!(%error, "cannot leave checkpoints to their thread; commits checkpoint too");
        }
        Some(Checkpointer { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
