//! The manager binary serves its web page beside the REST API, Socket.IO and the metrics,
//! and the page takes none of their paths.

use test_support::{Eio, ManagerProcess, http, polling_handshake};

const MANAGER: &str = env!("CARGO_BIN_EXE_manager");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_at_its_addresses_and_takes_none_of_the_managers_paths() {
    let m = ManagerProcess::start(MANAGER, &[]).await;
    let job = "7a4c4a6e-2f56-4c1e-9a33-52a0b5d1d1f4";
    for path in
        ["/".to_owned(), format!("/jobs/{job}"), "/workers".to_owned(), "/assets/js/updates.js".to_owned()]
    {
        let res = http().get(format!("{}{path}", m.url())).send().await.expect("GET");
        assert_eq!(res.status(), 200, "{path}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/html") || kind.starts_with("text/javascript"), "{path}: {kind}");
    }
    let page = http().get(m.url()).send().await.expect("GET /").text().await.expect("body");
    assert!(page.contains("/assets/vendor/socket.io.js"), "{page}");

    // The manager's own paths answer as before.
    let version = http().get(format!("{}/api/v3/version", m.url())).send().await.expect("GET");
    assert_eq!(version.status(), 200);
    let unknown = http().get(format!("{}/api/v3/no-such-route", m.url())).send().await.expect("GET");
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.expect("the JSON Error body");
    assert_eq!(body["code"], 404);
    let missing = http().get(format!("{}/api/v3/jobs/{job}", m.url())).send().await.expect("GET");
    assert_eq!(missing.status(), 404, "a job deep link's API twin is the API's");
    let metrics = http().get(format!("{}/metrics", m.url())).send().await.expect("GET");
    assert_eq!(metrics.status(), 200);
    assert_eq!(polling_handshake(&m.url(), Eio::V3).await["upgrades"], serde_json::json!(["websocket"]));
}
