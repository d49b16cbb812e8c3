//! A farm on disk, the manager binary on it, and a REST client.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};
pub(crate) use test_support::http;
use test_support::{ManagerProcess, WAIT};

pub(crate) const MANAGER: &str = env!("CARGO_BIN_EXE_manager");
pub(crate) const SECRET: &str = "durable-secret";

/// A database file and a storage folder in a temporary folder of their own.
pub(crate) struct Farm {
    pub(crate) dir: tempfile::TempDir,
}

impl Farm {
    pub(crate) fn new() -> Farm {
        Farm { dir: tempfile::tempdir().expect("a temporary folder") }
    }

    pub(crate) fn database(&self) -> PathBuf {
        self.dir.path().join("flamenco-manager.sqlite")
    }

    pub(crate) fn storage(&self) -> PathBuf {
        self.dir.path().join("flamenco-manager-storage")
    }

    pub(crate) fn args(&self) -> Vec<String> {
        vec![
            "--database".to_owned(),
            self.database().display().to_string(),
            "--storage-path".to_owned(),
            self.storage().display().to_string(),
        ]
    }

    pub(crate) async fn start(&self) -> ManagerProcess {
        let args = self.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ManagerProcess::start(MANAGER, &args).await
    }
}

/// A REST client of one manager.
#[derive(Clone)]
pub(crate) struct Api {
    base: String,
    client: reqwest::Client,
}

/// A worker's credential.
#[derive(Clone)]
pub(crate) struct WorkerId(pub(crate) String);

impl Api {
    pub(crate) fn of(m: &ManagerProcess) -> Api {
        Api { base: m.url(), client: http() }
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let res = self.client.get(format!("{}{path}", self.base)).send().await.expect("GET");
        (res.status(), res.bytes().await.expect("body").to_vec())
    }

    pub(crate) async fn json(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).expect("JSON")
    }

    /// POSTs `body`; `Err` when no answer came (the manager is gone).
    pub(crate) async fn post(
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

    pub(crate) async fn ok(&self, path: &str, worker: Option<&WorkerId>, body: Value) -> Value {
        let (status, answer) = self.post(path, worker, body).await.expect("an answer");
        assert!(status.is_success(), "POST {path}: {status} {answer}");
        answer
    }

    pub(crate) async fn submit(&self, name: &str) -> Result<(StatusCode, Value), String> {
        let job = json!({
            "name": name, "type": "echo-sleep-test", "priority": 50, "submitter_platform": "linux",
            "settings": {"message": "hi", "sleep_duration_seconds": 1}
        });
        self.post("/api/v3/jobs", None, job).await
    }

    /// A registered worker, signed on and awake.
    pub(crate) async fn awake_worker(&self, name: &str) -> WorkerId {
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

/// Stops the manager cleanly (SIGTERM) and waits for it.
pub(crate) async fn stop(mut m: ManagerProcess) {
    let status =
        std::process::Command::new("kill").args(["-TERM", &m.pid().to_string()]).status().expect("kill");
    assert!(status.success());
    assert!(m.wait(WAIT).await.is_some(), "the manager stops on SIGTERM");
}
