//! The manager's command line as a user meets it, against the real binary: bad values of
//! every class refused before anything starts, in one message style with exit code 2; every
//! flag settable from the environment; the forms durations and addresses may take; startup
//! failures in one plain line that says what to do.

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use test_support::{Eio, ManagerProcess, http, polling_handshake};

const MANAGER: &str = env!("CARGO_BIN_EXE_manager");

/// What a run of the manager that ends by itself left behind.
struct Exit {
    code: Option<i32>,
    stderr: String,
}

/// Runs the manager with `args` and `env` and waits (bounded) for it to end by itself.
async fn run(args: &[&str], env: &[(&str, &str)]) -> Exit {
    let child = tokio::process::Command::new(MANAGER)
        .args(args)
        // State in memory, so that no run leaves a database behind; `env` may say otherwise.
        .env("MANAGER_DATABASE", ":memory:")
        .envs(env.iter().copied())
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the manager");
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("manager {args:?} should have exited by itself"))
        .expect("wait for the manager");
    Exit { code: output.status.code(), stderr: String::from_utf8_lossy(&output.stderr).into_owned() }
}

/// Asserts that `args` (with `env`) are refused by the parser: exit code 2, and clap's one
/// message style, `error: invalid value '<value>' for '<flag>': <why>`, with `why` in it.
async fn refused(args: &[&str], env: &[(&str, &str)], flag: &str, why: &str) {
    let exit = run(args, env).await;
    assert_eq!(exit.code, Some(2), "{args:?} {env:?} exits 2; stderr:\n{}", exit.stderr);
    let first = exit.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: invalid value '")
            && first.contains(&format!("for '{flag}"))
            && first.contains(why),
        "{args:?} {env:?}: one line naming {flag} and saying {why:?}, got:\n{}",
        exit.stderr
    );
    assert!(!exit.stderr.contains("panicked") && !exit.stderr.contains("listening on"), "{}", exit.stderr);
}

#[tokio::test]
async fn zero_where_it_makes_no_sense_is_refused() {
    refused(&["--send-buffer", "0"], &[], "--send-buffer", "must be at least 1").await;
    refused(&["--max-connections", "0"], &[], "--max-connections", "must be at least 1").await;
    refused(&["--ping-interval", "0"], &[], "--ping-interval", "must be more than 0").await;
    refused(&["--ping-timeout", "0s"], &[], "--ping-timeout", "must be more than 0").await;
    refused(&["--blocklist-threshold", "0"], &[], "--blocklist-threshold", "must be at least 1").await;
    refused(
        &[],
        &[("MANAGER_TASK_FAIL_AFTER_SOFTFAIL_COUNT", "0")],
        "--task-fail-after-softfail-count",
        "must be at least 1",
    )
    .await;
}

#[tokio::test]
async fn negative_values_are_refused_as_values() {
    refused(&["--ping-interval", "-5"], &[], "--ping-interval", "must not be negative").await;
    refused(&["--shutdown-grace", "-1s"], &[], "--shutdown-grace", "must not be negative").await;
    refused(&["--send-buffer", "-1"], &[], "--send-buffer", "must not be negative").await;
}

#[tokio::test]
async fn values_that_are_not_numbers_or_durations_are_refused() {
    refused(&["--ping-timeout", "soon"], &[], "--ping-timeout", "is not a duration: write e.g. 25s").await;
    refused(&["--max-json-body", "2MB"], &[], "--max-json-body", "must be a whole number from 1 to").await;
}

#[tokio::test]
async fn values_beyond_the_range_are_refused() {
    refused(&["--max-payload", "100"], &[], "--max-payload", "must be at least 1024").await;
    refused(&["--send-buffer", "2000000"], &[], "--send-buffer", "must be at most 1000000").await;
    refused(&["--blocklist-threshold", "1001"], &[], "--blocklist-threshold", "must be at most 1000").await;
    refused(
        &["--task-fail-after-softfail-count", "three"],
        &[],
        "--task-fail-after-softfail-count",
        "whole number",
    )
    .await;
    refused(&["--memory-reclaim-interval", "2d"], &[], "--memory-reclaim-interval", "must be a day or less")
        .await;
}

#[tokio::test]
async fn bad_addresses_and_origins_are_refused() {
    refused(&["--listen", "8080"], &[], "--listen", "needs a port").await;
    refused(&["--listen", "localhost:http"], &[], "--listen", "no valid port").await;
    refused(&["--listen", "no-such-host.invalid:8080"], &[], "--listen", "cannot be resolved").await;
    refused(&["--allowed-origin", "render.example.com"], &[], "--allowed-origin", "must start with http://")
        .await;
    refused(&["--allowed-origin", "https://render.example.com/"], &[], "--allowed-origin", "no path").await;
    refused(&["--redis", "localhost:6379"], &[], "--redis", "must start with redis://").await;
    refused(&[], &[("MANAGER_REDIS", "redis://host:port")], "--redis", "not a usable Redis URL").await;
}

#[tokio::test]
async fn bad_values_from_the_environment_are_refused_the_same_way() {
    refused(&[], &[("MANAGER_SEND_BUFFER", "0")], "--send-buffer", "must be at least 1").await;
    refused(&[], &[("MANAGER_PING_INTERVAL", "-5")], "--ping-interval", "must not be negative").await;
    refused(&[], &[("MANAGER_LISTEN", "8080")], "--listen", "needs a port").await;
    refused(
        &[],
        &[("MANAGER_ALLOWED_ORIGINS", "https://a.example,b.example")],
        "--allowed-origin",
        "must start",
    )
    .await;
}

#[tokio::test]
async fn unknown_flags_exit_2() {
    let exit = run(&["--no-such-flag"], &[]).await;
    assert_eq!(exit.code, Some(2), "{}", exit.stderr);
    assert!(exit.stderr.starts_with("error: unexpected argument '--no-such-flag'"), "{}", exit.stderr);
}

#[tokio::test]
async fn help_names_the_environment_variable_of_every_flag() {
    let output = tokio::process::Command::new(MANAGER).arg("--help").output().await.expect("--help");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("utf-8");
    let flags: Vec<&str> = help
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("--"))
        .map(|l| l.split([' ', '=']).next().unwrap_or_default())
        .filter(|f| !matches!(*f, "help" | "version"))
        .collect();
    assert!(flags.len() >= 13, "every flag listed: {flags:?}");
    for flag in flags {
        let env = format!("[env: MANAGER_{}", flag.to_uppercase().replace('-', "_"));
        let env = if flag == "allowed-origin" { "[env: MANAGER_ALLOWED_ORIGINS".to_owned() } else { env };
        assert!(help.contains(&env), "--{flag} shows {env} in:\n{help}");
    }
}

/// The `pingInterval` and `pingTimeout` an Engine.IO 4 handshake announces, in ms.
async fn announced_heartbeat(m: &ManagerProcess) -> (u64, u64) {
    let open = polling_handshake(&m.url(), Eio::V4).await;
    (open["pingInterval"].as_u64().expect("pingInterval"), open["pingTimeout"].as_u64().expect("pingTimeout"))
}

#[tokio::test]
async fn durations_take_units_or_plain_seconds_from_flags_and_the_environment() {
    let m = ManagerProcess::start(MANAGER, &["--ping-interval", "500ms", "--ping-timeout", "1m"]).await;
    assert_eq!(announced_heartbeat(&m).await, (500, 60_000));
    drop(m);
    let m = ManagerProcess::start_with_env(
        MANAGER,
        &[],
        &[("MANAGER_PING_INTERVAL", "2"), ("MANAGER_PING_TIMEOUT", "1.5")],
    )
    .await;
    assert_eq!(announced_heartbeat(&m).await, (2000, 1500));
}

#[tokio::test]
async fn listen_takes_a_host_name() {
    let m = ManagerProcess::start(MANAGER, &["--listen", "localhost:0"]).await;
    assert!(m.addr.ip().is_loopback(), "{}", m.addr);
    let version =
        http().get(format!("{}/api/v3/version", m.url())).send().await.expect("GET /api/v3/version");
    assert_eq!(version.status(), 200);
}

#[tokio::test]
async fn a_busy_port_is_one_plain_line_naming_the_flag_and_the_variable() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr").to_string();
    let exit = run(&["--listen", &addr], &[("RUST_LOG", "off")]).await;
    assert_eq!(exit.code, Some(1), "{}", exit.stderr);
    assert_eq!(
        exit.stderr,
        format!(
            "manager: cannot listen on {addr}: the address is already in use (is another manager running?); \
             stop what uses it, or choose another address with --listen or MANAGER_LISTEN\n"
        )
    );
}

#[tokio::test]
async fn the_log_has_no_colour_codes_when_it_is_not_a_terminal() {
    // NO_COLOR empty counts as unset; the log is a pipe, as when it is redirected to a file.
    let m = ManagerProcess::start_with_env(MANAGER, &[], &[("NO_COLOR", "")]).await;
    let line = m.wait_logged(&["listening on"]).await;
    assert!(line.contains(" INFO ") && !line.contains('\x1b'), "plain text: {line:?}");
}

/// Runs one echo job's first task on a new worker and reports it failed; the task's status
/// after that.
async fn status_after_one_failure(m: &ManagerProcess) -> String {
    let http = http();
    let url = m.url();
    let post = |path: &str, body: serde_json::Value| http.post(format!("{url}{path}")).json(&body);
    let job = json!({"name": "fails", "type": "echo-sleep-test", "submitter_platform": "linux",
                     "settings": {"message": "hi", "sleep_duration_seconds": 1}});
    assert!(post("/api/v3/jobs", job).send().await.expect("submit").status().is_success());
    let worker: serde_json::Value = post(
        "/api/v3/worker/register-worker",
        json!({"name": "w", "secret": "s", "platform": "linux", "supported_task_types": ["misc"]}),
    )
    .send()
    .await
    .expect("register")
    .json()
    .await
    .expect("registered");
    let id = worker["uuid"].as_str().expect("uuid").to_owned();
    let as_worker = |path: &str, body: serde_json::Value| post(path, body).basic_auth(&id, Some("s"));
    let sign_on = json!({"name": "w", "supported_task_types": ["misc"], "software_version": "3.6"});
    as_worker("/api/v3/worker/sign-on", sign_on).send().await.expect("sign on");
    as_worker("/api/v3/worker/state-changed", json!({"status": "awake"})).send().await.expect("awake");
    let task: serde_json::Value =
        as_worker("/api/v3/worker/task", json!({})).send().await.expect("task").json().await.expect("a task");
    let task_id = task["uuid"].as_str().expect("task uuid").to_owned();
    let failed =
        as_worker(&format!("/api/v3/worker/task/{task_id}"), json!({"taskStatus": "failed"})).send().await;
    assert_eq!(failed.expect("report").status(), 204);
    let task: serde_json::Value = http
        .get(format!("{url}/api/v3/tasks/{task_id}"))
        .send()
        .await
        .expect("fetch")
        .json()
        .await
        .expect("task");
    task["status"].as_str().expect("status").to_owned()
}

#[tokio::test]
async fn the_failure_thresholds_apply_from_flags_and_the_environment() {
    let m = ManagerProcess::start(MANAGER, &["--database", ":memory:"]).await;
    assert_eq!(
        status_after_one_failure(&m).await,
        "soft-failed",
        "Flamenco's default: 3 workers may fail it"
    );
    drop(m);
    let m = ManagerProcess::start_with_env(
        MANAGER,
        &["--database", ":memory:"],
        &[("MANAGER_TASK_FAIL_AFTER_SOFTFAIL_COUNT", "1")],
    )
    .await;
    assert_eq!(status_after_one_failure(&m).await, "failed");
}
