//! `docs/rest.md`, run: its ```sh blocks, in order, in one bash against the real manager
//! binary, each block's output checked against the `# => ...` lines written in it, so the
//! page cannot drift from the code. Then the end state, through the REST API: the job is
//! `completed` and the worker `offline`; and what a page watching over Socket.IO saw.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use test_support::{Eio, ManagerProcess, RawClient, WAIT};
use tokio_tungstenite::tungstenite::Message;

const MANAGER: &str = env!("CARGO_BIN_EXE_manager");

/// The address the page's commands use; replaced by the test manager's.
const DOCUMENTED_URL: &str = "http://127.0.0.1:8080";

/// How long the whole page may take to run.
const SCRIPT_LIMIT: Duration = Duration::from_secs(120);

/// Printed between blocks, so each block's output can be told apart.
const MARKER: &str = "\u{1e}walkthrough-block-end\u{1e}";

/// A ```sh block of the page: where it starts, its text, and the output it promises.
#[derive(Debug, PartialEq)]
struct Block {
    line: usize,
    code: String,
    expected: Vec<String>,
}

/// The page's ```sh blocks, in order. Other fences (```js, ```text, ...) are not run.
fn sh_blocks(page: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    // Inside a fence: `Some(Some(block))` for a ```sh one, `Some(None)` for another.
    let mut fence: Option<Option<Block>> = None;
    for (index, line) in page.lines().enumerate() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            match fence.take() {
                None => {
                    let block = Block { line: index + 1, code: String::new(), expected: Vec::new() };
                    fence = Some((info.trim() == "sh").then_some(block));
                }
                Some(Some(block)) => blocks.push(block),
                Some(None) => {}
            }
        } else if let Some(Some(block)) = fence.as_mut() {
            if let Some(expected) = line.trim_start().strip_prefix("# => ") {
                block.expected.push(expected.to_owned());
            }
            block.code.push_str(line);
            block.code.push('\n');
        }
    }
    assert!(fence.is_none(), "docs/rest.md ends inside a fenced block");
    blocks
}

/// Every curl in `block` is bounded in time and fails the script on an error status, or
/// prints the status for the page to show; and no command needs more than Debian's base.
fn check_commands(block: &Block) {
    let code = block.code.replace("\\\n", " ");
    for line in code.lines().filter(|l| l.contains("curl ")) {
        assert!(
            line.contains("--max-time"),
            "docs/rest.md line {}: curl without --max-time: {line}",
            block.line
        );
        assert!(
            line.contains("--fail-with-body") || line.contains("%{http_code}"),
            "docs/rest.md line {}: curl neither with --fail-with-body nor showing %{{http_code}}: {line}",
            block.line
        );
    }
    for tool in ["jq ", "python"] {
        assert!(!code.contains(tool), "docs/rest.md line {}: uses {tool}", block.line);
    }
}

/// Whether `actual` is `expected`, each `…` in `expected` standing for any text.
fn matches(expected: &str, actual: &str) -> bool {
    let mut pieces = expected.split('…');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = actual.strip_prefix(first) else { return false };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else { return rest.is_empty() };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// One bash script of every block, `set -euo pipefail`, with a marker after each block
/// and, at the end, the ids the page made.
fn script(blocks: &[Block], url: &str) -> String {
    let mut script = String::from("set -euo pipefail\n");
    for block in blocks {
        script.push_str(&block.code.replace(DOCUMENTED_URL, url));
        script.push_str(&format!("printf '\\n{MARKER}\\n'\n"));
    }
    script.push_str("printf '%s\\n' \"$JOB_ID\" \"$WORKER_ID\" \"$SECRET\"\n");
    script
}

/// Runs `blocks` in one bash against `manager`; its stdout, or a panic with everything
/// needed to see why not.
async fn run(blocks: &[Block], manager: &ManagerProcess) -> String {
    let child = tokio::process::Command::new("bash")
        .args(["-c", &script(blocks, &manager.url())])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start bash");
    let output = tokio::time::timeout(SCRIPT_LIMIT, child.wait_with_output())
        .await
        .expect("the page's commands finish in time")
        .expect("bash output");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let failed = blocks.get(stdout.matches(MARKER).count()).map_or(0, |b| b.line);
        panic!(
            "docs/rest.md: the sh block at line {failed} failed with {}\n--- stdout\n{stdout}\n--- stderr\n{}\n--- manager log\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            manager.log.lock().unwrap_or_else(|p| p.into_inner()).join("\n"),
        );
    }
    stdout
}

/// Checks each block's output against its `# =>` lines; the text after the last block.
fn check_outputs<'a>(blocks: &[Block], stdout: &'a str) -> &'a str {
    let mut outputs: Vec<&str> = stdout.split(MARKER).collect();
    let tail = outputs.pop().unwrap_or_default();
    assert_eq!(outputs.len(), blocks.len(), "one output per block:\n{stdout}");
    for (block, output) in blocks.iter().zip(outputs) {
        // The marker starts with a newline of its own, for output without one; so empty
        // lines are not compared.
        let lines: Vec<&str> = output.lines().filter(|l| !l.is_empty()).collect();
        let fits = lines.len() == block.expected.len()
            && block.expected.iter().zip(&lines).all(|(e, a)| matches(e, a));
        assert!(
            fits,
            "docs/rest.md line {}: the block printed\n{}\nbut the page says\n{}",
            block.line,
            lines.join("\n"),
            block.expected.join("\n"),
        );
    }
    tail
}

/// Whether the last worker update says the worker signed off.
/// The worker signed off, and the farm's status that follows it arrived.
fn signed_off(events: &[(String, serde_json::Value)]) -> bool {
    let worker_gone = events.iter().position(|(name, payload)| {
        name == "/workers" && payload["status"] == "offline" && payload["previous_status"] == "awake"
    });
    worker_gone.is_some_and(|at| events[at..].iter().any(|(name, _)| name == "/status"))
}

/// Connects a page that listens to workers and last-rendered images besides the default
/// jobs, the way Flamenco's web app does, and collects its `(event, payload)` pairs until
/// the worker signs off and the farm's status says so.
async fn watching_page(
    manager: &ManagerProcess,
) -> tokio::task::JoinHandle<Vec<(String, serde_json::Value)>> {
    let mut page = RawClient::connect(manager.addr, Eio::V4).await;
    for (id, kind) in [(1, "allWorkers"), (2, "allLastRendered")] {
        let ack = page.ack(id, &format!(r#"["/subscription",{{"op":"subscribe","type":"{kind}"}}]"#)).await;
        assert_eq!(ack, serde_json::json!(["ok"]));
    }
    tokio::spawn(async move {
        let mut events = Vec::new();
        while !signed_off(&events) {
            // Not `RawClient::next_event`: the page may wait longer than `WAIT` between
            // updates while the commands run, answering the server's pings meanwhile.
            match page.ws.next().await {
                Some(Ok(Message::Text(text))) if text.as_str() == "2" => {
                    page.ws.send(Message::text("3")).await.expect("pong");
                }
                Some(Ok(Message::Text(text))) => {
                    if let Some(body) = text.as_str().strip_prefix("42") {
                        let mut args: Vec<serde_json::Value> =
                            serde_json::from_str(body).expect("event json");
                        let payload = args.get_mut(1).map(serde_json::Value::take).unwrap_or_default();
                        events.push((args[0].as_str().unwrap_or_default().to_owned(), payload));
                    }
                }
                Some(Ok(_)) => {}
                None | Some(Err(_)) => panic!("the watching page was disconnected; it saw {events:?}"),
            }
        }
        events
    })
}

fn statuses(events: &[(String, serde_json::Value)], event: &str) -> Vec<(String, String)> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_owned();
    events
        .iter()
        .filter(|(name, _)| name == event)
        .map(|(_, payload)| (text(&payload["status"]), text(&payload["previous_status"])))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_page_runs_as_written() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/rest.md"))
        .expect("read docs/rest.md");
    let blocks = sh_blocks(&page);
    assert!(blocks.len() >= 10, "docs/rest.md has its sh blocks: {blocks:?}");
    for block in &blocks {
        check_commands(block);
    }

    let manager = ManagerProcess::start(MANAGER, &[]).await;
    let watching = watching_page(&manager).await;
    let stdout = run(&blocks, &manager).await;
    let tail = check_outputs(&blocks, &stdout);
    let ids: Vec<&str> = tail.lines().filter(|l| !l.is_empty()).collect();
    let [job_id, worker_id, secret] = ids[..] else { panic!("the ids after the page's commands: {tail:?}") };

    let http = reqwest::Client::builder().timeout(WAIT).build().expect("http client");
    let job: serde_json::Value = http
        .get(format!("{}/api/v3/jobs/{job_id}", manager.url()))
        .send()
        .await
        .expect("GET job")
        .json()
        .await
        .expect("job json");
    assert_eq!(job["status"], "completed", "{job}");
    // No route shows a worker; an offline one is told so when it asks for work.
    let asked = http
        .post(format!("{}/api/v3/worker/task", manager.url()))
        .basic_auth(worker_id, Some(secret))
        .send()
        .await
        .expect("ask for a task");
    assert_eq!(asked.status(), 409);
    let body: serde_json::Value = asked.json().await.expect("error json");
    assert!(body["message"].as_str().unwrap_or_default().contains("is offline, not awake"), "{body}");

    // What the watching page saw; its updates may arrive after the last command returned.
    let events = tokio::time::timeout(WAIT, watching)
        .await
        .expect("the watching page sees the worker sign off")
        .expect("the watching page");
    let workers = statuses(&events, "/workers");
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    };
    assert_eq!(
        workers,
        pairs(&[("offline", "-"), ("starting", "offline"), ("awake", "starting"), ("offline", "awake")]),
        "/workers as docs/rest.md says"
    );
    assert_eq!(
        statuses(&events, "/jobs"),
        pairs(&[("queued", "-"), ("active", "queued"), ("active", "-"), ("completed", "active")]),
        "/jobs as docs/rest.md says (the echo task's step, then the sleep task's)"
    );
    // The farm's status at each change: the worker signs on, the job waits for it, the
    // worker works on it, the job completes, the worker signs off. The status given on
    // connect, `inoperative`, may arrive before the page's subscription acks (and be
    // skipped with them) or after; `lifecycle.rs` checks it.
    let mut farm: Vec<String> = statuses(&events, "/status").into_iter().map(|(status, _)| status).collect();
    if farm.first().is_some_and(|s| s == "inoperative") {
        farm.remove(0);
    }
    assert_eq!(
        farm,
        ["idle", "waiting", "active", "idle", "inoperative"],
        "/status at each change: {events:?}"
    );
    let images: Vec<_> = events.iter().filter(|(name, _)| name == "/last-rendered").collect();
    assert_eq!(images.len(), 1, "one /last-rendered in Last-Rendered: {events:?}");
    assert_eq!(images[0].1["job_id"], job_id);
    assert_eq!(
        images[0].1["thumbnail"]["suffixes"],
        serde_json::json!(["last-rendered.jpg", "last-rendered-small.jpg", "last-rendered-tiny.jpg"])
    );
}

#[test]
fn sh_blocks_and_their_expected_output() {
    let page = "text\n```sh\nA=1\necho $A\n# => 1\n```\n```text\nnot run\n```\n```sh\ntrue\n```\n";
    assert_eq!(
        sh_blocks(page),
        [
            Block { line: 2, code: "A=1\necho $A\n# => 1\n".to_owned(), expected: vec!["1".to_owned()] },
            Block { line: 10, code: "true\n".to_owned(), expected: vec![] },
        ]
    );
}

#[test]
fn ellipsis_stands_for_any_text() {
    let check = |expected: &str, actual: &str, result: bool| {
        assert_eq!(matches(expected, actual), result, "{expected:?} vs {actual:?}");
    };
    check("204", "204", true);
    check("204", "2045", false);
    check("{\"id\":\"…\"}", "{\"id\":\"abc\"}", true);
    check("{\"id\":\"…\"}", "{\"id\":\"abc\"", false);
    check("a…b…c", "a-x-b-y-c", true);
    check("a…b…c", "a-x-c", false);
    check("a…a", "a", false);
    check("…", "", true);
}
