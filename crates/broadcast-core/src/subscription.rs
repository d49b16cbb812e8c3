//! `/subscription`: from a client's raw payload to the room it joins or leaves.
//!
//! [`resolve_subscription`] is the one place that decides; an adapter only applies the
//! result and sends back the ack text. A rejected request changes nothing and never closes
//! the connection: the client gets the error's text as its ack.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::Room;

/// The ack text of a subscription request that was carried out.
pub const ACK_OK: &str = "ok";

/// Dynamic (`job-…` and `tasklog-…`) rooms one socket may be in, unless configured otherwise.
pub const DEFAULT_MAX_DYNAMIC_ROOMS: usize = 256;

/// `SocketIOSubscription`: the payload a client sends as `/subscription`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionRequest {
    /// Join or leave.
    pub op: Operation,
    /// Which kind of room.
    #[serde(rename = "type")]
    pub kind: SubscriptionType,
    /// The job or task, for `job` and `tasklog`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Uuid>,
}

/// `SocketIOSubscriptionOperation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Operation {
    /// `subscribe`: join the room.
    Subscribe,
    /// `unsubscribe`: leave the room.
    Unsubscribe,
}

/// `SocketIOSubscriptionType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SubscriptionType {
    /// `allJobs`: the `Jobs` room.
    AllJobs,
    /// `allWorkers`: the `Workers` room.
    AllWorkers,
    /// `job`: one job's room, `job-<uuid>`.
    Job,
    /// `tasklog`: one task's log room, `tasklog-<uuid>`.
    #[serde(rename = "tasklog")]
    TaskLog,
    /// `allLastRendered`: the `Last-Rendered` room.
    AllLastRendered,
    /// `allWorkerTags`: the `WorkerTags` room.
    AllWorkerTags,
}

/// A valid subscription request: what to do with which room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// Join or leave.
    pub op: Operation,
    /// The room.
    pub room: Room,
}

/// Why a subscription request was refused. [`SubscriptionError::ack_text`] (and `Display`)
/// is the exact ack string the client receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionError {
    /// The message carried no payload.
    MissingPayload,
    /// The payload is not a JSON object.
    NotAnObject,
    /// `uuid` is present but not a UUID in the 36-character hyphenated form.
    InvalidUuid,
    /// `type` is absent.
    MissingType,
    /// `type` is not a string.
    TypeNotString,
    /// `type` is a string but not a known subscription type.
    UnknownType,
    /// `type` is `job` and there is no `uuid`.
    JobRequiresUuid,
    /// `type` is `tasklog` and there is no `uuid`.
    TaskRequiresUuid,
    /// `op` is absent.
    MissingOperation,
    /// `op` is not `subscribe` or `unsubscribe`.
    InvalidOperation,
    /// Joining would put the socket in more dynamic rooms than allowed.
    TooManySubscriptions,
}

impl SubscriptionError {
    /// The ack text the client receives.
    pub const fn ack_text(self) -> &'static str {
        match self {
            SubscriptionError::MissingPayload => "missing subscription payload, ignoring request",
            SubscriptionError::NotAnObject => "subscription payload must be an object, ignoring request",
            SubscriptionError::InvalidUuid => "invalid UUID, ignoring request",
            SubscriptionError::MissingType => "missing subscription type, ignoring request",
            SubscriptionError::TypeNotString => "subscription type must be a string, ignoring request",
            SubscriptionError::UnknownType => "unknown subscription type, ignoring request",
            SubscriptionError::JobRequiresUuid => "operation on job requires a UUID",
            SubscriptionError::TaskRequiresUuid => "operation on task requires a UUID",
            SubscriptionError::MissingOperation => "missing subscription operation, ignoring request",
            SubscriptionError::InvalidOperation => "invalid subscription operation, ignoring request",
            SubscriptionError::TooManySubscriptions => "too many subscriptions, ignoring request",
        }
    }
}

impl std::fmt::Display for SubscriptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.ack_text())
    }
}

impl std::error::Error for SubscriptionError {}

/// Decides what a `/subscription` payload asks for.
///
/// `payload` is the first argument of the message, `None` when there was none. Checks run
/// in this order: the payload is an object; `uuid`, when present and not `null`, is a
/// hyphenated UUID (upper case is accepted and normalised); `type` is known and has the
/// `uuid` it needs; `op` is known.
///
/// ```
/// use broadcast_core::{Operation, Room, Subscription, SubscriptionError, resolve_subscription};
/// use serde_json::json;
///
/// let asked = json!({"op": "subscribe", "type": "job", "uuid": "FA48930A-105C-4125-A7F7-0AA1651DCD57"});
/// let Subscription { op, room } = resolve_subscription(Some(&asked))?;
/// assert_eq!(op, Operation::Subscribe);
/// assert_eq!(room.to_string(), "job-fa48930a-105c-4125-a7f7-0aa1651dcd57");
/// assert!(matches!(room, Room::Job(_)));
///
/// // A refusal's text is the ack the client gets; nothing changes.
/// let refused = resolve_subscription(Some(&json!({"op": "subscribe", "type": "job"})));
/// assert_eq!(refused, Err(SubscriptionError::JobRequiresUuid));
/// assert_eq!(refused.unwrap_err().ack_text(), "operation on job requires a UUID");
/// # Ok::<(), SubscriptionError>(())
/// ```
pub fn resolve_subscription(payload: Option<&Value>) -> Result<Subscription, SubscriptionError> {
    let object = payload
        .ok_or(SubscriptionError::MissingPayload)?
        .as_object()
        .ok_or(SubscriptionError::NotAnObject)?;

    let uuid = match object.get("uuid") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_hyphenated_uuid(s).ok_or(SubscriptionError::InvalidUuid)?),
        Some(_) => return Err(SubscriptionError::InvalidUuid),
    };

    let kind = match object.get("type") {
        None | Some(Value::Null) => return Err(SubscriptionError::MissingType),
        Some(v @ Value::String(_)) => {
            SubscriptionType::deserialize(v).map_err(|_| SubscriptionError::UnknownType)?
        }
        Some(_) => return Err(SubscriptionError::TypeNotString),
    };
    let room = match (kind, uuid) {
        (SubscriptionType::AllJobs, _) => Room::Jobs,
        (SubscriptionType::AllWorkers, _) => Room::Workers,
        (SubscriptionType::AllLastRendered, _) => Room::LastRendered,
        (SubscriptionType::AllWorkerTags, _) => Room::WorkerTags,
        (SubscriptionType::Job, Some(id)) => Room::Job(id),
        (SubscriptionType::Job, None) => return Err(SubscriptionError::JobRequiresUuid),
        (SubscriptionType::TaskLog, Some(id)) => Room::TaskLog(id),
        (SubscriptionType::TaskLog, None) => return Err(SubscriptionError::TaskRequiresUuid),
    };

    let op = match object.get("op") {
        None | Some(Value::Null) => return Err(SubscriptionError::MissingOperation),
        Some(v) => Operation::deserialize(v).map_err(|_| SubscriptionError::InvalidOperation)?,
    };

    Ok(Subscription { op, room })
}

impl Subscription {
    /// Checks the per-socket cap on dynamic rooms before this subscription is applied.
    ///
    /// `joined` are the rooms the socket is in now. Leaving, joining a predefined room and
    /// joining a room the socket is already in are always allowed.
    pub fn check_limit(
        &self,
        joined: impl IntoIterator<Item = Room>,
        max_dynamic_rooms: usize,
    ) -> Result<(), SubscriptionError> {
        if self.op == Operation::Unsubscribe || !self.room.is_dynamic() {
            return Ok(());
        }
        let mut dynamic = 0usize;
        for room in joined {
            if room == self.room {
                return Ok(());
            }
            dynamic += usize::from(room.is_dynamic());
        }
        if dynamic >= max_dynamic_rooms { Err(SubscriptionError::TooManySubscriptions) } else { Ok(()) }
    }
}

/// Parses a UUID only in its 36-character hyphenated form, either case.
pub(crate) fn parse_hyphenated_uuid(s: &str) -> Option<Uuid> {
    if s.len() != 36 {
        return None;
    }
    Uuid::try_parse(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "fa48930a-105c-4125-a7f7-0aa1651dcd57";

    fn id() -> Uuid {
        ID.parse().unwrap()
    }

    /// One case: a payload and the ack text the client gets for it.
    fn check(payload: Value, ack: &str) {
        let got = match resolve_subscription(Some(&payload)) {
            Ok(_) => ACK_OK.to_owned(),
            Err(e) => e.to_string(),
        };
        assert_eq!(got, ack, "payload {payload}");
    }

    fn check_room(payload: Value, op: Operation, room: Room) {
        assert_eq!(resolve_subscription(Some(&payload)), Ok(Subscription { op, room }), "{payload}");
    }

    #[test]
    fn all_jobs_is_the_jobs_room() {
        check_room(json!({"op": "subscribe", "type": "allJobs"}), Operation::Subscribe, Room::Jobs);
    }

    #[test]
    fn all_workers_is_the_workers_room() {
        check_room(json!({"op": "subscribe", "type": "allWorkers"}), Operation::Subscribe, Room::Workers);
    }

    #[test]
    fn all_last_rendered_is_the_last_rendered_room() {
        check_room(
            json!({"op": "unsubscribe", "type": "allLastRendered"}),
            Operation::Unsubscribe,
            Room::LastRendered,
        );
    }

    #[test]
    fn all_worker_tags_is_the_worker_tags_room() {
        check_room(
            json!({"op": "subscribe", "type": "allWorkerTags"}),
            Operation::Subscribe,
            Room::WorkerTags,
        );
    }

    #[test]
    fn job_is_the_job_room() {
        check_room(
            json!({"op": "subscribe", "type": "job", "uuid": ID}),
            Operation::Subscribe,
            Room::Job(id()),
        );
    }

    #[test]
    fn tasklog_is_the_tasklog_room() {
        check_room(
            json!({"op": "unsubscribe", "type": "tasklog", "uuid": ID}),
            Operation::Unsubscribe,
            Room::TaskLog(id()),
        );
    }

    /// Regression: Flamenco's 2024+ Go code joined the job room for a `tasklog` subscription.
    #[test]
    fn regression_tasklog_subscription_joins_tasklog_room_not_job_room() {
        let sub =
            resolve_subscription(Some(&json!({"op": "subscribe", "type": "tasklog", "uuid": ID}))).unwrap();
        assert_ne!(sub.room, Room::Job(id()));
        assert_eq!(sub.room.to_string(), format!("tasklog-{ID}"));
    }

    #[test]
    fn uuid_is_ignored_for_all_types() {
        check_room(
            json!({"op": "subscribe", "type": "allJobs", "uuid": ID}),
            Operation::Subscribe,
            Room::Jobs,
        );
    }

    #[test]
    fn upper_case_uuid_is_normalised() {
        let sub =
            resolve_subscription(Some(&json!({"op": "subscribe", "type": "job", "uuid": ID.to_uppercase()})))
                .unwrap();
        assert_eq!(sub.room.to_string(), format!("job-{ID}"));
    }

    #[test]
    fn null_uuid_counts_as_absent() {
        check(json!({"op": "subscribe", "type": "allJobs", "uuid": null}), "ok");
        check(json!({"op": "subscribe", "type": "job", "uuid": null}), "operation on job requires a UUID");
    }

    #[test]
    fn ack_texts() {
        check(json!({"op": "subscribe", "type": "job", "uuid": ID}), "ok");
        check(json!({"op": "subscribe", "type": "job", "uuid": "nope"}), "invalid UUID, ignoring request");
        check(json!({"op": "subscribe", "type": "job"}), "operation on job requires a UUID");
        check(json!({"op": "subscribe", "type": "tasklog"}), "operation on task requires a UUID");
        check(
            json!({"op": "subscribe", "type": "everything"}),
            "unknown subscription type, ignoring request",
        );
        check(json!({"op": "join", "type": "allJobs"}), "invalid subscription operation, ignoring request");
    }

    #[test]
    fn invalid_uuids() {
        let invalid = "invalid UUID, ignoring request";
        check(json!({"op": "subscribe", "type": "allJobs", "uuid": ""}), invalid);
        check(json!({"op": "subscribe", "type": "allWorkers", "uuid": "x"}), invalid);
        check(json!({"op": "subscribe", "type": "job", "uuid": ID.replace('-', "")}), invalid);
        check(json!({"op": "subscribe", "type": "job", "uuid": format!("{{{ID}}}")}), invalid);
        check(json!({"op": "subscribe", "type": "job", "uuid": format!("urn:uuid:{ID}")}), invalid);
        check(json!({"op": "subscribe", "type": "job", "uuid": "g".repeat(36)}), invalid);
        check(json!({"op": "subscribe", "type": "job", "uuid": "a".repeat(10 * 1024)}), invalid);
        check(json!({"op": "subscribe", "type": "job", "uuid": 42}), invalid);
        check(json!({"op": "subscribe", "type": "job", "uuid": [ID]}), invalid);
    }

    #[test]
    fn checks_run_uuid_then_type_then_op() {
        check(json!({"op": "bogus", "type": "bogus", "uuid": "bogus"}), "invalid UUID, ignoring request");
        check(json!({"op": "bogus", "type": "bogus"}), "unknown subscription type, ignoring request");
        check(json!({"op": "bogus", "type": "job"}), "operation on job requires a UUID");
        check(
            json!({"op": "bogus", "type": "job", "uuid": ID}),
            "invalid subscription operation, ignoring request",
        );
    }

    #[test]
    fn malformed_payloads() {
        assert_eq!(resolve_subscription(None), Err(SubscriptionError::MissingPayload));
        assert_eq!(
            SubscriptionError::MissingPayload.to_string(),
            "missing subscription payload, ignoring request"
        );
        let not_object = "subscription payload must be an object, ignoring request";
        check(json!(null), not_object);
        check(json!("subscribe"), not_object);
        check(json!(7), not_object);
        check(json!(true), not_object);
        check(json!([{"op": "subscribe", "type": "allJobs"}]), not_object);
        check(json!({}), "missing subscription type, ignoring request");
        check(json!({"op": "subscribe"}), "missing subscription type, ignoring request");
        check(json!({"op": "subscribe", "type": 3}), "subscription type must be a string, ignoring request");
        check(
            json!({"op": "subscribe", "type": ["job"]}),
            "subscription type must be a string, ignoring request",
        );
        check(json!({"type": "allJobs"}), "missing subscription operation, ignoring request");
        check(json!({"op": 1, "type": "allJobs"}), "invalid subscription operation, ignoring request");
        check(
            json!({"op": "Subscribe", "type": "allJobs"}),
            "invalid subscription operation, ignoring request",
        );
        check(json!({"op": "subscribe", "type": "AllJobs"}), "unknown subscription type, ignoring request");
    }

    #[test]
    fn dynamic_room_cap() {
        let other = Uuid::from_u128(1);
        let sub = Subscription { op: Operation::Subscribe, room: Room::Job(id()) };
        let joined = [Room::Chat, Room::Jobs, Room::TaskLog(other)];
        assert_eq!(sub.check_limit(joined, 2), Ok(()));
        assert_eq!(sub.check_limit(joined, 1), Err(SubscriptionError::TooManySubscriptions));
        assert_eq!(
            SubscriptionError::TooManySubscriptions.to_string(),
            "too many subscriptions, ignoring request"
        );
        // Already a member, leaving, and predefined rooms are never refused.
        assert_eq!(sub.check_limit([Room::Job(id())], 0), Ok(()));
        let leave = Subscription { op: Operation::Unsubscribe, ..sub };
        assert_eq!(leave.check_limit(joined, 0), Ok(()));
        let workers = Subscription { op: Operation::Subscribe, room: Room::Workers };
        assert_eq!(workers.check_limit(joined, 0), Ok(()));
    }
}
