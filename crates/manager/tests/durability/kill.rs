//! SIGKILL under concurrent submissions and task updates loses nothing a client got a 2xx
//! for: what each client was told is compared with what the restarted manager answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::json;
use test_support::WAIT;

use crate::support::*;

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
