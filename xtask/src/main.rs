//! The workspace's tasks, run as `cargo xtask <task>`; `cargo xtask --help` lists them.
//!
//! One module per task. Tasks call cargo through `$CARGO` and work from the workspace root,
//! whatever the current directory.

mod bench;
mod ci;
mod deps;
mod docs;
mod e2e;
mod util;

use std::process::ExitCode;

/// Every task: its name, its one-line description, and what runs it.
const TASKS: &[Task] = &[
    Task {
        name: "bench",
        about: "benchmark: ours vs Node's socket.io and a ceiling probe (ci runs --quick --check)",
        run: bench::run,
    },
    Task { name: "ci", about: "everything CI checks, in order, stopping at the first failure", run: ci::run },
    Task {
        name: "deps",
        about: "check the crates' one-way dependency rules with cargo tree -i",
        run: deps::run,
    },
    Task {
        name: "docs",
        about: "check that the paths and items the docs name exist, and the docs' ack-text table",
        run: docs::run,
    },
    Task {
        name: "e2e",
        about: "end-to-end suites: real socket.io clients (npm) against real servers",
        run: e2e::run,
    },
];

struct Task {
    name: &'static str,
    about: &'static str,
    run: fn(&[String]) -> Result<(), String>,
}

fn help() -> String {
    let mut out = String::from("Usage: cargo xtask <task> [options]\n\nTasks:\n");
    for task in TASKS {
        out.push_str(&format!("  {:<8} {}\n", task.name, task.about));
    }
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        eprint!("{}", help());
        return ExitCode::from(2);
    };
    if name == "--help" || name == "-h" || name == "help" {
        print!("{}", help());
        return ExitCode::SUCCESS;
    }
    let Some(task) = TASKS.iter().find(|t| t.name == name) else {
        eprint!("unknown task {name:?}\n\n{}", help());
        return ExitCode::from(2);
    };
    match (task.run)(&args[1..]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {}: {e}", task.name);
            ExitCode::FAILURE
        }
    }
}
