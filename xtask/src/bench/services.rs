//! The services some servers under test need beside them, one per run: a Mosquitto for the
//! MQTT-publishing manager, a redis-server for the scale-out ones. Each is stopped by its
//! pid when dropped or stopped.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::servers::launch;

/// A Mosquitto for the `ours-mqtt` server: a loopback port the OS picks, anonymous clients,
/// no persistence; killed when dropped.
pub(super) struct Broker {
    child: std::process::Child,
    port: u16,
}

impl Broker {
    /// Starts one with its configuration in `dir`, and waits (at most 10 s) until it accepts
    /// connections.
    pub(super) fn start(dir: &Path) -> Result<Broker, String> {
        let program = crate::packages::find("mosquitto")
            .ok_or("ours-mqtt needs mosquitto: install Debian's package (apt-get install mosquitto)")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for mosquitto: {e}"))?
            .port();
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let config = dir.join("mosquitto.conf");
        let text = format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n");
        std::fs::write(&config, text).map_err(|e| format!("{}: {e}", config.display()))?;
        let child = Command::new(&program)
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", program.display()))?;
        let mut broker = Broker { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || !matches!(broker.child.try_wait(), Ok(None)) {
                return Err(format!("mosquitto did not listen on port {port} within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(broker)
    }

    pub(super) fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `redis-server` for one run, on a free loopback port, saving nothing; killed when
/// stopped.
pub(super) struct RedisServer {
    child: std::process::Child,
    port: u16,
}

impl RedisServer {
    pub(super) fn start(cpu: Option<u32>) -> Result<RedisServer, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port for redis-server: {e}"))?
            .port();
        let args = ["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            .map(String::from);
        let child = launch(Path::new("redis-server"), &args, cpu)
            .stdout(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start redis-server: {e}"))?;
        let mut redis = RedisServer { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || redis.child.try_wait().is_ok_and(|s| s.is_some()) {
                redis.stop();
                return Err(format!(
                    "redis-server did not listen on port {port} (is Debian's redis-server package installed?)"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(redis)
    }

    pub(super) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub(super) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The broker `ours-mqtt` runs against starts on a free port, takes connections, and is
    /// gone once dropped. Needs Debian's mosquitto, as `cargo xtask ci` installs it.
    #[test]
    fn the_mqtt_broker_starts_listens_and_stops() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-broker-{}", std::process::id()));
        let broker = Broker::start(&dir).unwrap();
        let url = broker.url();
        let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
        assert!(url.starts_with("mqtt://127.0.0.1:"), "{url}");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(broker);
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "killed with its pid when dropped"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
