//! The ceiling of `cargo xtask bench`: the least a server must do to deliver the chat
//! fan-out, so every result can be read as a fraction of what the machine can do at all.
//!
//! It accepts the websocket upgrade on any path, does the Engine.IO 3 or 4 handshake the
//! load generator expects (`EIO=4` in the query picks 4), and keeps every socket in one
//! room. A `/chat` event `42<id>["/chat",{..}]` becomes one pre-encoded text frame
//! `42["/message",{..}]`, encoded once and handed to every socket's queue, and the sender
//! gets its ack `43<id>["message sent successfully."]`. Each socket's writer takes all
//! frames queued for it at once and writes them in one call. Engine.IO 3 pings (`2`) are
//! answered `3`; it never pings, never times out a client, and has no REST API.
//!
//! Usage: `ceiling-probe [--listen 127.0.0.1:0] [--ping-interval-ms 25000]`; it prints
//! `listening on http://ADDR` on standard error.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::frame::coding::{Data, OpCode};

/// Frames queued for one socket.
type Queue = mpsc::UnboundedSender<Bytes>;

/// The one room every connected socket is in.
#[derive(Default)]
struct Room {
    sockets: Mutex<HashMap<u64, Queue>>,
}

impl Room {
    fn broadcast(&self, frame: &Bytes) {
        let sockets = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        for queue in sockets.values() {
            let _ = queue.send(frame.clone());
        }
    }
}

/// A server-to-client text frame, encoded once.
fn text_frame(payload: Vec<u8>) -> Bytes {
    let mut out = Vec::with_capacity(payload.len() + 10);
    Frame::message(payload, OpCode::Data(Data::Text), true).format(&mut out).expect("writing to a Vec");
    Bytes::from(out)
}

fn main() -> Result<(), String> {
    let mut listen: SocketAddr = "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?;
    let mut ping_interval_ms: u64 = 25_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--listen" => listen = value.parse().map_err(|e| format!("--listen {value}: {e}"))?,
            "--ping-interval-ms" => {
                ping_interval_ms = value.parse().map_err(|e| format!("--ping-interval-ms {value}: {e}"))?
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener =
            TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        eprintln!("listening on http://{addr}");
        let room = Arc::new(Room::default());
        let ids = AtomicU64::new(1);
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: keep serving the sockets already open.
                    eprintln!("accept: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            };
            let id = ids.fetch_add(1, Ordering::Relaxed);
            let room = room.clone();
            tokio::spawn(async move {
                let _ = serve(stream, id, room, ping_interval_ms).await;
            });
        }
    })
}

/// One connection, from the upgrade request to its end.
async fn serve(mut stream: TcpStream, id: u64, room: Arc<Room>, ping_interval_ms: u64) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 4 * 1024];
    let (head, mut end) = read_head(&mut stream, &mut buf).await?;
    let request = String::from_utf8_lossy(&buf[..head]).into_owned();
    let Some(key) = header(&request, "sec-websocket-key") else {
        stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await?;
        return Ok(());
    };
    let eio4 = request.lines().next().is_some_and(|l| l.contains("EIO=4"));
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let response = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    stream.write_all(response.as_bytes()).await?;
    buf.copy_within(head..end, 0);
    end -= head;

    let (mut rd, wr) = stream.into_split();
    let (queue, frames) = mpsc::unbounded_channel();
    tokio::spawn(write_loop(wr, frames));
    let open = format!(
        r#"0{{"sid":"{id}","upgrades":[],"pingInterval":{ping_interval_ms},"pingTimeout":20000,"maxPayload":100000}}"#
    );
    let _ = queue.send(text_frame(open.into_bytes()));
    if !eio4 {
        join(&room, id, &queue, b"40".to_vec());
    }

    let mut start = 0;
    let mut payload = Vec::new();
    let result = loop {
        // Every complete frame in the buffer.
        while let Some((opcode, len)) = parse_frame(&buf[start..end], &mut payload) {
            start += len;
            match opcode {
                0x1 => on_text(&payload, &room, id, &queue),
                0x8 => break,
                0x9 => {
                    let mut pong = vec![0x8A, payload.len() as u8];
                    pong.extend_from_slice(&payload);
                    let _ = queue.send(Bytes::from(pong));
                }
                _ => {}
            }
        }
        if start == end {
            (start, end) = (0, 0);
        } else if end == buf.len() {
            buf.copy_within(start..end, 0);
            (start, end) = (0, end - start);
        }
        match rd.read(&mut buf[end..]).await {
            Ok(0) => break Ok(()),
            Ok(n) => end += n,
            Err(e) => break Err(e),
        }
    };
    room.sockets.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    result
}

/// Joins the room and says so: `40` in Engine.IO 3, `40{"sid":..}` in 4.
fn join(room: &Room, id: u64, queue: &Queue, connect: Vec<u8>) {
    room.sockets.lock().unwrap_or_else(|p| p.into_inner()).insert(id, queue.clone());
    let _ = queue.send(text_frame(connect));
}

/// An Engine.IO packet from the client.
fn on_text(packet: &[u8], room: &Room, id: u64, queue: &Queue) {
    match packet {
        b"2" => {
            let _ = queue.send(text_frame(b"3".to_vec()));
        }
        b"40" | b"40/," => join(room, id, queue, format!(r#"40{{"sid":"{id}"}}"#).into_bytes()),
        _ => {
            let Some(rest) = packet.strip_prefix(b"42") else { return };
            let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
            let (ack_id, event) = rest.split_at(digits);
            if let Some(message) = event.strip_prefix(b"[\"/chat\",").and_then(|m| m.strip_suffix(b"]")) {
                let mut out = Vec::with_capacity(message.len() + 16);
                out.extend_from_slice(b"42[\"/message\",");
                out.extend_from_slice(message);
                out.push(b']');
                room.broadcast(&text_frame(out));
                ack(queue, ack_id, "message sent successfully.");
            } else {
                ack(queue, ack_id, "ok");
            }
        }
    }
}

fn ack(queue: &Queue, ack_id: &[u8], text: &str) {
    if ack_id.is_empty() {
        return;
    }
    let mut out = b"43".to_vec();
    out.extend_from_slice(ack_id);
    out.extend_from_slice(format!("[\"{text}\"]").as_bytes());
    let _ = queue.send(text_frame(out));
}

/// Writes whatever is queued, all of it in one call.
async fn write_loop(mut wr: tokio::net::tcp::OwnedWriteHalf, mut frames: mpsc::UnboundedReceiver<Bytes>) {
    let mut batch = Vec::new();
    let mut out = Vec::new();
    while frames.recv_many(&mut batch, 256).await > 0 {
        out.clear();
        for frame in batch.drain(..) {
            out.extend_from_slice(&frame);
        }
        if wr.write_all(&out).await.is_err() {
            return;
        }
    }
}

/// Reads the HTTP request head; returns its length and how much of `buf` is filled.
async fn read_head(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<(usize, usize)> {
    let mut end = 0;
    loop {
        if end == buf.len() {
            return Err(io::Error::other("request head too long"));
        }
        let n = stream.read(&mut buf[end..]).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        end += n;
        if let Some(at) = buf[..end].windows(4).position(|w| w == b"\r\n\r\n") {
            return Ok((at + 4, end));
        }
    }
}

fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
    request.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// One complete client frame at the start of `data`: its opcode and length, with its
/// payload unmasked into `payload`. Fragments are taken as whole messages: the load
/// generator does not fragment.
fn parse_frame(data: &[u8], payload: &mut Vec<u8>) -> Option<(u8, usize)> {
    if data.len() < 2 {
        return None;
    }
    let opcode = data[0] & 0x0f;
    let masked = data[1] & 0x80 != 0;
    let (len, mut header) = match data[1] & 0x7f {
        126 => (u16::from_be_bytes([*data.get(2)?, *data.get(3)?]) as usize, 4),
        127 => (u64::from_be_bytes(data.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (n as usize, 2),
    };
    let key = if masked {
        header += 4;
        data.get(header - 4..header)?.try_into().ok()?
    } else {
        [0u8; 4]
    };
    let body = data.get(header..header.checked_add(len)?)?;
    payload.clear();
    payload.extend(body.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    Some((opcode, header + len))
}
