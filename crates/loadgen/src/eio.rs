//! Engine.IO 3 and 4 over websocket, as socket.io-client 2.x and 4.x speak it, and the
//! per-connection loop every scenario's clients run.
//!
//! Heartbeats: in Engine.IO 3 the client pings (`2`) every `pingInterval` the server
//! announced and the server answers `3`; in Engine.IO 4 the server pings and the client
//! answers `3`. Both are done here, so a connection held for longer than the server's
//! ping timeout stays open only if the heartbeat is right.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout};

use crate::stats::{Shared, now_ns};
use crate::ws::{self, Frame, WsReader, WsWriter};

/// How long one connection's handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// The Engine.IO generation a client speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Eio {
    /// Engine.IO 3: socket.io-client 2.x, Flamenco's frontend.
    #[value(name = "3")]
    V3,
    /// Engine.IO 4: socket.io-client 3.x and 4.x.
    #[value(name = "4")]
    V4,
}

/// Where and how clients connect.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    /// `host:port`.
    pub(crate) addr: String,
    pub(crate) eio: Eio,
    /// A second server's `host:port`: clients spread over two servers, every other one
    /// connects there (a single `connect` always goes to `addr`).
    pub(crate) also: Option<String>,
}

impl Target {
    fn path(&self) -> &'static str {
        match self.eio {
            Eio::V3 => "/socket.io/?EIO=3&transport=websocket",
            Eio::V4 => "/socket.io/?EIO=4&transport=websocket",
        }
    }
}

/// A connected Socket.IO client on namespace `/`.
pub(crate) struct Conn {
    reader: WsReader,
    pub(crate) writer: Arc<Mutex<WsWriter>>,
    eio: Eio,
    ping_interval: Duration,
}

/// Connects and completes the Engine.IO and Socket.IO handshakes.
pub(crate) async fn connect(target: &Target) -> io::Result<Conn> {
    let (mut reader, mut writer) = ws::connect(&target.addr, target.path()).await?;
    let open = next_text(&mut reader).await?;
    if open.first() != Some(&b'0') {
        return Err(io::Error::other(format!("expected an open packet, got {}", lossy(&open))));
    }
    let ping_interval = serde_json::from_slice::<serde_json::Value>(&open[1..])
        .ok()
        .and_then(|v| v.get("pingInterval")?.as_u64())
        .ok_or_else(|| io::Error::other(format!("no pingInterval in {}", lossy(&open))))?;
    if target.eio == Eio::V4 {
        writer.text(b"40").await?;
    }
    let connected = next_text(&mut reader).await?;
    if !connected.starts_with(b"40") {
        return Err(io::Error::other(format!("expected a connect packet, got {}", lossy(&connected))));
    }
    Ok(Conn {
        reader,
        writer: Arc::new(Mutex::new(writer)),
        eio: target.eio,
        ping_interval: Duration::from_millis(ping_interval.max(100)),
    })
}

impl Conn {
    /// Emits `event` (a JSON array text) with ack id 0 and returns the ack's arguments;
    /// anything else that arrives meanwhile is skipped. For set-up steps only.
    pub(crate) async fn request(&mut self, event: &str) -> io::Result<Vec<u8>> {
        self.writer.lock().await.text(format!("420{event}").as_bytes()).await?;
        loop {
            let text = next_text(&mut self.reader).await?;
            if let Some(rest) = text.strip_prefix(b"430") {
                return Ok(rest.to_vec());
            }
            if text == b"2" {
                self.writer.lock().await.text(b"3").await?;
            }
        }
    }
}

/// The next text message, during a handshake or set-up step.
async fn next_text(reader: &mut WsReader) -> io::Result<Vec<u8>> {
    loop {
        while let Some(frame) = reader.next_frame()? {
            match frame {
                Frame::Text(t) => return Ok(t.to_vec()),
                Frame::Close => return Err(io::Error::other("closed by the server")),
                Frame::Ping(_) | Frame::Other => {}
            }
        }
        if !reader.fill().await? {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
        }
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned()
}

/// What a client does with the Socket.IO packets (text starting with `4`) it receives.
pub(crate) trait Handler: Send + 'static {
    /// What the client reports when it ends.
    type Stats: Send + 'static;
    /// One packet, read at `at` ([`now_ns`]).
    fn packet(&mut self, packet: &[u8], at: u64);
    fn finish(self, end: End) -> Self::Stats;
}

/// Why a client's loop ended.
#[derive(Debug)]
pub(crate) enum End {
    /// The scenario stopped it.
    Stopped,
    /// The server closed the connection or it failed.
    Lost(String),
}

/// Reads and answers until `stop` turns true or the connection ends.
pub(crate) async fn run<H: Handler>(conn: Conn, handler: &mut H, mut stop: watch::Receiver<bool>) -> End {
    let Conn { mut reader, writer, eio, ping_interval } = conn;
    let mut next_ping = Instant::now() + ping_interval;
    loop {
        let at = now_ns();
        loop {
            let frame = match reader.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => return End::Lost(e.to_string()),
            };
            let reply = match frame {
                Frame::Text(t) if t.first() == Some(&b'4') => {
                    handler.packet(t, at);
                    Ok(())
                }
                // Engine.IO 4: the server's ping.
                Frame::Text(b"2") => writer.lock().await.text(b"3").await,
                Frame::Text(b"1") => return End::Lost("Engine.IO close packet".into()),
                Frame::Text(_) | Frame::Other => Ok(()),
                Frame::Ping(p) => {
                    let p = p.to_vec();
                    writer.lock().await.pong(&p).await
                }
                Frame::Close => return End::Lost("websocket closed by the server".into()),
            };
            if let Err(e) = reply {
                return End::Lost(e.to_string());
            }
        }
        let ping_due = tokio::select! {
            filled = reader.fill() => match filled {
                Ok(true) => false,
                Ok(false) => return End::Lost("connection closed".into()),
                Err(e) => return End::Lost(e.to_string()),
            },
            _ = tokio::time::sleep_until(next_ping), if eio == Eio::V3 => true,
            _ = stop.wait_for(|s| *s) => return End::Stopped,
        };
        if ping_due {
            next_ping += ping_interval;
            if let Err(e) = writer.lock().await.text(b"2").await {
                return End::Lost(e.to_string());
            }
        }
    }
}

/// Clients started by [`spawn_clients`].
pub(crate) struct Clients<T> {
    pub(crate) tasks: Vec<JoinHandle<Option<T>>>,
    pub(crate) failures: usize,
    pub(crate) first_error: Option<String>,
    /// From the first connect to the last handshake.
    pub(crate) elapsed: Duration,
}

impl<T> Clients<T> {
    pub(crate) fn connected(&self) -> usize {
        self.tasks.len() - self.failures
    }

    /// Fails unless every client connected.
    pub(crate) fn all_connected(&self) -> Result<(), String> {
        match &self.first_error {
            None => Ok(()),
            Some(e) => Err(format!(
                "{} of {} clients failed to connect; first: {e}",
                self.failures,
                self.tasks.len()
            )),
        }
    }

    /// Waits for every client to end (after `stop` was sent), at most `limit`.
    pub(crate) async fn join(self, limit: Duration) -> Result<Vec<T>, String> {
        let deadline = Instant::now() + limit;
        let mut out = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            match tokio::time::timeout_at(deadline, task).await {
                Ok(Ok(Some(stats))) => out.push(stats),
                Ok(Ok(None)) => {}
                Ok(Err(e)) => return Err(format!("client task failed: {e}")),
                Err(_) => return Err(format!("clients did not stop within {limit:?}")),
            }
        }
        Ok(out)
    }
}

/// Connects `n` clients, at most `concurrency` handshakes at a time, each sending `setup`
/// (an event as a JSON array, acked) before it counts as ready, then running `make(i)`'s
/// handler until `stop`. Returns once every client is ready or has failed.
pub(crate) async fn spawn_clients<H: Handler>(
    target: &Target,
    n: usize,
    concurrency: usize,
    setup: Option<&'static str>,
    shared: &Arc<Shared>,
    stop: &watch::Receiver<bool>,
    mut make: impl FnMut(usize) -> H,
) -> Clients<H::Stats> {
    let started = Instant::now();
    let permits = Arc::new(Semaphore::new(concurrency.max(1)));
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<(), String>>();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let mut handler = make(i);
        let mut target = target.clone();
        if let Some(also) = target.also.take().filter(|_| i % 2 == 1) {
            target.addr = also;
        }
        let (permits, ready, stop, shared) =
            (permits.clone(), ready_tx.clone(), stop.clone(), shared.clone());
        tasks.push(tokio::spawn(async move {
            let conn = {
                let Ok(_permit) = permits.acquire_owned().await else { return None };
                let attempt = async {
                    let mut conn = connect(&target).await?;
                    if let Some(event) = setup {
                        conn.request(event).await?;
                    }
                    Ok::<_, io::Error>(conn)
                };
                match timeout(HANDSHAKE_TIMEOUT, attempt).await {
                    Ok(Ok(conn)) => conn,
                    Ok(Err(e)) => {
                        let _ = ready.send(Err(e.to_string()));
                        return None;
                    }
                    Err(_) => {
                        let _ = ready.send(Err(format!("handshake took over {HANDSHAKE_TIMEOUT:?}")));
                        return None;
                    }
                }
            };
            let _ = ready.send(Ok(()));
            let end = run(conn, &mut handler, stop).await;
            if let End::Lost(reason) = &end
                && shared.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0
            {
                eprintln!("loadgen: a client lost its connection: {reason}");
            }
            Some(handler.finish(end))
        }));
    }
    drop(ready_tx);
    let (mut failures, mut first_error) = (0, None);
    for _ in 0..n {
        match ready_rx.recv().await {
            Some(Ok(())) => {}
            Some(Err(e)) => {
                failures += 1;
                first_error.get_or_insert(e);
            }
            None => break,
        }
    }
    Clients { tasks, failures, first_error, elapsed: started.elapsed() }
}
