//! What the binary's test files share: an HTTP client and reading `/metrics`.

use test_support::{ManagerProcess, WAIT};

pub(crate) fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).build().expect("http client")
}

/// The manager's `GET /metrics` text.
pub(crate) async fn metrics(m: &ManagerProcess) -> String {
    http().get(format!("{}/metrics", m.url())).send().await.expect("GET /metrics").text().await.expect("text")
}

/// The value of the first metric line that starts with `prefix`, 0 when there is none.
pub(crate) fn metric(text: &str, prefix: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}
