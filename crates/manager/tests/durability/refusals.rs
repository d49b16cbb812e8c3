//! Files the manager cannot trust are refused at start with one line, and a database it
//! cannot write answers changes with 503 while reads go on.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::json;
use test_support::{ManagerProcess, metric};

use crate::support::*;

/// Starting on `database` is refused with a line naming it and saying `why`.
async fn check_refused(farm: &Farm, database: &Path, why: &str) {
    let storage = farm.storage().display().to_string();
    let database_arg = database.display().to_string();
    let (code, stderr) =
        ManagerProcess::refused(MANAGER, &["--database", &database_arg, "--storage-path", &storage]).await;
    assert!(code.is_some_and(|c| c != 0), "exits non-zero: {code:?} {stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains(&database_arg) && last.contains(why), "one line naming the file and why: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_newer_and_foreign_files_and_an_unwritable_storage_path_are_refused() {
    let farm = Farm::new();
    let text = farm.dir.path().join("notes.txt");
    std::fs::write(&text, "these are notes, not a database\n".repeat(200)).unwrap();
    check_refused(&farm, &text, "is not a SQLite database").await;

    let m = farm.start().await;
    let api = Api::of(&m);
    for i in 0..100 {
        api.submit(&format!("job {i} {}", "x".repeat(300))).await.expect("an answer");
    }
    drop(api);
    stop(m).await;

    let newer = farm.dir.path().join("newer.sqlite");
    std::fs::copy(farm.database(), &newer).unwrap();
    rusqlite::Connection::open(&newer).unwrap().pragma_update(None, "user_version", 99).unwrap();
    check_refused(&farm, &newer, "schema version 99 is newer").await;

    let corrupt = farm.dir.path().join("corrupt.sqlite");
    let mut bytes = std::fs::read(farm.database()).unwrap();
    assert!(bytes.len() > 8 * 4096, "{} bytes", bytes.len());
    for b in &mut bytes[2 * 4096..] {
        *b = 0x5a;
    }
    std::fs::write(&corrupt, bytes).unwrap();
    check_refused(&farm, &corrupt, "corrupt").await;

    let a_file = farm.dir.path().join("a-file");
    std::fs::write(&a_file, b"").unwrap();
    let (code, stderr) = ManagerProcess::refused(
        MANAGER,
        &[
            "--database",
            &farm.database().display().to_string(),
            "--storage-path",
            &a_file.display().to_string(),
        ],
    )
    .await;
    assert!(code.is_some_and(|c| c != 0), "{stderr}");
    assert!(
        stderr.lines().last().unwrap_or_default().contains(&format!("storage path {}", a_file.display())),
        "{stderr}"
    );

    // The original, untouched, still starts with everything in it.
    let m = farm.start().await;
    assert_eq!(Api::of(&m).json("/api/v3/jobs").await["jobs"].as_array().map(Vec::len), Some(100));
}

/// Makes a file immutable (even to root) while it lives, so the database cannot be written.
struct Immutable(PathBuf);

impl Immutable {
    fn new(path: PathBuf) -> Immutable {
        let status = std::process::Command::new("chattr").arg("+i").arg(&path).status().expect("chattr");
        assert!(status.success(), "chattr +i {}", path.display());
        Immutable(path)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_database_answers_changes_with_503_serves_reads_and_finishes_jobs_once_writable() {
    let farm = Farm::new();
    let m = farm.start().await;
    let (_, job) = Api::of(&m).submit("kept").await.expect("an answer");
    let job_id = job["id"].as_str().expect("id").to_owned();
    stop(m).await;
    // As a manager stopped in the middle of cancelling it would leave it.
    let db = rusqlite::Connection::open(farm.database()).unwrap();
    db.execute("UPDATE jobs SET status = 'cancel-requested' WHERE uuid = ?1", [&job_id]).unwrap();
    drop(db);

    let immutable = Immutable::new(farm.database());
    let m = farm.start().await;
    let api = Api::of(&m);
    let (status, body) = api
        .post(&format!("/api/v3/jobs/{job_id}/setpriority"), None, json!({"priority": 70}))
        .await
        .expect("an answer");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], 503);
    assert!(body["message"].as_str().unwrap_or_default().contains("storage error"), "{body}");
    let (status, _) = api.submit("refused").await.expect("an answer");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let jobs = api.json("/api/v3/jobs").await;
    assert_eq!(jobs["jobs"].as_array().map(Vec::len), Some(1), "reads go on: {jobs}");
    assert_eq!(api.json(&format!("/api/v3/jobs/{job_id}")).await["priority"], 50);
    let metrics = m.metrics().await;
    assert!(metric(&metrics, "storage_errors_total{kind=\"unavailable\"}") >= 2.0, "counted: {metrics}");
    assert!(metrics.contains("# HELP storage_errors_total"), "described: {metrics}");
    assert!(m.logged("storage error"), "logged");
    assert_eq!(api.json(&format!("/api/v3/jobs/{job_id}")).await["status"], "cancel-requested");
    assert!(
        m.logged("cannot finish the jobs a previous run left half-way now"),
        "said why it is not finished"
    );

    // Writable again, the next start finishes the cancellation, as Flamenco does.
    stop(m).await;
    drop(immutable);
    let m = farm.start().await;
    let api = Api::of(&m);
    assert_eq!(api.json(&format!("/api/v3/jobs/{job_id}")).await["status"], "canceled");
    let tasks = api.json(&format!("/api/v3/jobs/{job_id}/tasks")).await;
    let statuses: Vec<&str> =
        tasks["tasks"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["canceled", "canceled"]);
}
