//! A minimal websocket client: the opening handshake, and frames read in place from one
//! buffer per connection.
//!
//! Why not tungstenite: a subscriber's whole job is to look at a few bytes of each delivery,
//! and tungstenite copies every message into its own allocation and checks its UTF-8
//! before handing it over. Here a read of up to 64 KiB is scanned frame by frame without a
//! copy, so the load generator stays cheaper per delivery than the servers it measures.
//!
//! Client frames are masked with the all-zero key: still masked as RFC 6455 requires, and
//! no work to apply. Fragmented messages are not expected from the servers under test and
//! end the connection with an error rather than being reassembled.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Bytes read at most per read call, and the largest frame accepted.
const BUF: usize = 64 * 1024;

/// One frame from the server, borrowed from the read buffer.
pub(crate) enum Frame<'a> {
    Text(&'a [u8]),
    Ping(&'a [u8]),
    Close,
    /// Binary, pong or anything else a subscriber ignores.
    Other,
}

/// The reading half: a buffer, with `start..end` not yet parsed.
pub(crate) struct WsReader {
    rd: OwnedReadHalf,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

/// The writing half.
pub(crate) struct WsWriter {
    wr: OwnedWriteHalf,
    out: Vec<u8>,
}

/// Opens a websocket to `path` on `addr` (`host:port`).
pub(crate) async fn connect(addr: &str, path: &str) -> io::Result<(WsReader, WsWriter)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut rd, mut wr) = stream.into_split();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    wr.write_all(request.as_bytes()).await?;
    let mut buf = vec![0u8; BUF].into_boxed_slice();
    let mut end = 0;
    let head_len = loop {
        if end == buf.len() {
            return Err(io::Error::other("handshake response too long"));
        }
        let n = rd.read(&mut buf[end..]).await?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed during handshake"));
        }
        end += n;
        if let Some(at) = find(&buf[..end], b"\r\n\r\n") {
            break at + 4;
        }
    };
    if !buf.starts_with(b"HTTP/1.1 101") {
        let line = String::from_utf8_lossy(&buf[..head_len]).lines().next().unwrap_or("").to_owned();
        return Err(io::Error::other(format!("websocket upgrade refused: {line}")));
    }
    let reader = WsReader { rd, buf, start: head_len, end };
    Ok((reader, WsWriter { wr, out: Vec::with_capacity(512) }))
}

impl WsReader {
    /// Reads more bytes from the socket; `false` at end of stream.
    pub(crate) async fn fill(&mut self) -> io::Result<bool> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start == 0 {
                return Err(io::Error::other("frame larger than the read buffer"));
            }
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let n = self.rd.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(n > 0)
    }

    /// The next complete frame already in the buffer, if any.
    pub(crate) fn next_frame(&mut self) -> io::Result<Option<Frame<'_>>> {
        let data = &self.buf[self.start..self.end];
        if data.len() < 2 {
            return Ok(None);
        }
        let (fin, opcode) = (data[0] & 0x80 != 0, data[0] & 0x0f);
        let masked = data[1] & 0x80 != 0;
        let (len, mut header) = match data[1] & 0x7f {
            126 if data.len() >= 4 => (u16::from_be_bytes([data[2], data[3]]) as usize, 4),
            127 if data.len() >= 10 => {
                let mut be = [0u8; 8];
                be.copy_from_slice(&data[2..10]);
                (usize::try_from(u64::from_be_bytes(be)).unwrap_or(usize::MAX), 10)
            }
            126 | 127 => return Ok(None),
            n => (n as usize, 2),
        };
        if masked {
            header += 4;
        }
        if len > BUF - 16 {
            return Err(io::Error::other(format!("frame of {len} bytes is too large")));
        }
        if data.len() < header + len {
            return Ok(None);
        }
        if !fin || opcode == 0 {
            return Err(io::Error::other("fragmented message"));
        }
        let begin = self.start + header;
        self.start = begin + len;
        if masked {
            // Servers do not mask; unmask anyway rather than misread.
            let key = [self.buf[begin - 4], self.buf[begin - 3], self.buf[begin - 2], self.buf[begin - 1]];
            let payload = &mut self.buf[begin..begin + len];
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        }
        let payload = &self.buf[begin..begin + len];
        Ok(Some(match opcode {
            1 => Frame::Text(payload),
            8 => Frame::Close,
            9 => Frame::Ping(payload),
            _ => Frame::Other,
        }))
    }
}

impl WsWriter {
    /// Sends one text message.
    pub(crate) async fn text(&mut self, payload: &[u8]) -> io::Result<()> {
        self.frame(0x1, payload).await
    }

    /// Answers a ping.
    pub(crate) async fn pong(&mut self, payload: &[u8]) -> io::Result<()> {
        self.frame(0xA, payload).await
    }

    async fn frame(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        self.out.clear();
        self.out.push(0x80 | opcode);
        match payload.len() {
            n @ 0..=125 => self.out.push(0x80 | n as u8),
            n @ 126..=0xffff => {
                self.out.push(0x80 | 126);
                self.out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                self.out.push(0x80 | 127);
                self.out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        self.out.extend_from_slice(&[0, 0, 0, 0]);
        self.out.extend_from_slice(payload);
        self.wr.write_all(&self.out).await
    }
}

/// Where `needle` first occurs in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
