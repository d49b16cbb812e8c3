//! The reads Flamenco's own web app makes beyond the lists (SPEC section 11):
//! configuration, job types (and the etag a submitted job is checked against), what
//! deleting a job would do, and the newest last-rendered image of any job.

use std::sync::Arc;

use axum::http::StatusCode;
use broadcast_core::testing::InMemoryBroadcaster;
use manager_api::{Manager, SqliteStorage};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn configuration_says_set_up_without_shaman() {
    let setup = Setup::new();
    let answer = get("/api/v3/configuration").send(&setup.manager).await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.json(), json!({"storageLocation": "", "shamanEnabled": false, "isFirstRun": false}));
}

#[tokio::test]
async fn configuration_names_the_storage_path_of_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("files");
    let storage = SqliteStorage::open(&dir.path().join("manager.sqlite"), &files).unwrap();
    let manager = Manager::new(Arc::new(storage), Arc::new(InMemoryBroadcaster::new()));
    let answer = get("/api/v3/configuration").send(&manager).await.json();
    let expected = files.canonicalize().unwrap().display().to_string();
    assert_eq!(answer["storageLocation"], json!(expected));
    assert_eq!(answer["isFirstRun"], json!(false));
}

fn setting_keys(job_type: &Value) -> Vec<&str> {
    job_type["settings"].as_array().unwrap().iter().map(|s| s["key"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn job_types_list_the_built_in_types_with_settings_label_and_etag() {
    let setup = Setup::new();
    let answer = get("/api/v3/jobs/types").send(&setup.manager).await;
    answer.assert_status(StatusCode::OK);
    let types = answer.json()["job_types"].as_array().cloned().unwrap();
    let names: Vec<&str> = types.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["simple-blender-render", "echo-sleep-test"]);
    assert_eq!(types[0]["label"], "Simple Blender Render");
    assert_eq!(
        setting_keys(&types[0]),
        ["frames", "chunk_size", "blendfile", "render_output_path", "format", "image_file_extension", "fps"]
    );
    assert_eq!(setting_keys(&types[1]), ["message", "sleep_duration_seconds"]);
    for job_type in &types {
        assert_eq!(job_type["etag"].as_str().unwrap().len(), 40, "{job_type}");
        assert!(job_type["description"].as_str().is_some_and(|d| !d.is_empty()));
        for setting in job_type["settings"].as_array().unwrap() {
            let kind = setting["type"].as_str().unwrap();
            assert!(["string", "int32", "float", "bool"].contains(&kind), "{setting}");
        }
        let single = get(format!("/api/v3/jobs/type/{}", job_type["name"].as_str().unwrap()))
            .send(&setup.manager)
            .await;
        single.assert_status(StatusCode::OK);
        assert_eq!(&single.json(), job_type, "one type is what the list holds");
    }
}

#[tokio::test]
async fn an_unknown_job_type_is_404() {
    let setup = Setup::new();
    get("/api/v3/jobs/type/render-everything")
        .send(&setup.manager)
        .await
        .assert_error(StatusCode::NOT_FOUND, "render-everything");
}

#[tokio::test]
async fn a_job_with_the_current_etag_or_none_is_taken_a_stale_one_is_412_and_sends_nothing() {
    let setup = Setup::new();
    let etag = get("/api/v3/jobs/type/echo-sleep-test").send(&setup.manager).await.json()["etag"].clone();
    for taken in [etag, json!(""), Value::Null] {
        let mut job = echo_sleep_json();
        job["type_etag"] = taken.clone();
        post("/api/v3/jobs").json(job).send(&setup.manager).await.assert_status(StatusCode::OK);
    }
    let mut stale = echo_sleep_json();
    stale["type_etag"] = json!("0123456789abcdef0123456789abcdef01234567");
    post("/api/v3/jobs")
        .json(stale)
        .send(&setup.silent())
        .await
        .assert_error(StatusCode::PRECONDITION_FAILED, "refresh the job types");
    assert_eq!(setup.manager.jobs().unwrap().len(), 3);
}

#[tokio::test]
async fn what_would_delete_do_answers_for_a_job_and_404_for_none() {
    let setup = Setup::new();
    let job = setup.echo_job().await;
    let answer = get(format!("/api/v3/jobs/{}/what-would-delete-do", job.id)).send(&setup.manager).await;
    answer.assert_status(StatusCode::OK);
    assert_eq!(answer.json(), json!({"shaman_checkout": false}));
    get(format!("/api/v3/jobs/{}/what-would-delete-do", uuid::Uuid::new_v4()))
        .send(&setup.manager)
        .await
        .assert_status(StatusCode::NOT_FOUND);
    get("/api/v3/jobs/not-a-uuid/what-would-delete-do")
        .send(&setup.manager)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_newest_last_rendered_image_of_any_job_or_204() {
    let setup = Setup::new();
    let manager = &setup.manager;
    let none = get("/api/v3/jobs/last-rendered").send(manager).await;
    none.assert_status(StatusCode::NO_CONTENT);
    assert!(none.body.is_empty());

    let (first_job, first_worker, first_task) = setup.working().await;
    let png = picture(image::ImageFormat::Png, 8, 8, 1);
    manager.output_produced(&first_worker, first_task.id, "image/png", png.clone().into()).await.unwrap();
    let mut urgent = echo_sleep_job();
    urgent.priority = 90;
    let second_job = manager.submit_job(urgent).await.unwrap();
    let second_worker = setup.awake_worker().await;
    let second_task = setup.assign(&second_worker).await;
    assert_eq!(second_task.job_id, second_job.id);

    let newest = || async { get("/api/v3/jobs/last-rendered").send(manager).await.json() };
    assert_eq!(newest().await, json!({"base": job_files(first_job.id), "suffixes": SUFFIXES}));
    manager.output_produced(&second_worker, second_task.id, "image/png", png.clone().into()).await.unwrap();
    assert_eq!(newest().await, json!({"base": job_files(second_job.id), "suffixes": SUFFIXES}));
    manager.output_produced(&first_worker, first_task.id, "image/png", png.into()).await.unwrap();
    assert_eq!(newest().await, json!({"base": job_files(first_job.id), "suffixes": SUFFIXES}));
}
