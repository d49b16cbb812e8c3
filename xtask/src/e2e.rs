//! `cargo xtask e2e`: the end-to-end suites in `tests/e2e`, with real socket.io clients from
//! npm (2.x and 4.x) against real servers on ports the OS picks, and the web app in the
//! system's headless Chromium driven by playwright-core (screenshots in
//! `target/e2e/screenshots`).
//!
//! For each suite: build the server, start it, read the address it prints, run the suite's
//! test files with Node's test runner, stop the server. A failing suite prints the server's
//! log. Everything is bounded: the server must say where it listens within a minute, and
//! each test has a timeout.

use std::path::Path;
use std::process::Command;

use crate::util::{ServerProcess, cargo, exec, project_root, target_dir};

/// One suite: which server it talks to and which test files it runs.
struct Suite {
    name: &'static str,
    /// The cargo package of the server binary.
    package: &'static str,
    /// The server's arguments; `None` for a suite that starts (and stops) its servers
    /// itself, which then gets the binaries' paths as `MANAGER_BIN` and `NODE_BIN`.
    args: Option<&'static [&'static str]>,
    /// Test files or folders, relative to `tests/e2e`.
    tests: &'static [&'static str],
}

const SUITES: &[Suite] = &[
    Suite {
        name: "adapter (fixture server)",
        package: "e2e-fixture-server",
        // Short heartbeats so the suites see several; a small room cap so they can reach it.
        args: Some(&["--ping-interval-ms", "500", "--ping-timeout-ms", "2000", "--max-dynamic-rooms", "8"]),
        tests: &["test"],
    },
    Suite {
        name: "adapter with a small send buffer (fixture server)",
        package: "e2e-fixture-server",
        args: Some(&["--send-buffer", "16", "--max-chat-text", "70000", "--max-payload", "200000"]),
        tests: &["slow"],
    },
    Suite {
        name: "manager binary",
        package: "manager",
        args: Some(&["--listen", "127.0.0.1:0"]),
        tests: &["manager"],
    },
    Suite { name: "manager restart", package: "manager", args: None, tests: &["restart"] },
    // Each test file starts its own managers: a fresh farm, and restarts.
    Suite { name: "web app in Chromium", package: "manager", args: None, tests: &["browser"] },
    Suite {
        name: "manager and two nodes through Redis",
        package: "webupdates-node",
        args: None,
        tests: &["scale-out"],
    },
];

pub(crate) fn run() -> Result<(), String> {
    crate::packages::ensure(crate::packages::NEEDED)?;
    let e2e_dir = project_root().join("tests/e2e");
    let packages: Vec<&str> = SUITES.iter().map(|s| s.package).collect();
    let mut build = cargo();
    build.arg("build");
    for p in &packages {
        build.args(["--package", p]);
    }
    exec(&mut build)?;
    let target = target_dir()?;
    exec(
        Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(&e2e_dir),
    )?;
    for suite in SUITES {
        run_suite(suite, &e2e_dir, &target)?;
    }
    Ok(())
}

fn run_suite(suite: &Suite, e2e_dir: &Path, target: &Path) -> Result<(), String> {
    eprintln!("==> e2e suite: {}", suite.name);
    let log_dir = target.join("e2e");
    std::fs::create_dir_all(&log_dir).map_err(|e| e.to_string())?;
    let log_path = log_dir.join(format!("{}.log", suite.package));
    let mut node = Command::new("node");
    // Managers the suites start keep their state in memory: no files left behind.
    node.args(["--test", "--test-concurrency=1", "--test-timeout=120000"])
        .args(suite.tests)
        .env("MANAGER_DATABASE", ":memory:")
        .env("E2E_SCREENSHOTS", target.join("e2e/screenshots"))
        .env("CHROMIUM_BIN", crate::packages::find("chromium").unwrap_or_else(|| "/usr/bin/chromium".into()))
        .current_dir(e2e_dir);
    let result = match suite.args {
        Some(args) => {
            let mut server = start_server(&binary(target, suite.package), args, &log_path)?;
            node.env("E2E_URL", &server.url);
            let result = exec(&mut node);
            server.stop();
            result
        }
        None => exec(
            node.env("MANAGER_BIN", binary(target, "manager"))
                .env("NODE_BIN", binary(target, "webupdates-node")),
        ),
    };
    if result.is_err() {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(200).collect();
        eprintln!("--- last lines of the server log ({}) ---", log_path.display());
        for line in tail.into_iter().rev() {
            eprintln!("{line}");
        }
        eprintln!("--- end of server log ---");
    }
    result.map_err(|e| format!("suite `{}`: {e}", suite.name))
}

/// The debug build of a package's binary, where cargo put it.
fn binary(target: &Path, package: &str) -> std::path::PathBuf {
    target.join("debug").join(package)
}

/// Starts a suite's server, the binary at `path`, with `args`.
fn start_server(path: &Path, args: &[&str], log_path: &Path) -> Result<ServerProcess, String> {
    let filter = std::env::var("RUST_LOG")
        .unwrap_or_else(|_| "debug,socketioxide=info,engineioxide=info,hyper=info,hyper_util=info".into());
    let mut cmd = Command::new(path);
    cmd.args(args).env("RUST_LOG", filter).env("NO_COLOR", "1").env("MANAGER_DATABASE", ":memory:");
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    ServerProcess::start(cmd, &name, log_path)
}
