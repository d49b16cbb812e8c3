//! `cargo xtask ci`: the steps CI runs, in order; the first failure stops the run and is named.

use crate::util::{cargo, exec};

pub(crate) fn run_step(name: &str, step: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    eprintln!("==> ci step: {name}");
    step().map_err(|e| format!("step `{name}` failed: {e}"))
}

pub(crate) fn run() -> Result<(), String> {
    run_step("packages", || crate::packages::ensure(crate::packages::NEEDED))?;
    run_step("fmt", || exec(cargo().args(["fmt", "--all", "--", "--check"])))?;
    run_step("clippy", || {
        exec(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))
    })?;
    run_step("test", || exec(cargo().args(["test", "--workspace"])))?;
    run_step("deps", crate::deps::run)?;
    run_step("docs", crate::docs::run)?;
    // Every rustdoc warning is an error, not only the lints the workspace denies.
    run_step("rustdoc", || {
        exec(cargo().args(["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"))
    })?;
    run_step("e2e", crate::e2e::run)?;
    // A one-run smoke of the benchmark, so that it keeps working; only its correctness
    // counts (nothing lost, reordered or dropped), never its timings.
    run_step("bench", || crate::bench::run(crate::bench::Args::ci()))?;
    eprintln!("==> ci: all steps passed");
    Ok(())
}
