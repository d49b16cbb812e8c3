//! [`Update`]: one typed message the server sends, tied to its event name.

use serde::Serialize;

use crate::{
    ChatMessage, Event, EventLifeCycle, FarmStatusReport, JobUpdate, LastRenderedUpdate, TaskLogUpdate,
    TaskUpdate, WorkerTagUpdate, WorkerUpdate,
};

/// A message from the server to clients. Each variant knows its event name, so a payload
/// cannot be sent without one; serialising an `Update` gives just the payload's JSON.
///
/// ```
/// use broadcast_core::{ChatMessage, Update};
///
/// let update = Update::Chat(ChatMessage { name: "farm".into(), text: "hi".into() });
/// assert_eq!(update.event().name(), "/message");
/// assert_eq!(update.to_json(), serde_json::json!({"name": "farm", "text": "hi"}));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Update {
    /// Sent as `/jobs`.
    Job(JobUpdate),
    /// Sent as `/task`.
    Task(TaskUpdate),
    /// Sent as `/tasklog`.
    TaskLog(TaskLogUpdate),
    /// Sent as `/last-rendered`.
    LastRendered(LastRenderedUpdate),
    /// Sent as `/workers`.
    Worker(WorkerUpdate),
    /// Sent as `/workertags`.
    WorkerTag(WorkerTagUpdate),
    /// Sent as `/message`.
    Chat(ChatMessage),
    /// Sent as `/status`.
    FarmStatus(FarmStatusReport),
    /// Sent as `/lifecycle`.
    Lifecycle(EventLifeCycle),
}

impl Update {
    /// The event this update is sent as.
    pub const fn event(&self) -> Event {
        match self {
            Update::Job(_) => Event::Jobs,
            Update::Task(_) => Event::Task,
            Update::TaskLog(_) => Event::TaskLog,
            Update::LastRendered(_) => Event::LastRendered,
            Update::Worker(_) => Event::Workers,
            Update::WorkerTag(_) => Event::WorkerTags,
            Update::Chat(_) => Event::Message,
            Update::FarmStatus(_) => Event::Status,
            Update::Lifecycle(_) => Event::Lifecycle,
        }
    }

    /// The update that is sent as `event` with the payload `json`: the inverse of
    /// [`Update::event`] and [`Update::to_json`], for a transport that carries updates
    /// between processes. An event clients send (`/subscription`, `/chat`) or a payload
    /// that is not that event's schema is an error.
    ///
    /// ```
    /// use broadcast_core::{ChatMessage, Event, Update};
    ///
    /// let update = Update::Chat(ChatMessage { name: "farm".into(), text: "hi".into() });
    /// assert_eq!(Update::from_json(update.event(), update.to_json()).unwrap(), update);
    /// assert!(Update::from_json(Event::Jobs, update.to_json()).is_err());
    /// ```
    pub fn from_json(event: Event, json: serde_json::Value) -> Result<Update, serde_json::Error> {
        use serde::de::Error;
        use serde_json::from_value;
        Ok(match event {
            Event::Jobs => Update::Job(from_value(json)?),
            Event::Task => Update::Task(from_value(json)?),
            Event::TaskLog => Update::TaskLog(from_value(json)?),
            Event::LastRendered => Update::LastRendered(from_value(json)?),
            Event::Workers => Update::Worker(from_value(json)?),
            Event::WorkerTags => Update::WorkerTag(from_value(json)?),
            Event::Message => Update::Chat(from_value(json)?),
            Event::Status => Update::FarmStatus(from_value(json)?),
            Event::Lifecycle => Update::Lifecycle(from_value(json)?),
            Event::Subscription | Event::Chat => {
                return Err(serde_json::Error::custom(format!(
                    "{event} is sent by clients, not by the server"
                )));
            }
        })
    }

    /// The payload as a JSON value, as a client receives it.
    pub fn to_json(&self) -> serde_json::Value {
        // Every payload is a struct of strings, numbers, booleans and lists with string
        // keys, for which serde_json cannot fail.
        serde_json::to_value(self).unwrap_or_else(|e| unreachable!("payload serialisation: {e}"))
    }
}
