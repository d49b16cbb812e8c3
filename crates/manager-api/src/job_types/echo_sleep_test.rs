//! `echo-sleep-test`: echo a message, then sleep. A job type for trying out the farm.

use serde_json::{Map, Value, json};

use super::CompiledTask;
use super::settings::{positive_integer, required_string};
use crate::Error;
use crate::model::Command;

pub(super) const NAME: &str = "echo-sleep-test";

/// Settings `message` (string) and `sleep_duration_seconds` (positive integer); an `echo`
/// task, then a `sleep` task that waits for it, both of task type `misc`.
pub(super) fn compile(settings: &Map<String, Value>) -> Result<Vec<CompiledTask>, Error> {
    let message = required_string(settings, "message")?;
    let seconds = positive_integer(settings, "sleep_duration_seconds")?;
    Ok(vec![
        CompiledTask {
            name: "echo".to_owned(),
            task_type: "misc".to_owned(),
            commands: vec![Command::new("echo", json!({ "message": message }))],
            depends_on: vec![],
            steps: 1,
        },
        CompiledTask {
            name: "sleep".to_owned(),
            task_type: "misc".to_owned(),
            commands: vec![Command::new("sleep", json!({ "duration_in_seconds": seconds }))],
            depends_on: vec![0],
            steps: 1,
        },
    ])
}
