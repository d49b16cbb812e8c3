//! The router answered through `tower::ServiceExt::oneshot`: no socket needed.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::routing::get;
use http_body_util::BodyExt;
use tower::ServiceExt;

use super::*;

async fn request(app: Router, method: Method, path: &str) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let request = Request::builder().method(method).uri(path).body(Body::empty()).unwrap();
    let response = app.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body.collect().await.unwrap().to_bytes().to_vec())
}

fn header_of(headers: &axum::http::HeaderMap, name: header::HeaderName) -> &str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test]
async fn every_view_address_serves_the_page() {
    let index = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/index.html")).unwrap();
    let job = "7a4c4a6e-2f56-4c1e-9a33-52a0b5d1d1f4";
    let paths = [
        "/".to_owned(),
        "/jobs".to_owned(),
        format!("/jobs/{job}"),
        format!("/jobs/{job}/tasks/0b3e1f0c-6f35-4d8f-8d8e-4a1d5e9b7c21"),
        "/workers".to_owned(),
        "/tags".to_owned(),
        "/last-rendered".to_owned(),
    ];
    assert_eq!(paths.len(), PAGE_ROUTES.len());
    for path in &paths {
        let (status, headers, body) = request(router(), Method::GET, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(header_of(&headers, header::CONTENT_TYPE), "text/html; charset=utf-8", "{path}");
        assert!(
            header_of(&headers, header::CONTENT_SECURITY_POLICY).starts_with("default-src 'self'"),
            "{path}"
        );
        assert_eq!(body, index, "{path}");
        let (status, _, body) = request(router(), Method::HEAD, path).await;
        assert_eq!((status, body.len()), (StatusCode::OK, 0), "HEAD {path}");
    }
}

#[tokio::test]
async fn every_file_under_assets_is_served_with_its_type() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let mut on_disk = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                on_disk.push(path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = assets::FILES.iter().map(|a| a.path.to_owned()).collect();
    listed.sort();
    assert_eq!(listed, on_disk, "assets::FILES must list exactly the files under assets/");
    for file in assets::FILES {
        let (status, headers, body) = request(router(), Method::GET, &format!("/assets/{}", file.path)).await;
        assert_eq!(status, StatusCode::OK, "{}", file.path);
        assert_eq!(body, std::fs::read(root.join(file.path)).unwrap(), "{}", file.path);
        assert_eq!(header_of(&headers, header::CACHE_CONTROL), "no-cache");
        assert_eq!(header_of(&headers, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        let expected = match file.path.rsplit_once('.').map(|(_, e)| e) {
            Some("html") => "text/html; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("svg") => "image/svg+xml",
            _ => "text/plain; charset=utf-8",
        };
        assert_eq!(header_of(&headers, header::CONTENT_TYPE), expected, "{}", file.path);
    }
}

#[tokio::test]
async fn unknown_files_are_404_and_nothing_outside_assets_is_reachable() {
    for path in
        ["/assets/nope.js", "/assets/../Cargo.toml", "/assets/%2e%2e/src/lib.rs", "/assets/js", "/assets/"]
    {
        let (status, _, body) = request(router(), Method::GET, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("[package]"), "{path}");
    }
}

/// Merged into an application beside its own routes and fallback, the page takes none of
/// the paths the manager serves: the REST API, Socket.IO, metrics and job files.
#[tokio::test]
async fn merged_beside_the_api_it_shadows_nothing() {
    let app = || {
        Router::new()
            .route("/api/v3/jobs", get(|| async { "api" }))
            .route("/api/v3/jobs/{id}", get(|| async { "api job" }))
            .route("/metrics", get(|| async { "metrics" }))
            .route("/job-files/{*path}", get(|| async { "job file" }))
            .route("/socket.io/", get(|| async { "socket.io" }))
            .fallback(|| async { (StatusCode::NOT_FOUND, "application fallback") })
            .merge(router())
    };
    let cases = [
        ("/api/v3/jobs", "api"),
        ("/api/v3/jobs/7a4c4a6e-2f56-4c1e-9a33-52a0b5d1d1f4", "api job"),
        ("/metrics", "metrics"),
        ("/job-files/job-7a4c/last-rendered.png", "job file"),
        ("/socket.io/?EIO=3&transport=polling", "socket.io"),
        ("/api/v3/no-such-route", "application fallback"),
        ("/jobs/a/b", "application fallback"),
        ("/favicon.ico", "application fallback"),
    ];
    for (path, expected) in cases {
        let (_, _, body) = request(app(), Method::GET, path).await;
        assert_eq!(String::from_utf8_lossy(&body), expected, "{path}");
    }
    let (status, headers, _) = request(app(), Method::GET, "/jobs").await;
    assert_eq!(
        (status, header_of(&headers, header::CONTENT_TYPE)),
        (StatusCode::OK, "text/html; charset=utf-8")
    );
}

/// Nothing is loaded from elsewhere: the page's own files name no other origin, and every
/// file `index.html` loads is one the router serves.
#[test]
fn the_page_loads_only_its_own_files() {
    for file in assets::FILES.iter().filter(|f| !f.path.starts_with("vendor/") && !f.path.ends_with(".svg")) {
        let text = std::str::from_utf8(file.bytes).unwrap();
        assert!(!text.contains("://"), "{} names another origin", file.path);
    }
    let index = std::str::from_utf8(assets::find("index.html").unwrap().bytes).unwrap();
    let mut loaded = 0;
    for attr in ["src=\"", "href=\""] {
        for (at, _) in index.match_indices(attr) {
            let value = index[at + attr.len()..].split('"').next().unwrap();
            if let Some(path) = value.strip_prefix(ASSETS_PREFIX) {
                assert!(assets::find(path).is_some(), "index.html loads {value}, which is not served");
                loaded += 1;
            }
        }
    }
    assert_eq!(loaded, 4, "the icon, the stylesheet, socket.io.js and main.js");
    // Every module import names a file that is served.
    for file in assets::FILES.iter().filter(|f| f.path.starts_with("js/")) {
        let text = std::str::from_utf8(file.bytes).unwrap();
        for line in text.lines().filter(|l| l.starts_with("import ")) {
            let target = line.rsplit(" from '").next().unwrap().trim_end_matches("';");
            let base = std::path::Path::new(file.path).parent().unwrap();
            let mut resolved = Vec::new();
            for part in base.join(target).components() {
                match part {
                    std::path::Component::ParentDir => {
                        resolved.pop();
                    }
                    std::path::Component::Normal(p) => resolved.push(p.to_string_lossy().into_owned()),
                    _ => {}
                }
            }
            let resolved = resolved.join("/");
            assert!(
                assets::find(&resolved).is_some(),
                "{} imports {target} ({resolved}), not served",
                file.path
            );
        }
    }
}
