//! What every task needs: the workspace root and a way to run commands there.

use std::path::PathBuf;
use std::process::Command;

/// The workspace root, found from this crate's manifest, not from the current directory.
pub(crate) fn project_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map(PathBuf::from).unwrap_or(manifest_dir)
}

/// Where cargo puts what it builds: `cargo metadata`'s `target_directory`, which follows
/// `CARGO_TARGET_DIR`, `build.target-dir` in a cargo config, and the default `target/`.
pub(crate) fn target_dir() -> Result<PathBuf, String> {
    let metadata = output(cargo().args(["metadata", "--format-version", "1", "--no-deps"]))?;
    let metadata: serde_json::Value =
        serde_json::from_str(&metadata).map_err(|e| format!("cargo metadata printed no JSON: {e}"))?;
    metadata
        .get("target_directory")
        .and_then(serde_json::Value::as_str)
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata names no target_directory".to_owned())
}

/// `cargo`, as the one that runs this task (`$CARGO`), in the workspace root.
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(project_root());
    cmd
}

/// Runs `cmd`, echoing it first; an error says what failed.
pub(crate) fn exec(cmd: &mut Command) -> Result<(), String> {
    eprintln!("$ {}", describe(cmd));
    let status = cmd.status().map_err(|e| format!("could not start {}: {e}", describe(cmd)))?;
    if status.success() { Ok(()) } else { Err(format!("`{}` failed ({status})", describe(cmd))) }
}

/// Runs `cmd` and returns its standard output.
pub(crate) fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("could not start {}: {e}", describe(cmd)))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// A server under test, started from a command and killed when dropped.
pub(crate) struct ServerProcess {
    child: std::process::Child,
    /// Where it listens, as it said in its `listening on http://…` line.
    pub(crate) url: String,
}

impl ServerProcess {
    /// Starts `cmd` and waits, at most a minute, until it logs `listening on http://ADDR` on
    /// standard output or standard error; both go to `log_path`. `name` is for messages.
    pub(crate) fn start(
        mut cmd: Command,
        name: &str,
        log_path: &std::path::Path,
    ) -> Result<ServerProcess, String> {
        use std::process::Stdio;
        let log = std::fs::File::create(log_path).map_err(|e| format!("{}: {e}", log_path.display()))?;
        let log = std::sync::Arc::new(std::sync::Mutex::new(log));
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start {name}: {e}"))?;
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        copy_lines(stdout, log.clone(), tx.clone());
        copy_lines(stderr, log, tx);
        let mut server = ServerProcess { child, url: String::new() };
        match rx.recv_timeout(std::time::Duration::from_secs(60)) {
            Ok(url) => {
                eprintln!("server {name} listening on {url}");
                server.url = url;
                Ok(server)
            }
            Err(_) => {
                Err(format!("{name} did not say where it listens within 60 s; log: {}", log_path.display()))
            }
        }
    }

    /// The server's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the server is still running.
    pub(crate) fn alive(&mut self) -> bool {
        self.child.try_wait().map(|s| s.is_none()).unwrap_or(false)
    }

    /// Kills the server and waits for it.
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Copies a server's output to `log` line by line on a thread of its own, and sends the URL
/// of its `listening on http://…` line (which the servers log once they listen).
fn copy_lines(
    from: impl std::io::Read + Send + 'static,
    log: std::sync::Arc<std::sync::Mutex<std::fs::File>>,
    url: std::sync::mpsc::Sender<String>,
) {
    use std::io::{BufRead, Write};
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(from).lines().map_while(Result::ok) {
            if let Some(at) = line.find("listening on http://") {
                let rest = &line[at + "listening on ".len()..];
                let _ = url.send(rest.split_whitespace().next().unwrap_or(rest).to_owned());
            }
            let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(log, "{line}");
        }
    });
}
