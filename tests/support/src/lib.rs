//! Test-only helpers shared by the crates' integration tests: [`RawClient`], a minimal
//! Engine.IO 3/4 websocket client that speaks the wire protocol byte for byte (so tests can
//! send what no well-behaved client would), [`ManagerProcess`], the real manager binary
//! on a port the OS picks, [`Mosquitto`] with its [`Subscriber`], a real MQTT broker, and
//! [`RedisServer`], a real `redis-server`.

mod mosquitto;
mod redis;

pub use mosquitto::{Mosquitto, Received, Subscriber};
pub use redis::RedisServer;

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single wait may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// A 1x1 PNG, as a worker sends a render: the manager decodes what it is given.
pub const ONE_PIXEL_PNG: [u8; 70] = [
    137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13, 73, 72, 68, 82, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 31,
    21, 196, 137, 0, 0, 0, 13, 73, 68, 65, 84, 120, 218, 99, 100, 248, 207, 80, 15, 0, 3, 134, 1, 128, 90,
    52, 125, 107, 0, 0, 0, 0, 73, 69, 78, 68, 174, 66, 96, 130,
];

/// Engine.IO protocol generation: 3 for socket.io-client 2.x, 4 for 3.x and 4.x.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eio {
    /// Engine.IO 3: the client pings, namespace `/` is joined on open.
    V3,
    /// Engine.IO 4: the server pings, the client sends `40` to join `/`.
    V4,
}

/// A websocket speaking raw Engine.IO / Socket.IO text packets.
pub struct RawClient {
    /// The websocket, for tests that send frames by hand.
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The socket id (the same as the Engine.IO session id).
    pub sid: String,
}

/// The handshake URL for `eio`.
pub fn ws_url(addr: SocketAddr, eio: Eio) -> String {
    let n = match eio {
        Eio::V3 => 3,
        Eio::V4 => 4,
    };
    format!("ws://{addr}/socket.io/?EIO={n}&transport=websocket")
}

impl RawClient {
    /// Connects and joins namespace `/`.
    pub async fn connect(addr: SocketAddr, eio: Eio) -> RawClient {
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(ws_url(addr, eio)))
            .await
            .expect("websocket handshake in time")
            .expect("websocket handshake");
        RawClient::open(ws, eio).await
    }

    /// Connects over a socket whose receive buffer is `recv_buffer` bytes, for clients that
    /// are meant to stop reading.
    pub async fn connect_with_recv_buffer(addr: SocketAddr, eio: Eio, recv_buffer: usize) -> RawClient {
        let socket =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
        socket.set_recv_buffer_size(recv_buffer).expect("SO_RCVBUF");
        socket.connect(&addr.into()).expect("connect");
        socket.set_nonblocking(true).expect("non-blocking");
        let stream = TcpStream::from_std(socket.into()).expect("tokio stream");
        let (ws, _) = tokio_tungstenite::client_async(ws_url(addr, eio), MaybeTlsStream::Plain(stream))
            .await
            .expect("websocket handshake");
        RawClient::open(ws, eio).await
    }

    async fn open(ws: WebSocketStream<MaybeTlsStream<TcpStream>>, eio: Eio) -> RawClient {
        let mut client = RawClient { ws, sid: String::new() };
        let open = client.recv().await;
        let open: serde_json::Value =
            serde_json::from_str(open.strip_prefix('0').expect("open packet")).expect("open json");
        client.sid = open["sid"].as_str().expect("sid").to_owned();
        if eio == Eio::V4 {
            client.send("40").await;
        }
        let connect = client.recv().await;
        assert!(connect.starts_with("40"), "connect packet, got {connect:?}");
        client
    }

    /// Sends one text frame.
    pub async fn send(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("send");
    }

    /// The next text packet that is not a heartbeat; answers Engine.IO 4 pings. Panics on
    /// a closed connection or after [`WAIT`].
    pub async fn recv(&mut self) -> String {
        self.try_recv().await.expect("connection open")
    }

    /// Like [`RawClient::recv`], but `None` when the connection closed.
    pub async fn try_recv(&mut self) -> Option<String> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next()).await.expect("a packet in time");
            match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return None,
                Some(Ok(Message::Text(t))) if t.as_str() == "2" => self.send("3").await,
                Some(Ok(Message::Text(t))) if t.as_str() == "3" => {}
                Some(Ok(Message::Text(t))) => return Some(t.to_string()),
                Some(Ok(_)) => {}
            }
        }
    }

    /// The next `42["event",…]` packet, skipping acks and others.
    pub async fn next_event(&mut self) -> (String, serde_json::Value) {
        loop {
            let packet = self.recv().await;
            if let Some(body) = packet.strip_prefix("42") {
                let args: Vec<serde_json::Value> = serde_json::from_str(body).expect("event json");
                return (
                    args[0].as_str().expect("event name").to_owned(),
                    args.get(1).cloned().unwrap_or_default(),
                );
            }
        }
    }

    /// Sends `42<id>[args]` and returns the ack's JSON arguments.
    pub async fn ack(&mut self, id: u32, args: &str) -> serde_json::Value {
        self.send(&format!("42{id}{args}")).await;
        loop {
            let reply = self.recv().await;
            if let Some(body) = reply.strip_prefix(&format!("43{id}")) {
                return serde_json::from_str(body).expect("ack json");
            }
        }
    }

    /// Waits until the server closes the connection; false if it is still open after
    /// [`WAIT`]. Anything received meanwhile is dropped.
    pub async fn closed(&mut self) -> bool {
        tokio::time::timeout(WAIT, async {
            loop {
                match self.ws.next().await {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(Message::Text(t))) if t.as_str() == "1" => return,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await
        .is_ok()
    }
}

/// An HTTP client whose every request gives up after [`WAIT`].
pub fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(WAIT).build().expect("http client")
}

/// The value of the first line of Prometheus text `text` that starts with `series` (a name,
/// or a name with its labels), 0 when there is none.
pub fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Opens a long-polling Engine.IO session at the server `base_url` and returns its open
/// packet's JSON (`sid`, `pingInterval`, `pingTimeout`, ...).
pub async fn polling_handshake(base_url: &str, eio: Eio) -> serde_json::Value {
    let n = match eio {
        Eio::V3 => 3,
        Eio::V4 => 4,
    };
    let open = http()
        .get(format!("{base_url}/socket.io/?EIO={n}&transport=polling"))
        .send()
        .await
        .expect("handshake")
        .text()
        .await
        .expect("open packet");
    // Engine.IO 3 frames a polling payload as `<length>:<packet>`.
    let packet = open.split_once(':').filter(|_| eio == Eio::V3).map_or(open.as_str(), |(_, p)| p);
    serde_json::from_str(packet.strip_prefix('0').expect("open packet")).expect("open packet JSON")
}

/// The manager binary, running on a port the OS picks; killed when dropped.
pub struct ManagerProcess {
    child: tokio::process::Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Everything it logged so far.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl ManagerProcess {
    /// Starts `binary` with `args` (plus `--listen 127.0.0.1:0` unless `args` has
    /// `--listen`, and `MANAGER_DATABASE=:memory:` unless `args` has `--database`, so tests
    /// leave no files behind) and waits until it says where it listens. Its log is plain text at
    /// `info` (`NO_COLOR=1`, `RUST_LOG=info`).
    pub async fn start(binary: &str, args: &[&str]) -> ManagerProcess {
        ManagerProcess::start_with_env(binary, args, &[]).await
    }

    /// [`ManagerProcess::start`] with environment variables `env` set as well.
    pub async fn start_with_env(binary: &str, args: &[&str], env: &[(&str, &str)]) -> ManagerProcess {
        let mut cmd = tokio::process::Command::new(binary);
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        // Through the environment, which binaries without a database (webupdates-node)
        // ignore; `--database` in `args` or `MANAGER_DATABASE` in `env` win over it.
        cmd.env("MANAGER_DATABASE", ":memory:");
        let mut child = cmd
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("start the manager");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut tx = Some(tx);
        let lines = log.clone();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if let Some(at) = line.find("listening on http://") {
                    let addr = line[at + "listening on http://".len()..]
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .to_owned();
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr);
                    }
                }
                lines.lock().unwrap_or_else(|p| p.into_inner()).push(line);
            }
        });
        let addr = tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .expect("the manager listens within 60 s")
            .expect("the manager logs its address");
        ManagerProcess { child, addr: addr.parse().expect("address"), log }
    }

    /// The manager's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// What `GET /metrics` answers now.
    pub async fn metrics(&self) -> String {
        http()
            .get(format!("{}/metrics", self.url()))
            .send()
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("text")
    }

    /// Waits (at most [`WAIT`]) until a log line contains every one of `needles`, and
    /// returns it; panics with the whole log otherwise.
    pub async fn wait_logged(&self, needles: &[&str]) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let found = {
                let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
                let found = log.iter().find(|l| needles.iter().all(|n| l.contains(n))).cloned();
                let late = tokio::time::Instant::now() >= deadline;
                assert!(found.is_some() || !late, "no log line with {needles:?} in:\n{}", log.join("\n"));
                found
            };
            if let Some(line) = found {
                return line;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether any log line so far contains `needle`.
    pub fn logged(&self, needle: &str) -> bool {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).iter().any(|l| l.contains(needle))
    }

    /// The process id, for sending signals.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// The process's resident set in KiB (`VmRSS` in `/proc/<pid>/status`).
    pub fn resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).expect("VmRSS");
        line.trim().trim_end_matches("kB").trim().parse().expect("VmRSS in kB")
    }

    /// Kills the process with SIGKILL, as a crash or the OOM killer would, and waits for it.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL the manager");
        let _ = tokio::time::timeout(WAIT, self.child.wait()).await;
    }

    /// Runs `binary` with `args` (plus `--listen 127.0.0.1:0` unless given) expecting it to
    /// refuse to start; returns its exit code and what it wrote to stderr. Panics when it
    /// starts listening or does not exit within a minute.
    pub async fn refused(binary: &str, args: &[&str]) -> (Option<i32>, String) {
        let mut cmd = tokio::process::Command::new(binary);
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        let run = cmd.args(args).env("NO_COLOR", "1").stdout(Stdio::null()).kill_on_drop(true).output();
        let output = tokio::time::timeout(Duration::from_secs(60), run)
            .await
            .expect("the manager exits within 60 s")
            .expect("run the manager");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!stderr.contains("listening on"), "the manager started: {stderr}");
        (output.status.code(), stderr)
    }

    /// Waits for the process to exit, at most `within`.
    pub async fn wait(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        tokio::time::timeout(within, self.child.wait()).await.ok().and_then(Result::ok)
    }
}
