//! What every task needs: the workspace root and a way to run commands there.

use std::path::PathBuf;
use std::process::Command;

/// The workspace root, found from this crate's manifest, not from the current directory.
pub(crate) fn project_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map(PathBuf::from).unwrap_or(manifest_dir)
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

/// Refuses options a task does not take, so a typo is not silently ignored.
pub(crate) fn no_args(args: &[String]) -> Result<(), String> {
    match args.first() {
        None => Ok(()),
        Some(a) => Err(format!("unexpected argument {a:?}")),
    }
}

/// Copies a server's output to `log` line by line on a thread of its own, and sends the URL
/// of its `listening on http://…` line (which the servers log once they listen).
pub(crate) fn copy_lines(
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
