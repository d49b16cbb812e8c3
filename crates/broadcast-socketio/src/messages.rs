//! Client messages: `/subscription` and `/chat`, dispatched by event name alone.
//!
//! # Order of handling
//! socketioxide runs an ordinary message handler as a spawned task, so two messages from one
//! client can be handled in either order. [`Dispatcher`] instead implements socketioxide's
//! `MessageHandler` directly: its `call` runs in the socket's read loop, one message after
//! the other, and does all its work there without waiting (joining a room, queueing an ack
//! or a broadcast never blocks). A client's messages are therefore handled, and their acks
//! and chat broadcasts queued, in the order it sent them.
//!
//! # Bad input
//! A payload that is missing, not JSON, or of the wrong shape is answered with an ack text
//! saying so (when the client asked for an ack); nothing is joined and the connection stays
//! open. Unknown events are logged at debug and ignored.

use std::borrow::Cow;
use std::sync::Arc;

use broadcast_core::{
    ACK_OK, Event, Operation, Room,
    notify::{CHAT_ACK, chat_message},
    parse_chat_message, resolve_subscription,
};
use futures_util::FutureExt;
use serde_json::Value as Json;
use socketioxide::extract::{AckSender, SocketRef};
use socketioxide::handler::{FromMessageParts, MessageHandler};
use socketioxide::socket::Socket;
use socketioxide_core::Value;

use crate::{GuardedAdapter, SocketIoBroadcaster, metrics};

/// Handles every message a client sends, by event name; registered as each socket's
/// fallback handler so that one handler serves every event.
#[derive(Clone)]
pub(crate) struct Dispatcher {
    pub(crate) broadcaster: SocketIoBroadcaster,
}

/// Marks the [`MessageHandler`] implementation of [`Dispatcher`].
pub(crate) struct Ordered;

impl MessageHandler<GuardedAdapter, Ordered> for Dispatcher {
    fn call(&self, socket: Arc<Socket<GuardedAdapter>>, mut value: Value, ack_id: Option<i64>) {
        let ack = match AckSender::from_message_parts(&socket, &mut value, &ack_id) {
            Ok(ack) => ack,
            Err(never) => match never {},
        };
        let socket = SocketRef::from(socket);
        let args = arguments(&value);
        let Some(name) = args.as_ref().and_then(|a| a.first()).and_then(Json::as_str) else {
            tracing::debug!(sid = %socket.id, "ignoring a message without an event name");
            return;
        };
        let payload = args.as_ref().and_then(|a| a.get(1));
        let reply = match name.parse::<Event>() {
            Ok(Event::Subscription) => self.subscription(&socket, payload),
            Ok(Event::Chat) => self.chat(&socket, payload),
            _ => {
                tracing::debug!(sid = %socket.id, event = %truncate(name), "ignoring unknown event");
                return;
            }
        };
        if let Err(e) = ack.send(reply.as_ref()) {
            if matches!(e, socketioxide::SendError::Socket(socketioxide::SocketError::InternalChannelFull)) {
                self.broadcaster.evict(socket.id, "its send buffer was full when an ack was due");
            } else {
                tracing::info!(sid = %socket.id, error = %e, "could not send ack");
            }
        }
    }
}

impl Dispatcher {
    /// Applies a `/subscription` request and returns its ack text.
    fn subscription(&self, socket: &SocketRef<GuardedAdapter>, payload: Option<&Json>) -> Cow<'static, str> {
        let sub = resolve_subscription(payload).and_then(|sub| {
            let joined = socket.rooms().into_iter().filter_map(|r| r.parse::<Room>().ok());
            sub.check_limit(joined, self.broadcaster.shared.config.max_dynamic_rooms).map(|()| sub)
        });
        match sub {
            Ok(sub) => {
                match sub.op {
                    Operation::Subscribe => socket.join(sub.room.name()),
                    Operation::Unsubscribe => socket.leave(sub.room.name()),
                }
                tracing::debug!(sid = %socket.id, op = ?sub.op, room = %sub.room, "subscription changed");
                Cow::Borrowed(ACK_OK)
            }
            Err(e) => {
                tracing::info!(sid = %socket.id, error = %e, "subscription refused");
                metrics::subscription_error();
                Cow::Borrowed(e.ack_text())
            }
        }
    }

    /// Passes a `/chat` message on to `Chat` and returns the ack text.
    fn chat(&self, socket: &SocketRef<GuardedAdapter>, payload: Option<&Json>) -> Cow<'static, str> {
        let message = match parse_chat_message(payload, self.broadcaster.shared.config.max_chat_text) {
            Ok(message) => message,
            Err(e) => {
                tracing::info!(sid = %socket.id, error = %e, "chat message refused");
                metrics::chat_refused();
                return e.ack_text();
            }
        };
        for delivery in chat_message(message).into_deliveries() {
            match self.broadcaster.shared.chat_relay.get() {
                Some(relay) => {
                    // Failures are logged and counted by the relay. One send, polled once
                    // here; one that must wait goes on in a task of its own, never twice.
                    let relay = relay.clone();
                    let mut send =
                        Box::pin(async move { relay.broadcast(delivery.room, &delivery.update).await });
                    if (&mut send).now_or_never().is_none() {
                        tokio::spawn(send);
                    }
                }
                // A failure is logged and counted by `deliver`; the sender's message did go out.
                None => drop(self.broadcaster.deliver(delivery.room, &delivery.update)),
            }
        }
        Cow::Borrowed(CHAT_ACK)
    }
}

/// A message's arguments as JSON, the event name first; `None` for a binary (non-JSON)
/// packet or text that does not parse.
fn arguments(value: &Value) -> Option<Vec<Json>> {
    let text = value.as_str()?;
    serde_json::from_str(text).ok()
}

/// An event name fit for a log line: a client may send a very long one.
fn truncate(name: &str) -> &str {
    match name.char_indices().nth(64) {
        Some((i, _)) => &name[..i],
        None => name,
    }
}
