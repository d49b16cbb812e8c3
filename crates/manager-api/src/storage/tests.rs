//! One suite, both stores: [`check_store`] runs every behaviour the services rely on
//! against a fresh store; each store's test calls it once.

use broadcast_core::{JobStatus, TaskStatus, WorkerStatus};
use chrono::Utc;
use uuid::Uuid;

use super::*;
use crate::model::{Command, SleepSchedule, TaskWorker};

fn job(name: &str) -> Job {
    let now = Utc::now();
    Job {
        id: Uuid::new_v4(),
        name: name.to_owned(),
        job_type: "echo-sleep-test".to_owned(),
        type_etag: Some("etag".to_owned()),
        priority: 50,
        settings: serde_json::json!({"frames": "1-10", "nested": {"a": [1, 2]}})
            .as_object()
            .cloned()
            .unwrap(),
        metadata: [("project".to_owned(), "Sprite Fright".to_owned())].into(),
        submitter_platform: "linux".to_owned(),
        storage: Some(serde_json::json!({"shaman_checkout_id": "x"})),
        worker_tag: None,
        created: now,
        updated: now,
        status: JobStatus::Queued,
        activity: String::new(),
        delete_requested_at: None,
        steps_completed: 4,
        steps_total: 12,
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
        commands: vec![Command::new("echo", serde_json::json!({"message": "hi ✓"}))],
        created: job.created,
        updated: job.created,
        worker: None,
        last_touched: None,
        failed_by_workers: Vec::new(),
        depends_on: Vec::new(),
        index_in_job: 3,
        steps_completed: 2,
        steps_total: 5,
    }
}

fn worker(name: &str) -> Worker {
    let now = Utc::now();
    Worker {
        id: Uuid::new_v4(),
        secret: "secret".to_owned(),
        name: name.to_owned(),
        address: "192.0.2.1".to_owned(),
        platform: "linux".to_owned(),
        software: "3.9".to_owned(),
        supported_task_types: vec!["blender".to_owned(), "misc".to_owned()],
        status: WorkerStatus::Awake,
        status_change: Some(broadcast_core::WorkerStatusChangeRequest {
            status: WorkerStatus::Asleep,
            is_lazy: true,
        }),
        can_restart: true,
        tags: vec![Uuid::new_v4()],
        created: now,
        updated: now,
        last_seen: Some(now),
        sleep_schedule: Some(SleepSchedule {
            is_active: true,
            days_of_week: "mo tu".to_owned(),
            start_time: "09:00".to_owned(),
            end_time: "18:00".to_owned(),
            next_check: chrono::NaiveDate::from_ymd_opt(2024, 5, 1).and_then(|d| d.and_hms_opt(9, 0, 0)),
        }),
    }
}

/// An image whose three thumbnails are `which` followed by their size.
fn image(task: &Task, which: &str) -> LastRenderedImage {
    LastRenderedImage {
        task_id: task.id,
        thumbnails: ["large", "small", "tiny"]
            .map(|size| format!("\u{ff}\u{d8} {which} {size}").into())
            .to_vec(),
        received: Utc::now(),
    }
}

/// Stores `change` in one unit, as the services do.
fn atomically(store: &impl Storage, mut change: impl FnMut(&dyn Storage) -> StorageResult<()>) {
    store.atomically(&mut |s| change(s).map_err(Error::from)).expect("the change is stored");
}

fn check_store(store: &impl Storage) {
    // Jobs: listing order is insertion order, and replacing keeps the place.
    let (a, b) = (job("a"), job("b"));
    atomically(store, |s| {
        s.put_job(a.clone())?;
        s.put_job(b.clone())
    });
    let mut renamed = a.clone();
    renamed.name = "a2".to_owned();
    renamed.status = JobStatus::CancelRequested;
    atomically(store, |s| s.put_job(renamed.clone()));
    let names: Vec<String> = store.jobs().unwrap().into_iter().map(|j| j.name).collect();
    assert_eq!(names, ["a2", "b"]);
    assert_eq!(store.job(a.id).unwrap(), Some(renamed.clone()), "every field comes back");
    assert_eq!(store.job(Uuid::new_v4()).unwrap(), None);

    // Tasks: stored before their job within one unit, in order, by job and by worker.
    let c = job("c");
    let tasks: Vec<Task> = ["t1", "t2", "t3"].iter().map(|n| task(&c, n)).collect();
    atomically(store, |s| {
        for t in tasks.iter().rev() {
            s.put_task(t.clone())?;
        }
        s.put_job(c.clone())
    });
    let names: Vec<String> = store.tasks_of_job(c.id).unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, ["t3", "t2", "t1"]);
    let w = worker("w");
    let mut assigned = tasks[1].clone();
    assigned.worker = Some(TaskWorker { id: w.id, name: w.name.clone(), address: w.address.clone() });
    assigned.failed_by_workers = vec![w.task_worker()];
    assigned.depends_on = vec![tasks[0].id];
    assigned.last_touched = Some(Utc::now());
    assigned.status = TaskStatus::Active;
    atomically(store, |s| s.put_task(assigned.clone()));
    assert_eq!(store.task(assigned.id).unwrap(), Some(assigned.clone()));
    assert_eq!(store.tasks_of_worker(w.id).unwrap(), [assigned.clone()]);
    assert_eq!(store.tasks_of_worker(Uuid::new_v4()).unwrap(), []);

    // Workers.
    let w2 = worker("w2");
    atomically(store, |s| {
        s.put_worker(w.clone())?;
        s.put_worker(w2.clone())
    });
    assert_eq!(store.worker(w.id).unwrap(), Some(w.clone()));
    assert_eq!(store.workers().unwrap().iter().map(|w| w.id).collect::<Vec<_>>(), [w.id, w2.id]);
    // The statuses the farm's status is computed from are those of the whole rows.
    let (job_statuses, worker_statuses) = store.statuses().unwrap();
    let mut expected_jobs: Vec<_> = store.jobs().unwrap().iter().map(|j| j.status).collect();
    let mut found_jobs = job_statuses;
    expected_jobs.sort_by_key(|s| format!("{s:?}"));
    found_jobs.sort_by_key(|s| format!("{s:?}"));
    assert_eq!(found_jobs, expected_jobs);
    assert!(!expected_jobs.is_empty());
    assert_eq!(worker_statuses, [w.status, w2.status]);
    atomically(store, |s| s.remove_worker(w.id).map(|removed| assert_eq!(removed, Some(w.clone()))));
    assert_eq!(store.worker(w.id).unwrap(), None);
    assert_eq!(store.remove_worker(w.id).unwrap(), None);

    // Worker tags, and a job limited to one.
    let tag =
        WorkerTag { id: Uuid::new_v4(), name: "GPU".to_owned(), description: Some("with a GPU".to_owned()) };
    let bare = WorkerTag { id: Uuid::new_v4(), name: "CPU".to_owned(), description: None };
    let mut tagged = job("tagged");
    tagged.worker_tag = Some(tag.id);
    atomically(store, |s| {
        s.put_worker_tag(tag.clone())?;
        s.put_worker_tag(bare.clone())?;
        s.put_job(tagged.clone())
    });
    assert_eq!(store.worker_tags().unwrap(), [tag.clone(), bare.clone()]);
    assert_eq!(store.job(tagged.id).unwrap().and_then(|j| j.worker_tag), Some(tag.id));
    assert_eq!(store.remove_worker_tag(bare.id).unwrap(), Some(bare.clone()));
    assert_eq!(store.worker_tag(bare.id).unwrap(), None);

    // Task logs: appended, sized and read from an offset, byte for byte.
    let (t1, t2) = (&tasks[0], &tasks[1]);
    assert_eq!(store.task_log_size(c.id, t1.id).unwrap(), None);
    assert_eq!(store.read_task_log(c.id, t1.id, 0).unwrap(), None);
    atomically(store, |s| {
        s.append_task_log(c.id, t1.id, "first line\n")?;
        s.append_task_log(c.id, t1.id, "zweite Zeile: größer ✓\n")
    });
    let whole = "first line\nzweite Zeile: größer ✓\n".as_bytes();
    assert_eq!(store.task_log_size(c.id, t1.id).unwrap(), Some(whole.len() as u64));
    assert_eq!(store.read_task_log(c.id, t1.id, 0).unwrap().as_deref(), Some(whole));
    assert_eq!(store.read_task_log(c.id, t1.id, 11).unwrap().as_deref(), Some(&whole[11..]));
    assert_eq!(store.read_task_log(c.id, t1.id, 1000).unwrap().as_deref(), Some(&b""[..]));
    assert_eq!(store.task_log_size(c.id, t2.id).unwrap(), None);

    // Last-rendered images: the newest's thumbnails replace the ones before; the job whose
    // image came last is known.
    assert_eq!(store.last_rendered(c.id).unwrap(), None);
    assert_eq!(store.newest_last_rendered().unwrap(), None);
    let first = image(t1, "first");
    atomically(store, |s| s.put_last_rendered(c.id, first.clone()));
    assert_eq!(store.last_rendered(c.id).unwrap(), Some(first));
    let second = image(t2, "second");
    atomically(store, |s| s.put_last_rendered(c.id, second.clone()));
    assert_eq!(store.last_rendered(c.id).unwrap(), Some(second));
    let other_job = image(&tasks[2], "other job");
    atomically(store, |s| s.put_last_rendered(b.id, other_job.clone()));
    assert_eq!(store.newest_last_rendered().unwrap(), Some(b.id));
    let mut earlier = image(t1, "earlier");
    earlier.received = other_job.received - chrono::Duration::seconds(5);
    atomically(store, |s| s.put_last_rendered(a.id, earlier.clone()));
    assert_eq!(store.newest_last_rendered().unwrap(), Some(b.id), "by arrival time, not by order stored");

    // Job blocklists: in the order added, once each; they go with their job or worker.
    let w3 = worker("w3");
    let block = |job: &Job, worker: &Worker, task_type: &str| JobBlock {
        job_id: job.id,
        worker_id: worker.id,
        task_type: task_type.to_owned(),
    };
    let entries = [block(&c, &w2, "blender"), block(&c, &w3, "blender"), block(&c, &w2, "ffmpeg")];
    atomically(store, |s| {
        s.put_worker(w3.clone())?;
        for entry in entries.iter().chain(&entries) {
            s.add_job_block(entry)?;
        }
        s.add_job_block(&block(&b, &w2, "blender"))
    });
    assert_eq!(store.job_blocklist(c.id).unwrap(), entries);
    assert!(store.remove_job_block(&entries[2]).unwrap());
    assert!(!store.remove_job_block(&entries[2]).unwrap());
    atomically(store, |s| s.remove_worker(w3.id).map(drop));
    assert_eq!(store.job_blocklist(c.id).unwrap(), [entries[0].clone()]);
    assert_eq!(store.job_blocklist(b.id).unwrap(), [block(&b, &w2, "blender")]);

    // Removing a job removes its tasks, their logs, its image and its blocklist, and
    // nothing else.
    let other = task(&b, "other");
    atomically(store, |s| s.put_task(other.clone()));
    atomically(store, |s| s.remove_job(c.id).map(|removed| assert_eq!(removed.map(|j| j.id), Some(c.id))));
    assert_eq!(store.job(c.id).unwrap(), None);
    assert_eq!(store.tasks_of_job(c.id).unwrap(), []);
    assert_eq!(store.task(t1.id).unwrap(), None);
    assert_eq!(store.task_log_size(c.id, t1.id).unwrap(), None);
    assert_eq!(store.last_rendered(c.id).unwrap(), None);
    assert_eq!(store.job_blocklist(c.id).unwrap(), []);
    assert_eq!(store.job_blocklist(b.id).unwrap().len(), 1);
    assert_eq!(store.task(other.id).unwrap(), Some(other));
    assert_eq!(store.remove_job(c.id).unwrap(), None);
}

#[test]
fn in_memory_store() {
    check_store(&InMemoryStorage::new());
}

#[test]
fn sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStorage::open(&dir.path().join("db.sqlite"), &dir.path().join("files")).unwrap();
    check_store(&store);
}

#[test]
fn sqlite_keeps_everything_across_reopening_and_rolls_back_refused_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (db, files) = (dir.path().join("db.sqlite"), dir.path().join("files"));
    let (kept, t) = {
        let store = SqliteStorage::open(&db, &files).unwrap();
        let kept = job("kept");
        let t = task(&kept, "t");
        atomically(&store, |s| {
            s.put_job(kept.clone())?;
            s.put_task(t.clone())?;
            s.put_last_rendered(kept.id, image(&t, "kept"))?;
            s.append_task_log(kept.id, t.id, "log ✓\n")
        });
        let refused = store.atomically(&mut |s| {
            s.put_job(job("half-written"))?;
            Err(Error::invalid("refused after a write"))
        });
        assert_eq!(refused, Err(Error::invalid("refused after a write")));
        (kept, t)
    };
    let store = SqliteStorage::open(&db, &files).unwrap();
    assert_eq!(store.jobs().unwrap(), std::slice::from_ref(&kept));
    assert_eq!(store.tasks_of_job(kept.id).unwrap(), std::slice::from_ref(&t));
    assert_eq!(store.read_task_log(kept.id, t.id, 0).unwrap().as_deref(), Some("log ✓\n".as_bytes()));
    let kept_image = store.last_rendered(kept.id).unwrap().expect("the image is kept");
    assert_eq!(kept_image.task_id, t.id);
    assert_eq!(
        kept_image.thumbnail("last-rendered-tiny.jpg").map(|b| &b[..]),
        Some("\u{ff}\u{d8} kept tiny".as_bytes())
    );
}

#[test]
fn sqlite_full_disk_is_unavailable_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStorage::open(&dir.path().join("db.sqlite"), &dir.path().join("files")).unwrap();
    let before = job("before");
    atomically(&store, |s| s.put_job(before.clone()));
    // The closest thing to a full disk that a test can make: no page may be added.
    store
        .write(|c| {
            c.db.pragma_update(
                None,
                "max_page_count",
                c.db.pragma_query_value(None, "page_count", |r| r.get::<_, i64>(0))?,
            )
        })
        .unwrap();
    let mut big = job("big");
    big.activity = "x".repeat(64 * 1024);
    let result = store.atomically(&mut |s| Ok(s.put_job(big.clone())?));
    let Err(Error::Storage(error)) = result else { panic!("a full database refuses: {result:?}") };
    assert!(error.is_unavailable(), "{error}");
    assert_eq!(store.jobs().unwrap(), [before]);
}

/// Opening `database` is refused with a message containing `why`, naming the file.
fn check_refused(database: &std::path::Path, files: &std::path::Path, why: &str) {
    let error = SqliteStorage::open(database, files).expect_err("refused").to_string();
    assert!(error.contains(&database.display().to_string()), "{error}");
    assert!(error.contains(why), "{error:?} should say {why:?}");
    assert!(!error.contains('\n'), "one line: {error:?}");
}

#[test]
fn sqlite_refuses_what_it_cannot_trust() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database at all\n".repeat(300)).unwrap();
    check_refused(&text, &files, "is not a SQLite database");

    let newer = dir.path().join("newer.sqlite");
    drop(SqliteStorage::open(&newer, &files).unwrap());
    rusqlite::Connection::open(&newer).unwrap().pragma_update(None, "user_version", 99).unwrap();
    check_refused(&newer, &files, "schema version 99 is newer than this manager knows (up to 5)");

    let corrupt = dir.path().join("corrupt.sqlite");
    {
        let store = SqliteStorage::open(&corrupt, &files).unwrap();
        for i in 0..200 {
            let mut j = job(&format!("job {i}"));
            j.activity = "x".repeat(500);
            atomically(&store, |s| s.put_job(j.clone()));
        }
    }
    // Garbage over the pages after the first two (the header and the schema stay intact).
    let mut bytes = std::fs::read(&corrupt).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page, "the database has data pages: {} bytes", bytes.len());
    for b in &mut bytes[2 * page..] {
        *b = 0x5a;
    }
    std::fs::write(&corrupt, bytes).unwrap();
    check_refused(&corrupt, &files, "corrupt");

    check_refused(&dir.path().join("missing/db.sqlite"), &files, "cannot be opened or created");
    check_refused(dir.path(), &files, "cannot be opened or created");

    let unwritable = dir.path().join("a-file");
    std::fs::write(&unwritable, b"").unwrap();
    let error = SqliteStorage::open(&dir.path().join("ok.sqlite"), &unwritable).unwrap_err().to_string();
    assert!(error.starts_with(&format!("cannot use the storage path {}", unwritable.display())), "{error}");
}

#[test]
fn sqlite_job_files_never_follow_a_link_out_of_the_storage_path() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    let store = SqliteStorage::open(&dir.path().join("db.sqlite"), &files).unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();

    // A job folder that is a link to a folder outside, holding a "log".
    let (linked_job, task_id) = (Uuid::new_v4(), Uuid::new_v4());
    std::fs::write(outside.join(format!("task-{task_id}.txt")), "secret\n").unwrap();
    let job_dir = files.join(files::job_dir(linked_job));
    std::fs::create_dir_all(job_dir.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&outside, &job_dir).unwrap();
    assert_eq!(store.read_task_log(linked_job, task_id, 0).unwrap(), None);
    assert_eq!(store.task_log_size(linked_job, task_id).unwrap(), None);
    assert!(store.append_task_log(linked_job, task_id, "more\n").is_err());
    assert_eq!(std::fs::read_to_string(outside.join(format!("task-{task_id}.txt"))).unwrap(), "secret\n");

    // A log file that is itself a link to a file outside.
    let (job_id, task_id) = (Uuid::new_v4(), Uuid::new_v4());
    let secret = outside.join("passwd");
    std::fs::write(&secret, "root:x:0:0\n").unwrap();
    let log = files.join(JobFile::TaskLog { job_id, task_id }.relative_path());
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&secret, &log).unwrap();
    assert_eq!(store.read_task_log(job_id, task_id, 0).unwrap(), None);
    assert!(store.append_task_log(job_id, task_id, "more\n").is_err());
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "root:x:0:0\n");
}

#[test]
fn sqlite_gives_tasks_of_an_older_database_their_place_and_one_step_each() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("v1.sqlite");
    {
        let db = rusqlite::Connection::open(&database).unwrap();
        db.execute_batch(include_str!("../../migrations/0001_initial.sql")).unwrap();
        db.pragma_update(None, "user_version", 1).unwrap();
        db.execute_batch(
            "INSERT INTO jobs (uuid, name, job_type, priority, settings, metadata, submitter_platform,
                created, updated, status, activity)
             VALUES ('00000000-0000-4000-8000-000000000001', 'old', 'echo-sleep-test', 50, '{}', '{}',
                'linux', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', 'active', '');
             INSERT INTO tasks (uuid, job_uuid, name, status, priority, task_type, activity, commands,
                created, updated, failed_by_workers, depends_on)
             VALUES
               ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-000000000001', 'echo',
                'completed', 50, 'misc', '', '[]', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', '[]', '[]'),
               ('00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-000000000001', 'sleep',
                'queued', 50, 'misc', '', '[]', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', '[]', '[]');",
        )
        .unwrap();
    }
    let store = SqliteStorage::open(&database, &dir.path().join("files")).unwrap();
    let job_id: Uuid = "00000000-0000-4000-8000-000000000001".parse().unwrap();
    let tasks: Vec<(String, u32, u32, u32)> = store
        .tasks_of_job(job_id)
        .unwrap()
        .into_iter()
        .map(|t| (t.name, t.index_in_job, t.steps_completed, t.steps_total))
        .collect();
    assert_eq!(tasks, [("echo".to_owned(), 1, 1, 1), ("sleep".to_owned(), 2, 0, 1)]);
    let job = store.job(job_id).unwrap().unwrap();
    assert_eq!((job.steps_completed, job.steps_total), (1, 2));
}
