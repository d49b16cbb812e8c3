//! `Command`: one thing a worker executes as part of a task.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `Command`: a command name the worker knows (`blender-render`, `echo`, ...) and its
/// parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Command {
    /// The command to run.
    pub name: String,
    /// Its parameters, as the worker expects them.
    pub parameters: Map<String, Value>,
}

impl Command {
    /// A command from a name and a JSON object of parameters; anything but an object gives
    /// no parameters.
    pub fn new(name: &str, parameters: Value) -> Self {
        let parameters = match parameters {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        Command { name: name.to_owned(), parameters }
    }
}
