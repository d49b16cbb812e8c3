//! A small HTTP/1.1 client on hyper: one keep-alive connection per caller, JSON bodies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One keep-alive connection.
pub(crate) struct Http {
    addr: String,
    sender: SendRequest<Full<Bytes>>,
}

impl Http {
    pub(crate) async fn connect(addr: &str) -> Result<Http, String> {
        let stream = TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Http { addr: addr.to_owned(), sender })
    }

    /// POSTs `body` as JSON to `path` and returns the status and the response body.
    pub(crate) async fn post(&mut self, path: &str, body: String) -> Result<(StatusCode, Bytes), String> {
        self.post_as(path, body, None).await
    }

    /// [`Http::post`] with HTTP basic auth `(user, password)` when given, as a worker.
    pub(crate) async fn post_as(
        &mut self,
        path: &str,
        body: String,
        auth: Option<(&str, &str)>,
    ) -> Result<(StatusCode, Bytes), String> {
        let mut request = Request::post(path)
            .header(hyper::header::HOST, &self.addr)
            .header(hyper::header::CONTENT_TYPE, "application/json");
        if let Some((user, password)) = auth {
            let credential = STANDARD.encode(format!("{user}:{password}"));
            request = request.header(hyper::header::AUTHORIZATION, format!("Basic {credential}"));
        }
        let request = request.body(Full::new(Bytes::from(body))).map_err(|e| e.to_string())?;
        self.sender.ready().await.map_err(|e| e.to_string())?;
        let response = self.sender.send_request(request).await.map_err(|e| format!("POST {path}: {e}"))?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok((status, body))
    }

    /// POSTs and expects `expected` as the status.
    pub(crate) async fn expect_status(
        &mut self,
        path: &str,
        body: String,
        auth: Option<(&str, &str)>,
        expected: u16,
    ) -> Result<Bytes, String> {
        let (status, body) = self.post_as(path, body, auth).await?;
        if status.as_u16() != expected {
            return Err(format!("POST {path}: {status} {}", String::from_utf8_lossy(&body)));
        }
        Ok(body)
    }

    /// POSTs and expects 200 with a JSON body, which it returns.
    pub(crate) async fn expect_json(
        &mut self,
        path: &str,
        body: String,
        auth: Option<(&str, &str)>,
    ) -> Result<serde_json::Value, String> {
        let body = self.expect_status(path, body, auth, 200).await?;
        serde_json::from_slice(&body).map_err(|e| format!("POST {path}: {e}"))
    }

    /// Creates an echo-sleep-test job at priority 50 and returns its id.
    pub(crate) async fn create_job(&mut self) -> Result<String, String> {
        let body = r#"{"name":"bench","type":"echo-sleep-test","priority":50,"submitter_platform":"linux","settings":{"message":"hi","sleep_duration_seconds":1}}"#;
        let (status, body) = self.post("/api/v3/jobs", body.to_owned()).await?;
        if status != StatusCode::OK {
            return Err(format!("creating a job: {status} {}", String::from_utf8_lossy(&body)));
        }
        let job: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("job JSON: {e}"))?;
        match job.get("id").and_then(|v| v.as_str()) {
            Some(id) if id.len() == 36 => Ok(id.to_owned()),
            _ => Err(format!("no job id in {}", String::from_utf8_lossy(&body))),
        }
    }

    /// Sets a job's priority; the server answers 204.
    pub(crate) async fn set_priority(&mut self, job: &str, priority: u64) -> Result<(), String> {
        let path = format!("/api/v3/jobs/{job}/setpriority");
        let (status, body) = self.post(&path, format!("{{\"priority\":{priority}}}")).await?;
        if status != StatusCode::NO_CONTENT {
            return Err(format!("setpriority: {status} {}", String::from_utf8_lossy(&body)));
        }
        Ok(())
    }
}
