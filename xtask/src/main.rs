//! The workspace's tasks, run as `cargo xtask <task>`; `cargo xtask --help` lists them and
//! `cargo xtask <task> --help` explains one.
//!
//! One module per task, one flags definition ([`Cli`]) for all of them. Tasks call cargo
//! through `$CARGO` and work from the workspace root, whatever the current directory.

mod bench;
mod ci;
mod deps;
mod docs;
mod e2e;
mod packages;
mod util;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

/// The workspace's build, test, e2e, bench and docs tasks.
#[derive(Parser, Debug)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    arg_required_else_help = true,
    subcommand_value_name = "TASK",
    subcommand_help_heading = "Tasks"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) task: Task,
}

/// Every task; the first line of each doc comment is its line in `cargo xtask --help`.
#[derive(clap::Subcommand, Debug, PartialEq)]
pub(crate) enum Task {
    /// Benchmark: ours vs Node's socket.io and a ceiling probe (ci runs --quick --check).
    Bench(bench::Args),
    /// Everything CI checks, in order, stopping at the first failure.
    ///
    /// The Debian packages the tests need (installed with apt-get when run as root), fmt,
    /// clippy, every crate's tests, deps, docs, rustdoc with warnings as errors, e2e, and
    /// `bench --quick --check`.
    Ci,
    /// Check the crates' one-way dependency rules with `cargo tree -i`.
    Deps,
    /// Check that the paths, items and import paths the docs name exist, and the ack-text table.
    Docs,
    /// End-to-end suites: real socket.io clients (npm) and the web app in Chromium against real servers.
    E2e,
}

impl Cli {
    /// Parses a command line (program name first), including the checks that relate one
    /// flag to another, so every bad command line is a clap error (exit code 2).
    pub(crate) fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let cli = Cli::try_parse_from(args)?;
        let checked = match &cli.task {
            Task::Bench(args) => args.validate(),
            Task::Ci | Task::Deps | Task::Docs | Task::E2e => Ok(()),
        };
        match checked {
            Ok(()) => Ok(cli),
            Err(message) => {
                let mut command = <Cli as clap::CommandFactory>::command();
                let name = cli.task.name();
                let sub = command
                    .find_subcommand_mut(name)
                    .map(|c| c.clone().bin_name(format!("cargo xtask {name}")));
                let mut command = sub.unwrap_or(command);
                Err(command.error(clap::error::ErrorKind::ArgumentConflict, message))
            }
        }
    }
}

impl Task {
    /// The task's name on the command line.
    fn name(&self) -> &'static str {
        match self {
            Task::Bench(_) => "bench",
            Task::Ci => "ci",
            Task::Deps => "deps",
            Task::Docs => "docs",
            Task::E2e => "e2e",
        }
    }

    fn run(self) -> Result<(), String> {
        match self {
            Task::Bench(args) => bench::run(args),
            Task::Ci => ci::run(),
            Task::Deps => deps::run(),
            Task::Docs => docs::run(),
            Task::E2e => e2e::run(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    let name = cli.task.name();
    match cli.task.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {name}: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;

    use super::*;

    fn parse(args: &[&str]) -> Result<Task, clap::Error> {
        Cli::parse_args(["xtask"].iter().chain(args)).map(|cli| cli.task)
    }

    #[test]
    fn every_task_parses_and_takes_no_stray_options() {
        assert_eq!(parse(&["ci"]).unwrap(), Task::Ci);
        assert_eq!(parse(&["deps"]).unwrap(), Task::Deps);
        assert_eq!(parse(&["docs"]).unwrap(), Task::Docs);
        assert_eq!(parse(&["e2e"]).unwrap(), Task::E2e);
        assert_eq!(parse(&["bench"]).unwrap(), Task::Bench(bench::Args::default()));
        for task in ["ci", "deps", "docs", "e2e", "bench"] {
            let e = parse(&[task, "--nope"]).unwrap_err();
            assert_eq!((e.kind(), e.exit_code()), (ErrorKind::UnknownArgument, 2), "{task}");
            assert!(e.to_string().contains(&format!("Usage: cargo xtask {task}")), "{e}");
        }
    }

    #[test]
    fn help_lists_every_task_and_every_task_has_help() {
        let e = parse(&["--help"]).unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::DisplayHelp, 0));
        let help = e.to_string();
        for task in ["bench", "ci", "deps", "docs", "e2e"] {
            assert!(help.lines().any(|l| l.trim_start().starts_with(task)), "{task} missing from:\n{help}");
            let e = parse(&[task, "--help"]).unwrap_err();
            assert_eq!((e.kind(), e.exit_code()), (ErrorKind::DisplayHelp, 0), "{task}");
        }
        let bench = parse(&["bench", "--help"]).unwrap_err().to_string();
        for flag in
            ["--quick", "--check", "--runs <N>", "--only <NAMES>", "--servers <NAMES>", "--baseline <PATH>"]
        {
            assert!(bench.contains(flag), "{flag} missing from:\n{bench}");
        }
    }

    #[test]
    fn unknown_task_missing_task_and_a_refused_value_exit_with_2() {
        let e = parse(&["deploy"]).unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::InvalidSubcommand, 2));
        let e = parse(&[]).unwrap_err();
        assert_eq!(e.exit_code(), 2, "no task: the help, as an error");
        let e = parse(&["bench", "--runs", "0"]).unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::ValueValidation, 2));
        let e = parse(&["bench", "--servers", "baseline"]).unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::ArgumentConflict, 2));
        let text = e.to_string();
        assert!(text.contains("--servers baseline needs --baseline PATH"), "{text}");
        assert!(text.contains("Usage: cargo xtask bench"), "{text}");
    }
}
