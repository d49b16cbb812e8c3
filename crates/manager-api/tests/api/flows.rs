//! Whole scenarios over HTTP, recorded with the in-memory broadcaster: what each room
//! received, in order.

use std::sync::Arc;

use axum::http::StatusCode;
use broadcast_core::testing::InMemoryBroadcaster;
use broadcast_core::{Event, JobStatus, Room, TaskStatus};
use manager_api::Manager;
use manager_api::model::Worker;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::*;

pub(crate) fn recorded() -> (Manager, Arc<InMemoryBroadcaster>) {
    let recorder = Arc::new(InMemoryBroadcaster::new());
    (Manager::in_memory(recorder.clone()), recorder)
}

/// `(status, previous_status)` of every update a room received, `-` when absent.
pub(crate) fn statuses(events: &[(Event, Value)]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|(_, p)| {
            let s = |v: &Value| v.as_str().unwrap_or("-").to_owned();
            (s(&p["status"]), s(&p["previous_status"]))
        })
        .collect()
}

pub(crate) fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

/// Registers, signs on and wakes a worker over HTTP.
pub(crate) async fn start_worker(manager: &Manager, name: &str) -> Worker {
    let response = post("/api/v3/worker/register-worker")
        .json(json!({
            "name": name, "secret": SECRET, "platform": "linux",
            "supported_task_types": ["blender", "ffmpeg", "misc"]
        }))
        .send(manager)
        .await;
    response.assert_status(StatusCode::OK);
    let worker = manager.worker(id(&response.json()["uuid"])).unwrap();
    let sign_on = post("/api/v3/worker/sign-on")
        .worker(&worker)
        .json(json!({"name": name, "supported_task_types": ["blender", "ffmpeg", "misc"], "software_version": "3.6"}))
        .send(manager)
        .await;
    sign_on.assert_status(StatusCode::OK);
    assert_eq!(sign_on.json()["status_requested"], "awake");
    post("/api/v3/worker/state-changed")
        .worker(&worker)
        .json(json!({"status": "awake"}))
        .send(manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    worker
}

pub(crate) async fn submit(manager: &Manager, job: Value) -> Uuid {
    let response = post("/api/v3/jobs").json(job).send(manager).await;
    response.assert_status(StatusCode::OK);
    id(&response.json()["id"])
}

pub(crate) async fn report(manager: &Manager, worker: &Worker, task_id: Uuid, update: Value) {
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(worker)
        .json(update)
        .send(manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_render_job_from_submission_to_completion() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, render_json("1-2", 1)).await;
    let worker = start_worker(&manager, "renderer").await;

    let mut done = Vec::new();
    loop {
        let response = post("/api/v3/worker/task").worker(&worker).send(&manager).await;
        if response.status == StatusCode::NO_CONTENT {
            break;
        }
        response.assert_status(StatusCode::OK);
        let assigned = response.json();
        let task_id = id(&assigned["uuid"]);
        let name = assigned["name"].as_str().unwrap().to_owned();
        report(
            &manager,
            &worker,
            task_id,
            json!({"activity": "working", "log": format!("{name} started\n")}),
        )
        .await;
        if assigned["task_type"] == "blender" {
            post(format!("/api/v3/worker/task/{task_id}/output-produced"))
                .worker(&worker)
                .raw("image/jpeg", picture(image::ImageFormat::Jpeg, 64, 36, done.len() as u8))
                .send(&manager)
                .await
                .assert_status(StatusCode::ACCEPTED);
        }
        report(&manager, &worker, task_id, json!({"taskStatus": "completed", "log": "done\n"})).await;
        done.push((task_id, name));
    }
    post("/api/v3/worker/sign-off")
        .worker(&worker)
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    let names: Vec<&str> = done.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["render-1", "render-2", "preview-video"]);
    let job = get(format!("/api/v3/jobs/{job_id}")).send(&manager).await.json();
    assert_eq!(job["status"], "completed");

    let jobs = recorder.events(Room::Jobs);
    assert!(jobs.iter().all(|(e, p)| *e == Event::Jobs && p["id"] == json!(job_id)));
    // Each completed render moves the job's steps on (one step per frame, one for the
    // preview) with a job update of its own.
    assert_eq!(
        statuses(&jobs),
        pairs(&[
            ("queued", "-"),
            ("active", "queued"),
            ("active", "-"),
            ("active", "-"),
            ("completed", "active")
        ])
    );
    let steps: Vec<(u64, u64)> = jobs
        .iter()
        .map(|(_, p)| (p["steps_completed"].as_u64().unwrap(), p["steps_total"].as_u64().unwrap()))
        .collect();
    assert_eq!(steps, [(0, 3), (0, 3), (1, 3), (2, 3), (3, 3)]);

    // The job room: per task, active, the activity, the image for renders, completed.
    let job_room: Vec<(Event, String, String)> = recorder
        .events(Room::Job(job_id))
        .into_iter()
        .map(|(e, p)| {
            let what = match e {
                Event::Task => format!(
                    "{} {}",
                    p["status"].as_str().unwrap(),
                    p["previous_status"].as_str().unwrap_or("-")
                ),
                _ => p["thumbnail"]["suffixes"][0].as_str().unwrap().to_owned(),
            };
            let task = p.get("id").or(p.get("task_id")).cloned().unwrap();
            (e, id(&task).to_string(), what)
        })
        .collect();
    let mut expected = Vec::new();
    for (task_id, name) in &done {
        let t = task_id.to_string();
        expected.push((Event::Task, t.clone(), "active queued".to_owned()));
        expected.push((Event::Task, t.clone(), "active -".to_owned()));
        if name.starts_with("render") {
            expected.push((Event::LastRendered, t.clone(), "last-rendered.jpg".to_owned()));
        }
        expected.push((Event::Task, t.clone(), "completed active".to_owned()));
    }
    assert_eq!(job_room, expected);

    for (task_id, name) in &done {
        let logs: Vec<Value> = recorder
            .events(Room::TaskLog(*task_id))
            .into_iter()
            .map(|(e, p)| {
                assert_eq!(e, Event::TaskLog);
                p
            })
            .collect();
        assert_eq!(
            logs,
            [
                json!({"task_id": task_id, "log": format!("{name} started\n")}),
                json!({"task_id": task_id, "log": "done\n"})
            ]
        );
    }

    let last_rendered = recorder.events(Room::LastRendered);
    assert_eq!(last_rendered.len(), 2);
    assert_eq!(last_rendered[1].1["task_id"], json!(done[1].0));
    assert_eq!(last_rendered[1].1["thumbnail"]["base"], job_files(job_id));
    assert_eq!(last_rendered[1].1["thumbnail"]["suffixes"], json!(SUFFIXES));
    let image = get(format!("{}/last-rendered.jpg", job_files(job_id))).send(&manager).await;
    image.assert_status(StatusCode::OK);
    assert_eq!(jpeg_size(&image.body), (64, 36));

    let workers = recorder.events(Room::Workers);
    assert!(workers.iter().all(|(e, p)| *e == Event::Workers && p["id"] == json!(worker.id)));
    assert_eq!(
        statuses(&workers),
        pairs(&[("offline", "-"), ("starting", "offline"), ("awake", "starting"), ("offline", "awake")])
    );

    // The farm's status, at each change only: no workers to work on the queued job, a
    // worker signing on, getting the job's first task, the job completed, the worker gone.
    let farm: Vec<(Event, Value)> = recorder.events(Room::FarmStatus);
    assert!(farm.iter().all(|(e, _)| *e == Event::Status));
    let farm: Vec<&str> = farm.iter().map(|(_, p)| p["status"].as_str().unwrap()).collect();
    assert_eq!(farm, ["inoperative", "waiting", "active", "idle", "inoperative"]);
    assert_eq!(get("/api/v3/status").send(&manager).await.json(), json!({"status": "inoperative"}));

    // Nothing went anywhere else.
    let rooms: std::collections::BTreeSet<Room> = recorder.deliveries().iter().map(|d| d.room).collect();
    let mut allowed =
        vec![Room::Jobs, Room::Workers, Room::LastRendered, Room::FarmStatus, Room::Job(job_id)];
    allowed.extend(done.iter().map(|(t, _)| Room::TaskLog(*t)));
    assert_eq!(rooms, allowed.into_iter().collect());
}

#[tokio::test]
async fn cancelling_an_active_job_cancels_its_tasks() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    let worker = start_worker(&manager, "w").await;
    let assigned = post("/api/v3/worker/task").worker(&worker).send(&manager).await.json();
    let task_id = id(&assigned["uuid"]);

    post(format!("/api/v3/jobs/{job_id}/setstatus"))
        .json(json!({"status": "cancel-requested", "reason": "enough"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    let jobs = recorder.events(Room::Jobs);
    assert_eq!(
        statuses(&jobs),
        pairs(&[
            ("queued", "-"),
            ("active", "queued"),
            ("cancel-requested", "active"),
            ("canceled", "cancel-requested")
        ])
    );
    assert_eq!(jobs[3].1["refresh_tasks"], true);
    let summary = get(format!("/api/v3/jobs/{job_id}/tasks")).send(&manager).await.json();
    assert!(summary["tasks"].as_array().unwrap().iter().all(|t| t["status"] == "canceled"));

    // The worker's task was taken from it, and there is nothing else to do.
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(&worker)
        .json(json!({"taskStatus": "completed"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::CONFLICT);
    post("/api/v3/worker/task").worker(&worker).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn requeueing_a_completed_job_queues_every_task_again() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    let worker = start_worker(&manager, "w").await;
    for _ in 0..2 {
        let assigned = post("/api/v3/worker/task").worker(&worker).send(&manager).await.json();
        report(&manager, &worker, id(&assigned["uuid"]), json!({"taskStatus": "completed"})).await;
    }
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Completed);

    post(format!("/api/v3/jobs/{job_id}/setstatus"))
        .json(json!({"status": "requeueing", "reason": "again"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let jobs = recorder.events(Room::Jobs);
    assert_eq!(
        statuses(&jobs),
        pairs(&[
            ("queued", "-"),
            ("active", "queued"),
            ("active", "-"),
            ("completed", "active"),
            ("requeueing", "completed"),
            ("queued", "requeueing")
        ])
    );
    assert_eq!(jobs[5].1["refresh_tasks"], true);
    assert_eq!((&jobs[5].1["steps_completed"], &jobs[5].1["steps_total"]), (&json!(0), &json!(2)));
    let tasks = manager.job_tasks(job_id).unwrap();
    assert!(
        tasks.iter().all(|t| t.status == TaskStatus::Queued && t.worker.is_none() && t.steps_completed == 0)
    );

    // It runs again from the start.
    let assigned = post("/api/v3/worker/task").worker(&worker).send(&manager).await.json();
    assert_eq!(assigned["name"], "echo");
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Active);
}

#[tokio::test]
async fn requeueing_a_failed_job_keeps_its_completed_tasks() {
    let manager = Manager::with_options(
        Arc::new(manager_api::InMemoryStorage::new()),
        Arc::new(InMemoryBroadcaster::new()),
        hard_failures(),
    );
    let job_id = submit(&manager, render_json("1-2", 1)).await;
    let worker = start_worker(&manager, "w").await;
    let first = post("/api/v3/worker/task").worker(&worker).send(&manager).await.json();
    report(&manager, &worker, id(&first["uuid"]), json!({"taskStatus": "completed"})).await;
    let second = post("/api/v3/worker/task").worker(&worker).send(&manager).await.json();
    report(&manager, &worker, id(&second["uuid"]), json!({"taskStatus": "failed"})).await;
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Failed);
    // A failed job hands out no more work.
    post("/api/v3/worker/task").worker(&worker).send(&manager).await.assert_status(StatusCode::NO_CONTENT);

    post(format!("/api/v3/jobs/{job_id}/setstatus"))
        .json(json!({"status": "requeueing", "reason": "fixed it"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let statuses: Vec<TaskStatus> = manager.job_tasks(job_id).unwrap().iter().map(|t| t.status).collect();
    assert_eq!(statuses, [TaskStatus::Completed, TaskStatus::Queued, TaskStatus::Queued]);
    assert_eq!(manager.job(job_id).unwrap().status, JobStatus::Queued);
}

#[tokio::test]
async fn deleting_a_job() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    delete(format!("/api/v3/jobs/{job_id}")).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
    let jobs = recorder.events(Room::Jobs);
    assert_eq!(jobs.len(), 3);
    assert!(jobs[0].1.get("delete_requested_at").is_none());
    assert!(jobs[1].1["delete_requested_at"].is_string());
    assert!(jobs[1].1.get("was_deleted").is_none());
    assert_eq!(jobs[2].1["was_deleted"], true);
    assert_eq!(jobs[2].1["name"], "echo test");
    get(format!("/api/v3/jobs/{job_id}")).send(&manager).await.assert_status(StatusCode::NOT_FOUND);
    delete(format!("/api/v3/jobs/{job_id}")).send(&manager).await.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(recorder.events(Room::Jobs).len(), 3, "a refused delete sends nothing");
}

#[tokio::test]
async fn worker_tags_from_creation_to_deletion() {
    let (manager, recorder) = recorded();
    let created = post("/api/v3/worker-mgt/tags").json(json!({"name": "GPU"})).send(&manager).await;
    created.assert_status(StatusCode::OK);
    let tag_id = id(&created.json()["id"]);
    put(format!("/api/v3/worker-mgt/tag/{tag_id}"))
        .json(json!({"name": "GPU", "description": "fast"}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    // A job limited to the tag; deleting the tag lifts the limit.
    let mut job = echo_sleep_json();
    job["worker_tag"] = json!(tag_id);
    let job_id = submit(&manager, job).await;
    delete(format!("/api/v3/worker-mgt/tag/{tag_id}"))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(manager.job(job_id).unwrap().worker_tag, None);

    let events: Vec<Value> = recorder
        .events(Room::WorkerTags)
        .into_iter()
        .map(|(e, p)| {
            assert_eq!(e, Event::WorkerTags);
            p
        })
        .collect();
    assert_eq!(
        events,
        [
            json!({"tag": {"id": tag_id, "name": "GPU"}}),
            json!({"tag": {"id": tag_id, "name": "GPU", "description": "fast"}}),
            json!({"tag": {"id": tag_id, "name": "GPU", "description": "fast"}, "was_deleted": true}),
        ]
    );
    let list = get("/api/v3/worker-mgt/tags").send(&manager).await;
    assert_eq!(list.json(), json!({"tags": []}));
}

#[tokio::test]
async fn a_job_limited_to_a_tag_waits_for_a_worker_in_it() {
    let (manager, _recorder) = recorded();
    let tag = post("/api/v3/worker-mgt/tags").json(json!({"name": "GPU"})).send(&manager).await.json();
    let mut job = echo_sleep_json();
    job["worker_tag"] = tag["id"].clone();
    submit(&manager, job).await;
    let worker = start_worker(&manager, "cpu-only").await;
    post("/api/v3/worker/task").worker(&worker).send(&manager).await.assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_each_store_and_broadcast_once() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    let mut handles = Vec::new();
    for i in 0..20 {
        let manager = manager.clone();
        handles.push(tokio::spawn(async move {
            submit(&manager, echo_sleep_json()).await;
            post(format!("/api/v3/jobs/{job_id}/setpriority"))
                .json(json!({"priority": i}))
                .send(&manager)
                .await
                .assert_status(StatusCode::NO_CONTENT);
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    assert_eq!(manager.storage().jobs().unwrap().len(), 21);
    let jobs = recorder.events(Room::Jobs);
    assert_eq!(jobs.len(), 41);
    let new_jobs: std::collections::HashSet<Value> =
        jobs.iter().filter(|(_, p)| p["id"] != json!(job_id)).map(|(_, p)| p["id"].clone()).collect();
    assert_eq!(new_jobs.len(), 20);
}

/// Updates leave in the order the changes were stored: after concurrent priority changes,
/// the last `/jobs` update a page sees carries the priority that is stored, and the
/// updates' `updated` times never go backwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_changes_broadcast_in_the_order_they_were_stored() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    recorder.take();
    let mut handles = Vec::new();
    for i in 0..100 {
        let manager = manager.clone();
        handles.push(tokio::spawn(async move {
            manager.set_job_priority(job_id, i % 101).await.unwrap();
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    let updates = recorder.events(Room::Jobs);
    assert_eq!(updates.len(), 100);
    let stored = manager.job(job_id).unwrap().priority;
    assert_eq!(updates.last().unwrap().1["priority"], json!(stored));
    let times: Vec<String> = updates.iter().map(|(_, p)| p["updated"].as_str().unwrap().to_owned()).collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> = times.iter().map(|t| t.parse().unwrap()).collect();
    assert!(parsed.windows(2).all(|w| w[0] <= w[1]), "updated times go backwards: {times:?}");
}

#[tokio::test]
async fn pausing_holds_queued_tasks_until_the_job_is_queued_again() {
    let (manager, recorder) = recorded();
    let job_id = submit(&manager, echo_sleep_json()).await;
    let worker = start_worker(&manager, "w").await;
    for status in ["paused", "queued"] {
        post(format!("/api/v3/jobs/{job_id}/setstatus"))
            .json(json!({"status": status, "reason": "testing"}))
            .send(&manager)
            .await
            .assert_status(StatusCode::NO_CONTENT);
        if status == "paused" {
            let tasks = manager.job_tasks(job_id).unwrap();
            assert!(tasks.iter().all(|t| t.status == TaskStatus::Paused));
            post("/api/v3/worker/task")
                .worker(&worker)
                .send(&manager)
                .await
                .assert_status(StatusCode::NO_CONTENT);
        }
    }
    let jobs = recorder.events(Room::Jobs);
    // Nothing was active: the job is paused at once, after saying it was asked to pause.
    assert_eq!(
        statuses(&jobs),
        pairs(&[
            ("queued", "-"),
            ("pause-requested", "queued"),
            ("paused", "pause-requested"),
            ("queued", "paused")
        ])
    );
    let refresh: Vec<&Value> = jobs.iter().map(|(_, p)| &p["refresh_tasks"]).collect();
    assert_eq!(refresh, [&json!(false), &json!(false), &json!(true), &json!(true)]);
    post("/api/v3/worker/task").worker(&worker).send(&manager).await.assert_status(StatusCode::OK);
}
