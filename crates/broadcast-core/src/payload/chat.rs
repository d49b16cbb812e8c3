//! The chat message of `/chat` and `/message`.

use serde::{Deserialize, Serialize};

/// `{name, text}`: received as `/chat`, passed on unchanged as `/message` to `Chat`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who is speaking.
    pub name: String,
    /// What they say.
    pub text: String,
}
