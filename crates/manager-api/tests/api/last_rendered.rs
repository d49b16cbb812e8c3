//! Last-rendered images as Flamenco makes them: three JPEG thumbnails of a PNG or JPEG,
//! made off the request path; an image that cannot be read is a 400 that keeps and sends
//! nothing.

use axum::http::StatusCode;
use image::ImageFormat;
use serde_json::json;

use crate::support::*;

async fn produce(
    manager: &manager_api::Manager,
    worker: &manager_api::model::Worker,
    task: uuid::Uuid,
    media: &str,
    body: Vec<u8>,
) -> Response {
    post(format!("/api/v3/worker/task/{task}/output-produced"))
        .worker(worker)
        .raw(media, body)
        .send(manager)
        .await
}

#[tokio::test]
async fn a_jpeg_larger_than_the_largest_box_is_fit_into_each() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    produce(&setup.manager, &worker, task.id, "image/jpeg", picture(ImageFormat::Jpeg, 2880, 1620, 3))
        .await
        .assert_status(StatusCode::ACCEPTED);
    let image = setup.manager.last_rendered(job.id).unwrap().expect("kept");
    let boxes = [(1920, 1080), (600, 338), (200, 112)];
    assert_eq!(image.thumbnails.len(), boxes.len());
    for (thumbnail, (box_w, box_h)) in image.thumbnails.iter().zip(boxes) {
        let (w, h) = jpeg_size(thumbnail);
        assert!(w <= box_w && h <= box_h, "{w}x{h} fits {box_w}x{box_h}");
        assert!(w + 1 >= box_w || h + 1 >= box_h, "{w}x{h} fills {box_w}x{box_h} one way");
        let ratio = f64::from(w) / f64::from(h);
        assert!((ratio - 16.0 / 9.0).abs() < 0.02, "{w}x{h} keeps 16:9");
    }
}

#[tokio::test]
async fn corrupt_or_mislabelled_images_are_400_and_change_nothing() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let manager = setup.silent();
    let mut cut = picture(ImageFormat::Png, 300, 200, 1);
    cut.truncate(cut.len() / 3);
    for (media, body) in [
        ("image/png", b"\x89PNG\r\n\x1a\nnot really".to_vec()),
        ("image/png", cut),
        ("image/jpeg", picture(ImageFormat::Png, 16, 16, 2)),
        ("image/jpeg", vec![0xff, 0xd8, 0xff, 0xe0, 0, 0]),
    ] {
        produce(&manager, &worker, task.id, media, body)
            .await
            .assert_error(StatusCode::BAD_REQUEST, "the image cannot be read");
    }
    assert_eq!(setup.manager.last_rendered(job.id).unwrap(), None);
    get(format!("/api/v3/jobs/{}/last-rendered", job.id))
        .send(&manager)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_image_from_a_worker_the_task_is_not_assigned_to_is_refused_before_it_is_decoded() {
    let setup = Setup::new();
    let (_job, _worker, task) = setup.working().await;
    let other = setup.awake_worker().await;
    let manager = setup.silent();
    // Not an image at all: refused for the assignment, not for the picture.
    produce(&manager, &other, task.id, "image/png", b"not an image".to_vec())
        .await
        .assert_error(StatusCode::CONFLICT, "is not assigned to worker");
}

/// On a runtime with a single thread, a request that decoded on its own thread would hold
/// it until the thumbnails are made. Polled first, the upload must give the thread up while
/// the blocking pool works, so the request polled second is answered before it.
#[tokio::test(flavor = "current_thread")]
async fn a_large_image_does_not_hold_up_other_requests() {
    let setup = Setup::new();
    let (job, worker, task) = setup.working().await;
    let large = picture(ImageFormat::Png, 3000, 2000, 9);
    let upload = produce(&setup.manager, &worker, task.id, "image/png", large);
    let version = get("/api/v3/version").send(&setup.manager);
    tokio::pin!(upload);
    tokio::select! {
        biased;
        done = &mut upload => panic!("the upload was answered first ({}): it held the thread", done.status),
        answered = version => answered.assert_status(StatusCode::OK),
    };
    upload.await.assert_status(StatusCode::ACCEPTED);
    let info = get(format!("/api/v3/jobs/{}/last-rendered", job.id)).send(&setup.manager).await.json();
    assert_eq!(info["suffixes"], json!(SUFFIXES));
}
