//! A restart, clean or after SIGKILL, keeps everything the web app can read.

use std::collections::HashMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

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
            for suffix in image["suffixes"].as_array().expect("suffixes") {
                let url =
                    format!("{}/{}", image["base"].as_str().expect("base"), suffix.as_str().expect("suffix"));
                files.insert(url.clone(), json!({"bytes": api.get(&url).await.1}));
            }
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
    let png = test_support::ONE_PIXEL_PNG.to_vec();
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
        Some(4),
        "one log and the image's three thumbnails: {}",
        before["files"]
    );
    let job_id = job["id"].as_str().expect("id");
    let image_url = format!("/job-files/job-{}/{job_id}/last-rendered-tiny.jpg", &job_id[..4]);
    let jpeg = before["files"][&image_url]["bytes"].as_array().expect("the tiny thumbnail is served");
    assert_eq!(jpeg[..2], [json!(0xff), json!(0xd8)], "a JPEG");

    // A clean stop, then SIGKILL: both keep everything.
    stop(m).await;
    let m = farm.start().await;
    assert_eq!(snapshot(&Api::of(&m)).await, before, "after a clean restart");
    m.kill().await;
    let m = farm.start().await;
    assert_eq!(snapshot(&Api::of(&m)).await, before, "after SIGKILL and a restart");
}
