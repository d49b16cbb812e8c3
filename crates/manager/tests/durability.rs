//! Durable state, against the real binary and a real SQLite file: a restart keeps
//! everything, SIGKILL under load loses nothing acknowledged, files the manager cannot
//! trust are refused with one clear line, a read-only database answers 503 while reads go
//! on, task logs are served byte for byte, and no `/job-files/` path leads elsewhere.
//! Every wait is bounded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::{ManagerProcess, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MANAGER: &str = env!("CARGO_BIN_EXE_manager");
const SECRET: &str = "durable-secret";

/// A database file and a storage folder in a temporary folder of their own.
struct Farm {
    dir: tempfile::TempDir,
}

impl Farm {
    fn new() -> Farm {
        Farm { dir: tempfile::tempdir().expect("a temporary folder") }
    }

    fn database(&self) -> PathBuf {
        self.dir.path().join("flamenco-manager.sqlite")
    }

    fn storage(&self) -> PathBuf {
        self.dir.path().join("flamenco-manager-storage")
    }

    fn args(&self) -> Vec<String> {
        vec![
            "--database".to_owned(),
            self.database().display().to_string(),
            "--storage-path".to_owned(),
            self.storage().display().to_string(),
        ]
    }

    async fn start(&self) -> ManagerProcess {
        let args = self.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ManagerProcess::start(MANAGER, &args).await
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).build().expect("http client")
}

/// A REST client of one manager.
#[derive(Clone)]
struct Api {
    base: String,
    client: reqwest::Client,
}

/// A worker's credential.
#[derive(Clone)]
struct WorkerId(String);

impl Api {
    fn of(m: &ManagerProcess) -> Api {
        Api { base: m.url(), client: http() }
    }

    async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let res = self.client.get(format!("{}{path}", self.base)).send().await.expect("GET");
        (res.status(), res.bytes().await.expect("body").to_vec())
    }

    async fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).expect("JSON")
    }

    /// POSTs `body`; `Err` when no answer came (the manager is gone).
    async fn post(
        &self,
        path: &str,
        worker: Option<&WorkerId>,
        body: Value,
    ) -> Result<(StatusCode, Value), String> {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(WorkerId(id)) = worker {
            req = req.basic_auth(id, Some(SECRET));
        }
        let res = req.send().await.map_err(|e| e.to_string())?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
    }

    async fn ok(&self, path: &str, worker: Option<&WorkerId>, body: Value) -> Value {
        let (status, answer) = self.post(path, worker, body).await.expect("an answer");
        assert!(status.is_success(), "POST {path}: {status} {answer}");
        answer
    }

    async fn submit(&self, name: &str) -> Result<(StatusCode, Value), String> {
        let job = json!({
            "name": name, "type": "echo-sleep-test", "priority": 50, "submitter_platform": "linux",
            "settings": {"message": "hi", "sleep_duration_seconds": 1}
        });
        self.post("/api/v3/jobs", None, job).await
    }

    /// A registered worker, signed on and awake.
    async fn awake_worker(&self, name: &str) -> WorkerId {
        let registration =
            json!({"secret": SECRET, "platform": "linux", "supported_task_types": ["misc"], "name": name});
        let worker = self.ok("/api/v3/worker/register-worker", None, registration).await;
        let id = WorkerId(worker["uuid"].as_str().expect("uuid").to_owned());
        let sign_on = json!({"name": name, "supported_task_types": ["misc"], "software_version": "3.9"});
        self.ok("/api/v3/worker/sign-on", Some(&id), sign_on).await;
        self.ok("/api/v3/worker/state-changed", Some(&id), json!({"status": "awake"})).await;
        id
    }
}

/// Everything the web app can read of the farm, for comparing before and after.
async fn snapshot(api: &Api) -> Value {
    let jobs = api.json("/api/v3/jobs").await;
    let mut tasks = Vec::new();
    let mut files = HashMap::new();
    for job in jobs["jobs"].as_array().expect("jobs") {
        let id = job["id"].as_str().expect("id");
        let summary = api.json(&format!("/api/v3/jobs/{id}/tasks")).await;
        for task in summary["tasks"].as_array().expect("tasks") {
            let task_id = task["id"].as_str().expect("id");
            tasks.push(api.json(&format!("/api/v3/tasks/{task_id}")).await);
            let (status, info) = api.get(&format!("/api/v3/tasks/{task_id}/log")).await;
            if status == StatusCode::OK {
                let info: Value = serde_json::from_slice(&info).expect("TaskLogInfo");
                let url = info["url"].as_str().expect("url").to_owned();
                files.insert(url.clone(), json!({"info": info, "bytes": api.get(&url).await.1}));
            }
        }
        let (status, image) = api.get(&format!("/api/v3/jobs/{id}/last-rendered")).await;
        if status == StatusCode::OK {
            let image: Value = serde_json::from_slice(&image).expect("image info");
            let url = format!(
                "{}/{}",
                image["base"].as_str().expect("base"),
                image["suffixes"][0].as_str().expect("suffix")
            );
            files.insert(url.clone(), json!({"bytes": api.get(&url).await.1}));
        }
    }
    let workers = api.json("/api/v3/worker-mgt/workers").await;
    let mut details = Vec::new();
    for worker in workers["workers"].as_array().expect("workers") {
        details.push(
            api.json(&format!("/api/v3/worker-mgt/workers/{}", worker["id"].as_str().expect("id"))).await,
        );
    }
    json!({
        "jobs": jobs, "tasks": tasks, "workers": details,
        "tags": api.json("/api/v3/worker-mgt/tags").await, "files": files,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_jobs_tasks_workers_tags_logs_and_images() {
    let farm = Farm::new();
    let m = farm.start().await;
    let api = Api::of(&m);
    api.ok("/api/v3/worker-mgt/tags", None, json!({"name": "GPU", "description": "with a GPU"})).await;
    let (status, job) = api.submit("kept").await.expect("an answer");
    assert_eq!(status, StatusCode::OK);
    api.submit("second").await.expect("an answer");
    let worker = api.awake_worker("w1").await;
    let task = api.ok("/api/v3/worker/task", Some(&worker), json!({})).await;
    let task_id = task["uuid"].as_str().expect("uuid").to_owned();
    let update = json!({"taskStatus": "active", "activity": "echoing", "log": "größer ✓\nline two\n"});
    api.ok(&format!("/api/v3/worker/task/{task_id}"), Some(&worker), update).await;
    let png = b"\x89PNG\r\n\x1a\nnot really a png".to_vec();
    let res = http()
        .post(format!("{}/api/v3/worker/task/{task_id}/output-produced", m.url()))
        .basic_auth(&worker.0, Some(SECRET))
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .expect("output-produced");
    assert_eq!(res.status(), StatusCode::ACCEPTED);

    let before = snapshot(&api).await;
    assert_eq!(before["jobs"]["jobs"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        before["files"].as_object().map(|f| f.len()),
        Some(2),
        "one log and one image: {}",
        before["files"]
    );
    let job_id = job["id"].as_str().expect("id");
    let image_url = format!("/job-files/job-{}/{job_id}/last-rendered.png", &job_id[..4]);
    assert_eq!(before["files"][&image_url]["bytes"], json!(png));

    // A clean stop, then SIGKILL: both keep everything.
    let status =
        std::process::Command::new("kill").args(["-TERM", &m.pid().to_string()]).status().expect("kill");
    assert!(status.success());
    let mut m = m;
    assert!(m.wait(WAIT).await.is_some(), "stops on SIGTERM");
    let m = farm.start().await;
    assert_eq!(snapshot(&Api::of(&m)).await, before, "after a clean restart");
    m.kill().await;
    let m = farm.start().await;
    assert_eq!(snapshot(&Api::of(&m)).await, before, "after SIGKILL and a restart");
}

/// What a client asked for and what it got a 2xx for, in order.
#[derive(Default)]
struct Ledger {
    /// Jobs whose submission was acknowledged.
    jobs: Vec<String>,
    /// Per task: the log chunks acknowledged, and the chunk in flight when the manager died.
    logs: HashMap<String, (String, Option<String>)>,
    /// Per task: the status last acknowledged, and the one in flight.
    statuses: HashMap<String, (String, Option<String>)>,
    acknowledged: usize,
}

async fn submitter(api: Api, ledger: Arc<Mutex<Ledger>>, n: usize) {
    for i in 0.. {
        match api.submit(&format!("job {n}.{i}")).await {
            Ok((status, job)) if status == StatusCode::OK => {
                let mut ledger = ledger.lock().unwrap();
                ledger.jobs.push(job["id"].as_str().expect("id").to_owned());
                ledger.acknowledged += 1;
            }
            _ => return,
        }
    }
}

async fn worker_loop(api: Api, ledger: Arc<Mutex<Ledger>>, worker: WorkerId) {
    loop {
        let Ok((status, task)) = api.post("/api/v3/worker/task", Some(&worker), json!({})).await else {
            return;
        };
        if status == StatusCode::NO_CONTENT {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        }
        if status != StatusCode::OK {
            return;
        }
        let task_id = task["uuid"].as_str().expect("uuid").to_owned();
        ledger.lock().unwrap().statuses.insert(task_id.clone(), ("active".to_owned(), None));
        let path = format!("/api/v3/worker/task/{task_id}");
        for chunk in 0..5 {
            let line = format!("{task_id} chunk {chunk}: ünïcödé ✓\n");
            ledger.lock().unwrap().logs.entry(task_id.clone()).or_default().1 = Some(line.clone());
            match api.post(&path, Some(&worker), json!({"log": line})).await {
                Ok((s, _)) if s == StatusCode::NO_CONTENT => {
                    let mut ledger = ledger.lock().unwrap();
                    let log = ledger.logs.entry(task_id.clone()).or_default();
                    log.0.push_str(&line);
                    log.1 = None;
                    ledger.acknowledged += 1;
                }
                _ => return,
            }
        }
        ledger.lock().unwrap().statuses.entry(task_id.clone()).or_default().1 = Some("completed".to_owned());
        match api.post(&path, Some(&worker), json!({"taskStatus": "completed"})).await {
            Ok((s, _)) if s == StatusCode::NO_CONTENT => {
                let mut ledger = ledger.lock().unwrap();
                ledger.statuses.insert(task_id, ("completed".to_owned(), None));
                ledger.acknowledged += 1;
            }
            _ => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_submissions_and_task_updates_loses_nothing_acknowledged() {
    let farm = Farm::new();
    let m = farm.start().await;
    let api = Api::of(&m);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut clients = Vec::new();
    for n in 0..4 {
        clients.push(tokio::spawn(submitter(api.clone(), ledger.clone(), n)));
    }
    for n in 0..4 {
        let worker = api.awake_worker(&format!("worker {n}")).await;
        clients.push(tokio::spawn(worker_loop(api.clone(), ledger.clone(), worker)));
    }
    // Kill once plenty was acknowledged, with every client still sending.
    let enough = async {
        while ledger.lock().unwrap().acknowledged < 300 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), enough)
        .await
        .expect("300 changes acknowledged");
    m.kill().await;
    for client in clients {
        tokio::time::timeout(WAIT * 3, client)
            .await
            .expect("clients stop once the manager is gone")
            .expect("no panic");
    }

    let m = farm.start().await;
    let api = Api::of(&m);
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    let stored: Vec<String> = api.json("/api/v3/jobs").await["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["id"].as_str().expect("id").to_owned())
        .collect();
    for job in &ledger.jobs {
        assert!(stored.contains(job), "acknowledged job {job} is lost");
    }
    assert!(stored.len() <= ledger.jobs.len() + 4, "at most one unanswered submission per client is kept");
    let mut logs_checked = 0;
    for (task, (acked, in_flight)) in &ledger.logs {
        let (status, bytes) = api.get(&format!("/api/v3/tasks/{task}/logtail")).await;
        if acked.is_empty() {
            continue;
        }
        assert_eq!(status, StatusCode::OK, "task {task} has its log");
        let info = api.json(&format!("/api/v3/tasks/{task}/log")).await;
        let (_, whole) = api.get(info["url"].as_str().expect("url")).await;
        let whole = String::from_utf8(whole).expect("UTF-8");
        let with_in_flight = in_flight.as_ref().map(|line| format!("{acked}{line}"));
        assert!(
            whole == *acked || Some(&whole) == with_in_flight.as_ref(),
            "task {task}: the log is every acknowledged chunk (and at most the one in flight): {whole:?} vs {acked:?}"
        );
        assert!(!bytes.is_empty());
        logs_checked += 1;
    }
    for (task, (acked, in_flight)) in &ledger.statuses {
        let stored =
            api.json(&format!("/api/v3/tasks/{task}")).await["status"].as_str().expect("status").to_owned();
        assert!(
            stored == *acked || Some(&stored) == in_flight.as_ref(),
            "task {task}: {stored}, acknowledged {acked}, in flight {in_flight:?}"
        );
    }
    eprintln!(
        "{} jobs, {logs_checked} task logs and {} task statuses acknowledged before SIGKILL were all kept",
        ledger.jobs.len(),
        ledger.statuses.len()
    );
    assert!(
        !ledger.jobs.is_empty() && logs_checked > 0,
        "the load did both: {} jobs, {logs_checked} logs",
        ledger.jobs.len()
    );
}

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
    let mut m = m;
    std::process::Command::new("kill").args(["-TERM", &m.pid().to_string()]).status().expect("kill");
    m.wait(WAIT).await.expect("stops");

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
async fn a_read_only_database_answers_changes_with_503_and_still_serves_reads() {
    let farm = Farm::new();
    let mut m = farm.start().await;
    let (_, job) = Api::of(&m).submit("kept").await.expect("an answer");
    let job_id = job["id"].as_str().expect("id").to_owned();
    std::process::Command::new("kill").args(["-TERM", &m.pid().to_string()]).status().expect("kill");
    m.wait(WAIT).await.expect("stops");

    let _immutable = Immutable::new(farm.database());
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
    let metrics = String::from_utf8(api.get("/metrics").await.1).unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("storage_errors_total{kind=\"unavailable\"}") && !l.ends_with(" 0")),
        "counted: {metrics}"
    );
    assert!(m.logged("storage error"), "logged");
}

/// Sends a raw `GET path` (no client normalises `..` away) and returns the status line.
async fn raw_get(m: &ManagerProcess, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(m.addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut answer)).await.expect("an answer").expect("read");
    String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_byte_exact_and_no_job_files_path_leads_outside_the_storage_path() {
    let farm = Farm::new();
    let m = farm.start().await;
    let api = Api::of(&m);
    let (_, job) = api.submit("logs").await.expect("an answer");
    let job_id = job["id"].as_str().expect("id").to_owned();
    let worker = api.awake_worker("w").await;
    let task = api.ok("/api/v3/worker/task", Some(&worker), json!({})).await;
    let task_id = task["uuid"].as_str().expect("uuid").to_owned();
    // 3-byte characters; the last 2048 bytes start inside one, in the middle of a line.
    let lines: Vec<String> = (0..12).map(|i| format!("{i:02} {}\n", "✓".repeat(70))).collect();
    for line in &lines {
        api.ok(&format!("/api/v3/worker/task/{task_id}"), Some(&worker), json!({"log": line})).await;
    }
    let log = lines.concat();
    let start = log.len() - 2048;
    assert!(!log.is_char_boundary(start), "the tail starts inside a character");
    let first_whole = start + log.as_bytes()[start..].iter().position(|b| *b == b'\n').map_or(0, |i| i + 1);
    let info = api.json(&format!("/api/v3/tasks/{task_id}/log")).await;
    assert_eq!(info["size"], log.len());
    let (status, whole) = api.get(info["url"].as_str().expect("url")).await;
    assert_eq!((status, whole), (StatusCode::OK, log.clone().into_bytes()));
    let res =
        http().get(format!("{}/api/v3/tasks/{task_id}/logtail", m.url())).send().await.expect("logtail");
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(res.bytes().await.expect("tail").to_vec(), &log.as_bytes()[first_whole..]);
    // Straight from the file, too.
    let file = farm.storage().join(format!("job-{}/{job_id}/task-{task_id}.txt", &job_id[..4]));
    assert_eq!(std::fs::read(&file).expect("the log file"), log.as_bytes());

    // A secret beside the storage path, and a link to it inside.
    let secret = farm.dir.path().join("secret.txt");
    std::fs::write(&secret, "do not serve\n").unwrap();
    let other_job = "0f9b4a8e-6a0e-4d0c-9d6e-0123456789ab";
    let other_task = "b6a5c3d2-1e0f-4a9b-8c7d-6e5f4a3b2c1d";
    let linked = farm.storage().join(format!("job-0f9b/{other_job}"));
    std::fs::create_dir_all(&linked).unwrap();
    std::os::unix::fs::symlink(&secret, linked.join(format!("task-{other_task}.txt"))).unwrap();
    for path in [
        "/job-files/../secret.txt".to_owned(),
        "/job-files/%2e%2e/secret.txt".to_owned(),
        "/job-files/%2E%2E%2Fsecret.txt".to_owned(),
        format!("/job-files/{}", secret.display()),
        format!("/job-files/job-{}/{job_id}/../../../secret.txt", &job_id[..4]),
        format!("/job-files/job-0f9b/{other_job}/task-{other_task}.txt"),
    ] {
        let status = raw_get(&m, &path).await;
        assert_eq!(status, "HTTP/1.1 404 Not Found", "{path}");
    }
}
