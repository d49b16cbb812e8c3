//! Chat: a client's `/chat` goes unchanged to `Chat` as `/message`, the sender included.

use crate::{ChatMessage, Room, Update};

use super::Notification;

/// The ack text for a chat message that was passed on.
pub const CHAT_ACK: &str = "message sent successfully.";

/// A client said something; everyone in `Chat` hears it.
pub fn chat_message(message: ChatMessage) -> Notification {
    Notification::to(Room::Chat, Update::Chat(message))
}
