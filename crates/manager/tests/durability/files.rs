//! Task logs served byte for byte, and no `/job-files/` path leading outside the storage
//! path.

use reqwest::StatusCode;
use serde_json::json;
use test_support::{ManagerProcess, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

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
