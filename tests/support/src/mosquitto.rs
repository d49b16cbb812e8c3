//! [`Mosquitto`]: a real MQTT broker (Debian's `mosquitto`) on a loopback port the OS
//! picks, for the MQTT transport's tests; and [`Subscriber`], an MQTT client that records
//! what it receives.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use crate::WAIT;

/// Where Debian installs the broker; `PATH` is searched first.
const DEBIAN_PATH: &str = "/usr/sbin/mosquitto";

/// A mosquitto process with a generated configuration (one loopback listener, anonymous
/// clients, no persistence); killed by its pid when dropped.
pub struct Mosquitto {
    child: Option<tokio::process::Child>,
    /// The port it listens on, kept across [`Mosquitto::kill`] and [`Mosquitto::start_again`].
    pub port: u16,
    dir: PathBuf,
}

impl Mosquitto {
    /// Starts a broker on a free loopback port. Panics with what to install when the
    /// `mosquitto` binary is missing: these tests never skip.
    pub async fn start() -> Mosquitto {
        Mosquitto::start_on(free_port()).await
    }

    /// A port no broker listens on, for a broker that is absent (started later, if at all,
    /// with [`Mosquitto::start_on`]).
    pub fn unused_port() -> u16 {
        free_port()
    }

    /// Starts a broker on `port`.
    pub async fn start_on(port: u16) -> Mosquitto {
        let dir = std::env::temp_dir().join(format!("webupdates-mosquitto-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder for the broker's configuration");
        let mut broker = Mosquitto { child: None, port, dir };
        broker.start_again().await;
        broker
    }

    /// `mqtt://127.0.0.1:PORT`, as the manager's `--mqtt-broker` takes it.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// Kills the broker (SIGKILL, by pid), as a crash would, and waits until it is gone.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.start_kill().expect("kill mosquitto");
            tokio::time::timeout(WAIT, child.wait())
                .await
                .expect("mosquitto exits")
                .expect("mosquitto status");
        }
    }

    /// Starts the broker again on the same port (after [`Mosquitto::kill`]) and waits until
    /// it accepts connections.
    pub async fn start_again(&mut self) {
        assert!(self.child.is_none(), "mosquitto is running already");
        let config = self.dir.join("mosquitto.conf");
        std::fs::write(
            &config,
            format!(
                "listener {} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n",
                self.port
            ),
        )
        .expect("write mosquitto.conf");
        let binary = binary();
        let child = tokio::process::Command::new(&binary)
            .arg("-c")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        self.child = Some(child);
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        tokio::time::timeout(WAIT, async {
            while tokio::net::TcpStream::connect(addr).await.is_err() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("mosquitto listens on port {} within {WAIT:?}", self.port));
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The mosquitto binary; panics with what to install when there is none.
fn binary() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("mosquitto"))
        .find(|p| p.is_file());
    on_path.or_else(|| Some(PathBuf::from(DEBIAN_PATH)).filter(|p| p.is_file())).unwrap_or_else(|| {
        panic!(
            "the MQTT tests need a real broker, and `mosquitto` is not installed: install Debian's \
             package (apt-get install mosquitto); `cargo xtask ci` installs it when run as root"
        )
    })
}

fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// One message a [`Subscriber`] received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Its topic.
    pub topic: String,
    /// Its payload, byte for byte.
    pub payload: Vec<u8>,
    /// Whether the broker sent it as a retained message (to a new subscriber).
    pub retained: bool,
}

/// An MQTT client subscribed to some topic filters, recording what arrives.
pub struct Subscriber {
    client: AsyncClient,
    rx: tokio::sync::mpsc::UnboundedReceiver<Received>,
    task: tokio::task::JoinHandle<()>,
}

impl Subscriber {
    /// Connects to the broker on `port` and subscribes to `filters` at QoS 1; returns once
    /// the broker acknowledged the subscription.
    pub async fn connect(port: u16, filters: &[&str]) -> Subscriber {
        let id = format!("test-subscriber-{}", free_port());
        let mut options = MqttOptions::new(id, "127.0.0.1", port);
        options.set_keep_alive(Duration::from_secs(10)).set_max_packet_size(16 << 20, 16 << 20);
        let (client, mut eventloop) = AsyncClient::new(options, 64);
        for filter in filters {
            client.subscribe(*filter, QoS::AtLeastOnce).await.expect("subscribe");
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel();
        let mut subscribed_tx = Some(subscribed_tx);
        let mut acks = 0;
        let wanted = filters.len();
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        acks += 1;
                        if acks == wanted
                            && let Some(tx) = subscribed_tx.take()
                        {
                            let _ = tx.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send(Received {
                            topic: p.topic.clone(),
                            payload: p.payload.to_vec(),
                            retained: p.retain,
                        });
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        tokio::time::timeout(WAIT, subscribed_rx)
            .await
            .expect("the broker acknowledges the subscription in time")
            .expect("subscription");
        Subscriber { client, rx, task }
    }

    /// The next message; panics after [`WAIT`].
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(WAIT, self.rx.recv())
            .await
            .expect("an MQTT message in time")
            .expect("subscriber")
    }

    /// The next message whose topic is `topic`, skipping others.
    pub async fn next_on(&mut self, topic: &str) -> Received {
        loop {
            let m = self.next().await;
            if m.topic == topic {
                return m;
            }
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let _ = self.client.try_disconnect();
        self.task.abort();
    }
}
