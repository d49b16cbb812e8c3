//! Event names: what a Socket.IO message is called on the wire.
//!
//! A received message is handled by its event name alone; the room a message was sent to
//! only decides who receives it.

use std::fmt;
use std::str::FromStr;

/// A Socket.IO event name of the web-updates protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// `/subscription`, client to server: a [`SubscriptionRequest`](crate::SubscriptionRequest)
    /// asking to join or leave a room.
    Subscription,
    /// `/chat`, client to server: a [`ChatMessage`](crate::ChatMessage) to pass on to `Chat`.
    Chat,
    /// `/message`, server to `Chat`: a [`ChatMessage`](crate::ChatMessage).
    Message,
    /// `/jobs`, server to `Jobs`: a [`JobUpdate`](crate::JobUpdate).
    Jobs,
    /// `/task`, server to `job-<uuid>`: a [`TaskUpdate`](crate::TaskUpdate).
    Task,
    /// `/tasklog`, server to `tasklog-<uuid>`: a [`TaskLogUpdate`](crate::TaskLogUpdate).
    TaskLog,
    /// `/last-rendered`, server to `job-<uuid>` and `Last-Rendered`: a
    /// [`LastRenderedUpdate`](crate::LastRenderedUpdate).
    LastRendered,
    /// `/workers`, server to `Workers`: a [`WorkerUpdate`](crate::WorkerUpdate).
    Workers,
    /// `/workertags`, server to `WorkerTags`: a [`WorkerTagUpdate`](crate::WorkerTagUpdate).
    WorkerTags,
    /// `/status`, server to `FarmStatus`: a [`FarmStatusReport`](crate::FarmStatusReport).
    Status,
    /// `/lifecycle`, server to `Lifecycle`: an [`EventLifeCycle`](crate::EventLifeCycle).
    Lifecycle,
}

/// A string that is not an event name of the protocol.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an event name: {0:?}")]
pub struct EventParseError(pub String);

impl Event {
    /// Every event, client-to-server ones first.
    pub const ALL: [Event; 11] = [
        Event::Subscription,
        Event::Chat,
        Event::Message,
        Event::Jobs,
        Event::Task,
        Event::TaskLog,
        Event::LastRendered,
        Event::Workers,
        Event::WorkerTags,
        Event::Status,
        Event::Lifecycle,
    ];

    /// The exact event name on the wire.
    pub const fn name(self) -> &'static str {
        match self {
            Event::Subscription => "/subscription",
            Event::Chat => "/chat",
            Event::Message => "/message",
            Event::Jobs => "/jobs",
            Event::Task => "/task",
            Event::TaskLog => "/tasklog",
            Event::LastRendered => "/last-rendered",
            Event::Workers => "/workers",
            Event::WorkerTags => "/workertags",
            Event::Status => "/status",
            Event::Lifecycle => "/lifecycle",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Event {
    type Err = EventParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Event::ALL.into_iter().find(|e| e.name() == s).ok_or_else(|| EventParseError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_event_names() {
        let expected = [
            (Event::Subscription, "/subscription"),
            (Event::Chat, "/chat"),
            (Event::Message, "/message"),
            (Event::Jobs, "/jobs"),
            (Event::Task, "/task"),
            (Event::TaskLog, "/tasklog"),
            (Event::LastRendered, "/last-rendered"),
            (Event::Workers, "/workers"),
            (Event::WorkerTags, "/workertags"),
            (Event::Status, "/status"),
            (Event::Lifecycle, "/lifecycle"),
        ];
        assert_eq!(expected.len(), Event::ALL.len());
        for (event, name) in expected {
            assert_eq!(event.name(), name);
            assert_eq!(event.to_string(), name);
            assert_eq!(name.parse::<Event>(), Ok(event));
        }
    }

    #[test]
    fn unknown_event_names_are_errors() {
        for bad in ["", "jobs", "/Jobs", "/job", "/tasklogs", "/subscription "] {
            assert_eq!(bad.parse::<Event>(), Err(EventParseError(bad.to_owned())));
        }
    }
}
