//! Reading a job's settings, with errors that name the setting and what is wrong.

use serde_json::{Map, Value};

use crate::Error;

fn required<'a>(settings: &'a Map<String, Value>, key: &str) -> Result<&'a Value, Error> {
    match settings.get(key) {
        None | Some(Value::Null) => Err(Error::invalid(format!("setting {key:?} is required"))),
        Some(value) => Ok(value),
    }
}

fn as_string(key: &str, value: &Value) -> Result<String, Error> {
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::invalid(format!("setting {key:?} must be a string, got {value}")))
}

/// The string setting `key`, which must be present.
pub(super) fn required_string(settings: &Map<String, Value>, key: &str) -> Result<String, Error> {
    as_string(key, required(settings, key)?)
}

/// The string setting `key`, or `default` when absent.
pub(super) fn optional_string(
    settings: &Map<String, Value>,
    key: &str,
    default: &str,
) -> Result<String, Error> {
    match settings.get(key) {
        None | Some(Value::Null) => Ok(default.to_owned()),
        Some(value) => as_string(key, value),
    }
}

/// The integer setting `key`, which must be present and at least 1.
pub(super) fn positive_integer(settings: &Map<String, Value>, key: &str) -> Result<u64, Error> {
    let value = required(settings, key)?;
    match value.as_u64() {
        Some(n) if n > 0 => Ok(n),
        _ => Err(Error::invalid(format!("setting {key:?} must be a positive integer, got {value}"))),
    }
}

/// The number setting `key`, or `default` when absent.
pub(super) fn optional_number(
    settings: &Map<String, Value>,
    key: &str,
    default: f64,
) -> Result<Value, Error> {
    match settings.get(key) {
        None | Some(Value::Null) => Ok(Value::from(default)),
        Some(value @ Value::Number(_)) => Ok(value.clone()),
        Some(value) => Err(Error::invalid(format!("setting {key:?} must be a number, got {value}"))),
    }
}
