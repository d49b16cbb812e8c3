//! [`RedisServer`]: a real `redis-server` on a loopback port, for the tests of the crates
//! that scale out through Redis.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::WAIT;

/// A `redis-server` process with nothing saved to disk, killed by its pid when dropped.
pub struct RedisServer {
    child: Child,
    /// The loopback port it listens on.
    pub port: u16,
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port and waits until it answers `PING`.
    ///
    /// Redis cannot be told to pick a port (`--port 0` turns TCP off), so a port is found by
    /// binding one and releasing it; if another process takes it in between, the next free
    /// one is tried. A missing `redis-server` fails the test, saying what to install.
    pub async fn start() -> RedisServer {
        let mut last = String::new();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("no free loopback port");
            match Self::try_start_on(port).await {
                Ok(server) => return server,
                Err(e) => last = e,
            }
        }
        panic!("redis-server did not start: {last}");
    }

    /// Starts `redis-server` on `port` (a restart on the port of a killed one).
    pub async fn start_on(port: u16) -> RedisServer {
        Self::try_start_on(port)
            .await
            .unwrap_or_else(|e| panic!("redis-server did not start on port {port}: {e}"))
    }

    async fn try_start_on(port: u16) -> Result<RedisServer, String> {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed, and these tests need a real one: install Debian's \
                 `redis-server` package (`apt-get install redis-server`; `cargo xtask ci` does it when run as root)"
            ),
            Err(e) => panic!("cannot start redis-server: {e}"),
        };
        let mut server = RedisServer { child, port };
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("it exited at once ({status})"));
            }
            if ping(port).await {
                return Ok(server);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!("it did not answer PING within {WAIT:?}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server (SIGKILL, by its pid) and waits until it is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Whether a Redis server on `port` answers `PING` with `+PONG`.
async fn ping(port: u16) -> bool {
    let answer = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream.write_all(b"PING\r\n").await.ok()?;
        let mut buf = [0u8; 7];
        stream.read_exact(&mut buf).await.ok()?;
        Some(&buf == b"+PONG\r\n")
    };
    tokio::time::timeout(Duration::from_secs(1), answer).await.ok().flatten().unwrap_or(false)
}
