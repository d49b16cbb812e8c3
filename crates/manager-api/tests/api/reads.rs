//! The read routes the web app loads its lists from (SPEC section 8), each answer checked
//! field by field against the OpenAPI subset's shapes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use manager_api::Storage;

use crate::support::*;

fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().expect("an object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn jobs_are_listed_in_submission_order_and_deleted_ones_left_out() {
    let setup = Setup::new();
    let manager = &setup.manager;
    let empty = get("/api/v3/jobs").send(manager).await;
    empty.assert_status(StatusCode::OK);
    assert_eq!(empty.json(), json!({"jobs": []}));

    let (a, b, c) = (setup.echo_job().await, setup.echo_job().await, setup.echo_job().await);
    manager.delete_job(b.id).await.unwrap();
    let listed = get("/api/v3/jobs").send(manager).await;
    listed.assert_status(StatusCode::OK);
    let jobs = listed.json()["jobs"].as_array().cloned().unwrap();
    assert_eq!(jobs.iter().map(|j| id(&j["id"])).collect::<Vec<_>>(), [a.id, c.id]);
    let single = get(format!("/api/v3/jobs/{}", a.id)).send(manager).await.json();
    assert_eq!(jobs[0], single, "each is the Job that GET /jobs/{{id}} answers");
    for required in
        ["id", "name", "type", "priority", "submitter_platform", "created", "updated", "status", "activity"]
    {
        assert!(jobs[0].get(required).is_some(), "Job.{required} is required: {}", jobs[0]);
    }
}

#[tokio::test]
async fn workers_are_listed_as_summaries_and_fetched_whole() {
    let setup = Setup::new();
    let manager = &setup.manager;
    assert_eq!(get("/api/v3/worker-mgt/workers").send(manager).await.json(), json!({"workers": []}));

    let tag = manager
        .create_worker_tag(manager_api::schema::WorkerTag { id: None, name: "GPU".into(), description: None })
        .await
        .unwrap();
    let (job, worker, task) = setup.working().await;
    let mut tagged = setup.storage.worker(worker.id).unwrap().unwrap();
    tagged.tags = vec![tag.id];
    setup.storage.put_worker(tagged).unwrap();
    let idle = manager.register_worker(registration("idle"), "192.0.2.7".into()).await.unwrap();

    let list = get("/api/v3/worker-mgt/workers").send(manager).await;
    list.assert_status(StatusCode::OK);
    let workers = list.json()["workers"].as_array().cloned().unwrap();
    assert_eq!(workers.len(), 2);
    let worker = manager.worker(worker.id).unwrap();
    assert_eq!(
        workers[0],
        json!({
            "id": worker.id,
            "name": "w1",
            "status": "awake",
            "last_seen": worker.last_seen,
            "version": "3.6",
            "can_restart": false,
        })
    );
    assert_eq!(
        keys(&workers[1]),
        ["can_restart", "id", "name", "status", "version"],
        "an idle worker: {}",
        workers[1]
    );
    assert_eq!(workers[1]["id"], json!(idle.id));

    let whole = get(format!("/api/v3/worker-mgt/workers/{}", worker.id)).send(manager).await;
    whole.assert_status(StatusCode::OK);
    let task = manager.task(task.id).unwrap();
    assert_eq!(
        whole.json(),
        json!({
            "id": worker.id,
            "name": "w1",
            "status": "awake",
            "last_seen": worker.last_seen,
            "version": "3.6",
            "can_restart": false,
            "ip_address": "",
            "platform": "linux",
            "supported_task_types": ["blender", "ffmpeg", "misc"],
            "task": {
                "id": task.id,
                "index_in_job": 1,
                "worker": {"id": worker.id, "name": "w1", "address": ""},
                "steps_completed": 0,
                "steps_total": 1,
                "name": task.name,
                "status": "active",
                "priority": task.priority,
                "task_type": task.task_type,
                "updated": task.updated,
                "job_id": job.id,
            },
            "tags": [{"id": tag.id, "name": "GPU"}],
        })
    );
    let idle = get(format!("/api/v3/worker-mgt/workers/{}", idle.id)).send(manager).await.json();
    assert_eq!(idle["ip_address"], "192.0.2.7");
    assert!(idle.get("task").is_none(), "no task is omitted, not null: {idle}");
    assert_eq!(idle["tags"], json!([]));

    let unknown = uuid::Uuid::new_v4();
    get(format!("/api/v3/worker-mgt/workers/{unknown}"))
        .send(manager)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    get("/api/v3/worker-mgt/workers/zzz").send(manager).await.assert_status(StatusCode::BAD_REQUEST);
}
