//! Body limits over a real socket: a body announced larger than the limit is refused by
//! its `Content-Length`, before it is sent, and `Expect: 100-continue` gets the 413.

use std::time::Duration;

use manager_api::{Manager, router};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn serve() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let manager =
        Manager::in_memory(std::sync::Arc::new(broadcast_core::testing::InMemoryBroadcaster::new()));
    tokio::spawn(async move { axum::serve(listener, router(manager)).await });
    address
}

/// Sends `head` (and `body`, when given) and reads the answer until the connection closes
/// or the whole body (by its `Content-Length`) is in; bounded by a timeout.
async fn exchange(address: std::net::SocketAddr, head: &str, body: Option<&[u8]>) -> (String, Value) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    if let Some(body) = body {
        // The server may answer and close before all of it is taken; that is the point.
        let _ = stream.write_all(body).await;
    }
    let mut answer = Vec::new();
    let read = async {
        let mut buffer = [0u8; 4096];
        loop {
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&answer);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse::<usize>().ok());
                if length.is_some_and(|l| body.len() >= l) {
                    break;
                }
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read).await.expect("the server answers");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole answer");
    (head.lines().next().unwrap_or_default().to_owned(), serde_json::from_str(body).unwrap_or(Value::Null))
}

fn head(path: &str, content_type: &str, length: usize, expect_continue: bool) -> String {
    let expect = if expect_continue { "Expect: 100-continue\r\n" } else { "" };
    format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: {content_type}\r\nContent-Length: {length}\r\n{expect}\r\n"
    )
}

#[tokio::test]
async fn a_20_mib_json_body_is_refused_by_its_length_and_100_continue_gets_the_413() {
    let address = serve().await;
    let twenty_mib = 20 * 1024 * 1024;

    let (status, body) =
        exchange(address, &head("/api/v3/jobs", "application/json", twenty_mib, true), None).await;
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large", "no 100 Continue first");
    assert_eq!(body["code"], 413, "{body}");
    assert!(body["message"].as_str().unwrap().contains("20971520 bytes"), "{body}");

    // Without Expect: the answer comes although only the first MiB was sent.
    let first_mib = vec![b' '; 1024 * 1024];
    let (status, body) =
        exchange(address, &head("/api/v3/jobs", "application/json", twenty_mib, false), Some(&first_mib))
            .await;
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large");
    assert_eq!(body["code"], 413);

    // Images have their own, larger limit: 20 MiB is over the JSON limit but not theirs,
    // so the request goes on (to be refused for its missing credential).
    let image_route = format!("/api/v3/worker/task/{}/output-produced", uuid::Uuid::new_v4());
    let (status, _) = exchange(address, &head(&image_route, "image/png", twenty_mib, true), None).await;
    assert_eq!(status, "HTTP/1.1 401 Unauthorized");
    let (status, _) = exchange(address, &head(&image_route, "image/png", 40 * 1024 * 1024, true), None).await;
    assert_eq!(status, "HTTP/1.1 413 Payload Too Large");
}
