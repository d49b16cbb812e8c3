//! Building requests, reading responses, and setting up state for the tests.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use broadcast_core::testing::InMemoryBroadcaster;
use broadcast_core::{MockBroadcaster, Room};
use http_body_util::BodyExt;
use manager_api::model::{Job, Task, Worker};
use manager_api::schema::{SubmittedJob, WorkerRegistration, WorkerSignOn};
use manager_api::{InMemoryStorage, Manager, Options, Scheduled, router};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

pub(crate) const SECRET: &str = "do-not-tell-anyone";

/// A request being built.
pub(crate) struct Call {
    request: axum::http::request::Builder,
    body: Body,
}

pub(crate) fn call(method: Method, uri: impl AsRef<str>) -> Call {
    Call { request: Request::builder().method(method).uri(uri.as_ref()), body: Body::empty() }
}

pub(crate) fn get(uri: impl AsRef<str>) -> Call {
    call(Method::GET, uri)
}

pub(crate) fn post(uri: impl AsRef<str>) -> Call {
    call(Method::POST, uri)
}

pub(crate) fn put(uri: impl AsRef<str>) -> Call {
    call(Method::PUT, uri)
}

pub(crate) fn delete(uri: impl AsRef<str>) -> Call {
    call(Method::DELETE, uri)
}

pub(crate) fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

impl Call {
    pub(crate) fn json(self, body: Value) -> Self {
        self.raw("application/json", body.to_string())
    }

    pub(crate) fn raw(mut self, content_type: &str, body: impl Into<Body>) -> Self {
        self.request = self.request.header(header::CONTENT_TYPE, content_type);
        self.body = body.into();
        self
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    /// Worker basic auth with the test secret.
    pub(crate) fn worker(self, worker: &Worker) -> Self {
        self.header("authorization", &basic(&worker.id.to_string(), SECRET))
    }

    pub(crate) async fn send(self, manager: &Manager) -> Response {
        let request = self.request.body(self.body).expect("valid test request");
        let response = router(manager.clone()).oneshot(request).await.expect("the router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.expect("the body is readable").to_bytes().to_vec();
        Response { status, headers, body }
    }
}

#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Response {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// Asserts the status, and for errors the `Error` body with `code` equal to it.
    pub(crate) fn assert_status(&self, expected: StatusCode) -> &Self {
        assert_eq!(self.status, expected, "body: {}", String::from_utf8_lossy(&self.body));
        if expected.is_client_error() || expected.is_server_error() {
            let body = self.json();
            assert_eq!(body["code"], json!(expected.as_u16()), "{body}");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
            assert_eq!(self.headers[header::CONTENT_TYPE], "application/json", "error bodies are JSON");
        }
        self
    }

    /// Asserts an error status and that its message contains `text`.
    pub(crate) fn assert_error(&self, expected: StatusCode, text: &str) {
        self.assert_status(expected);
        let message = self.json()["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(text), "message {message:?} does not contain {text:?}");
    }
}

/// State shared between a setup manager (recording broadcasts nobody checks) and the
/// manager under test, which gets its own broadcaster.
pub(crate) struct Setup {
    pub(crate) storage: Arc<InMemoryStorage>,
    pub(crate) manager: Manager,
}

impl Setup {
    pub(crate) fn new() -> Self {
        let storage = Arc::new(InMemoryStorage::new());
        let manager = Manager::new(storage.clone(), Arc::new(InMemoryBroadcaster::new()));
        Setup { storage, manager }
    }

    /// The manager under test: the same state, broadcasting to `mock`. The farm's status,
    /// which a new manager computes afresh on its first job or worker update, may go to
    /// `FarmStatus` besides what the test expects; its own tests are in `farm_status.rs`.
    pub(crate) fn with_mock(&self, mock: MockBroadcaster) -> Manager {
        self.with_mock_and(mock, Options::default())
    }

    /// [`Setup::with_mock`] with `options`.
    pub(crate) fn with_mock_and(&self, mut mock: MockBroadcaster, options: Options) -> Manager {
        mock.expect_broadcast().withf(|room, _| *room == Room::FarmStatus).returning(|_, _| Ok(()));
        Manager::with_options(self.storage.clone(), Arc::new(mock), options)
    }

    /// The manager under test with a mock that must never be called.
    pub(crate) fn silent(&self) -> Manager {
        let mut mock = MockBroadcaster::new();
        mock.expect_broadcast().never();
        self.with_mock(mock)
    }

    pub(crate) async fn echo_job(&self) -> Job {
        self.manager.submit_job(echo_sleep_job()).await.expect("submits")
    }

    /// A registered worker, signed on and awake.
    pub(crate) async fn awake_worker(&self) -> Worker {
        let worker =
            self.manager.register_worker(registration("w1"), String::new()).await.expect("registers");
        self.manager
            .sign_on(
                worker.id,
                WorkerSignOn {
                    name: "w1".to_owned(),
                    supported_task_types: vec!["blender".into(), "ffmpeg".into(), "misc".into()],
                    software_version: "3.6".to_owned(),
                    can_restart: false,
                },
                String::new(),
            )
            .await
            .expect("signs on");
        self.manager
            .worker_state_changed(worker.id, broadcast_core::WorkerStatus::Awake)
            .await
            .expect("wakes");
        self.manager.worker(worker.id).expect("exists")
    }

    /// The task `worker` is given next.
    pub(crate) async fn assign(&self, worker: &Worker) -> Task {
        match self.manager.schedule_task(worker).await.expect("schedules") {
            Scheduled::Task(task, _) => *task,
            other => panic!("expected a task, got {other:?}"),
        }
    }

    /// An echo job, an awake worker, and the job's first task assigned to it.
    pub(crate) async fn working(&self) -> (Job, Worker, Task) {
        let job = self.echo_job().await;
        let worker = self.awake_worker().await;
        let task = self.assign(&worker).await;
        (job, worker, task)
    }

    pub(crate) fn task_named(&self, job: &Job, name: &str) -> Task {
        self.manager
            .job_tasks(job.id)
            .unwrap()
            .into_iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no task {name}"))
    }
}

/// Options under which the first failure of a task is a hard one.
pub(crate) fn hard_failures() -> Options {
    let mut options = Options::default();
    options.failures.task_fail_after_softfail_count = 1;
    options
}

pub(crate) fn echo_sleep_job() -> SubmittedJob {
    serde_json::from_value(echo_sleep_json()).unwrap()
}

pub(crate) fn echo_sleep_json() -> Value {
    json!({
        "name": "echo test",
        "type": "echo-sleep-test",
        "priority": 50,
        "submitter_platform": "linux",
        "settings": {"message": "hello", "sleep_duration_seconds": 1}
    })
}

pub(crate) fn render_json(frames: &str, chunk_size: u64) -> Value {
    json!({
        "name": "render test",
        "type": "simple-blender-render",
        "priority": 50,
        "submitter_platform": "linux",
        "settings": {"frames": frames, "chunk_size": chunk_size, "blendfile": "/s.blend"}
    })
}

pub(crate) fn registration(name: &str) -> WorkerRegistration {
    WorkerRegistration {
        secret: SECRET.to_owned(),
        platform: "linux".to_owned(),
        supported_task_types: vec!["blender".into(), "ffmpeg".into(), "misc".into()],
        name: name.to_owned(),
        software: Some("3.6".to_owned()),
    }
}

/// Expects exactly one broadcast to `room` whose payload JSON satisfies `check`, in
/// `sequence`.
pub(crate) fn expect(
    mock: &mut MockBroadcaster,
    sequence: &mut mockall::Sequence,
    room: Room,
    check: impl Fn(&Value) -> bool + Send + Sync + 'static,
) {
    mock.expect_broadcast()
        .withf(move |r, update| *r == room && check(&update.to_json()))
        .times(1)
        .in_sequence(sequence)
        .returning(|_, _| Ok(()));
}

/// Where the job's files are served: `/job-files/job-<first 4 characters>/<job_id>`.
pub(crate) fn job_files(job_id: Uuid) -> String {
    format!("/job-files/job-{}/{job_id}", &job_id.to_string()[..4])
}

pub(crate) fn id(value: &Value) -> Uuid {
    value.as_str().and_then(|s| s.parse().ok()).expect("a UUID")
}

impl Call {
    /// A body with no `Content-Type` header.
    pub(crate) fn from_body(mut call: Call, body: impl Into<Body>) -> Call {
        call.body = body.into();
        call
    }
}

/// A `width` x `height` image encoded as `format` (PNG or JPEG), its colours made from
/// `seed` so that different calls give different pictures.
pub(crate) fn picture(format: image::ImageFormat, width: u32, height: u32, seed: u8) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([x as u8, y as u8, seed]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(&mut std::io::Cursor::new(&mut out), format)
        .expect("encodes");
    out
}

/// The width and height of the JPEG `bytes`.
pub(crate) fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let image = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg).expect("a JPEG");
    (image.width(), image.height())
}

/// The suffixes of every last-rendered image, in Flamenco's order.
pub(crate) const SUFFIXES: [&str; 3] =
    ["last-rendered.jpg", "last-rendered-small.jpg", "last-rendered-tiny.jpg"];
