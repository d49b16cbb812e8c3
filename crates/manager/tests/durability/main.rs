//! Durable state, against the real binary and a real SQLite file: a restart keeps
//! everything, SIGKILL under load loses nothing acknowledged, files the manager cannot
//! trust are refused with one clear line, a read-only database answers 503 while reads go
//! on, task logs are served byte for byte, and no `/job-files/` path leads elsewhere.
//! Every wait is bounded.

mod files;
mod kill;
mod refusals;
mod restart;
mod support;
