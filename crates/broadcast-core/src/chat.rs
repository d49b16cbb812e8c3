//! `/chat`: from a client's raw payload to the message passed on, or to the ack text that
//! refuses it. Like [`resolve_subscription`](crate::resolve_subscription), the one place that
//! decides; an adapter only applies the result.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use crate::ChatMessage;

/// The longest chat `text`, in characters, unless configured otherwise.
pub const DEFAULT_MAX_CHAT_TEXT: usize = 4096;

/// Why a `/chat` message was refused. [`ChatError::ack_text`] is the ack the client gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatError {
    /// The payload is missing or not `{name: string, text: string}`.
    WrongShape,
    /// `text` is longer than the limit, in characters.
    TooLong {
        /// The limit.
        max: usize,
    },
}

impl ChatError {
    /// The ack text the client receives.
    pub fn ack_text(self) -> Cow<'static, str> {
        match self {
            ChatError::WrongShape => {
                Cow::Borrowed("invalid chat message: expected {name: string, text: string}, ignoring request")
            }
            ChatError::TooLong { max } => {
                Cow::Owned(format!("chat message too long: at most {max} characters, ignoring request"))
            }
        }
    }
}

impl std::fmt::Display for ChatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.ack_text())
    }
}

impl std::error::Error for ChatError {}

/// Decides what a `/chat` payload (its first argument, `None` when there was none) passes
/// on: the message unchanged, or a refusal.
pub fn parse_chat_message(payload: Option<&Value>, max_text_chars: usize) -> Result<ChatMessage, ChatError> {
    let message = payload.and_then(|p| ChatMessage::deserialize(p).ok()).ok_or(ChatError::WrongShape)?;
    if message.text.chars().nth(max_text_chars).is_some() {
        return Err(ChatError::TooLong { max: max_text_chars });
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(payload: Option<Value>, max: usize, expected: Result<(&str, &str), &str>) {
        let got = parse_chat_message(payload.as_ref(), max);
        match expected {
            Ok((name, text)) => assert_eq!(got, Ok(ChatMessage { name: name.into(), text: text.into() })),
            Err(ack) => {
                assert_eq!(got.map_err(|e| e.ack_text().into_owned()), Err(ack.to_owned()), "{payload:?}")
            }
        }
    }

    #[test]
    fn chat_payloads() {
        let shape = "invalid chat message: expected {name: string, text: string}, ignoring request";
        check(Some(json!({"name": "a", "text": "héllo"})), 5, Ok(("a", "héllo")));
        check(
            Some(json!({"name": "a", "text": "héllo!"})),
            5,
            Err("chat message too long: at most 5 characters, ignoring request"),
        );
        check(None, 5, Err(shape));
        check(Some(json!("hi")), 5, Err(shape));
        check(Some(json!({"name": 1, "text": []})), 5, Err(shape));
        check(Some(json!({"name": "a"})), 5, Err(shape));
        assert_eq!(DEFAULT_MAX_CHAT_TEXT, 4096);
    }
}
