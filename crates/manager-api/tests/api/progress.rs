//! Flamenco 3.9's progress fields: each task's place in its job, its worker and its
//! steps (the frames it renders), on tasks, summaries and their updates, and a job's
//! steps as the sum of its tasks'.

use axum::http::StatusCode;
use broadcast_core::{MockBroadcaster, Room};
use mockall::Sequence;
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn summaries_number_the_tasks_and_count_the_frames_of_each() {
    let setup = Setup::new();
    let submitted = post("/api/v3/jobs").json(render_json("1-5,9", 2)).send(&setup.manager).await;
    submitted.assert_status(StatusCode::OK);
    let job = submitted.json();
    assert_eq!((&job["steps_completed"], &job["steps_total"]), (&json!(0), &json!(7)));
    let job_id = id(&job["id"]);
    let summary = get(format!("/api/v3/jobs/{job_id}/tasks")).send(&setup.manager).await.json();
    let tasks: Vec<(String, u64, u64, u64)> = summary["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            assert!(t.get("worker").is_none(), "no worker before one is assigned: {t}");
            (
                t["name"].as_str().unwrap().to_owned(),
                t["index_in_job"].as_u64().unwrap(),
                t["steps_completed"].as_u64().unwrap(),
                t["steps_total"].as_u64().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("render-1-2", 1, 0, 2),
        ("render-3-4", 2, 0, 2),
        ("render-5,9", 3, 0, 2),
        ("preview-video", 4, 0, 1),
    ];
    assert_eq!(tasks, expected.map(|(n, i, c, t)| (n.to_owned(), i, c, t)));
}

#[tokio::test]
async fn an_assigned_task_names_its_worker_in_its_update_its_summary_and_itself() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let worker = setup.awake_worker().await;
    let job_id = job.id;
    let worker_id = worker.id;
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["status"] == "active" && t["worker"] == json!({"id": worker_id, "name": "w1", "address": ""})
    });
    expect(&mut mock, &mut seq, Room::Jobs, |j| j["status"] == "active");
    let manager = setup.with_mock(mock);
    let assigned = post("/api/v3/worker/task").worker(&worker).send(&manager).await;
    assigned.assert_status(StatusCode::OK);
    let task_id = id(&assigned.json()["uuid"]);
    let task = get(format!("/api/v3/tasks/{task_id}")).send(&manager).await.json();
    assert_eq!(task["worker"]["id"], json!(worker_id));
    assert_eq!((&task["index_in_job"], &task["steps_total"]), (&json!(1), &json!(1)));
    let summary = get(format!("/api/v3/jobs/{job_id}/tasks")).send(&manager).await.json();
    assert_eq!(summary["tasks"][0]["worker"]["name"], "w1");
    assert!(summary["tasks"][1].get("worker").is_none());
}

#[tokio::test]
async fn steps_from_the_worker_move_the_task_and_the_job_on() {
    let setup = Setup::new();
    let submitted =
        setup.manager.submit_job(serde_json::from_value(render_json("1-3", 3)).unwrap()).await.unwrap();
    let worker = setup.awake_worker().await;
    let task = setup.assign(&worker).await;
    let (task_id, job_id) = (task.id, submitted.id);
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    expect(&mut mock, &mut seq, Room::Job(job_id), move |t| {
        t["id"] == json!(task_id)
            && t["steps_completed"] == 2
            && t["steps_total"] == 3
            && t.get("previous_status").is_none()
    });
    expect(&mut mock, &mut seq, Room::Jobs, move |j| {
        j["id"] == json!(job_id) && j["steps_completed"] == 2 && j["steps_total"] == 4
    });
    let manager = setup.with_mock(mock);
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(&worker)
        .json(json!({"steps_completed": 2}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    assert_eq!(setup.manager.task(task_id).unwrap().steps_completed, 2);
    assert_eq!(setup.manager.job(job_id).unwrap().steps_completed, 2);
}

#[tokio::test]
async fn the_same_steps_again_send_nothing_and_more_than_the_task_has_are_400() {
    let setup = Setup::new();
    let (_job, worker, task) = setup.working().await;
    let task_id = task.id;
    let manager = setup.silent();
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(&worker)
        .json(json!({"steps_completed": 0}))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(&worker)
        .json(json!({"steps_completed": 2}))
        .send(&manager)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "more than the task's steps_total 1");
    post(format!("/api/v3/worker/task/{task_id}"))
        .worker(&worker)
        .json(json!({"steps_completed": -1}))
        .send(&manager)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(setup.manager.task(task_id).unwrap().steps_completed, 0);
}
