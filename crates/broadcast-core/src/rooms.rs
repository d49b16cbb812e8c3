//! Room names: the seven predefined rooms and the dynamic per-job and per-task-log rooms.
//!
//! The strings are part of the wire contract (an adapter such as a Redis one makes them
//! visible outside the process), so they are defined here once and nowhere else.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// Prefix of a job's room; the job's lower-case hyphenated UUID follows.
pub const JOB_ROOM_PREFIX: &str = "job-";
/// Prefix of a task's log room; the task's lower-case hyphenated UUID follows.
pub const TASKLOG_ROOM_PREFIX: &str = "tasklog-";

/// A Socket.IO room that updates are sent to.
///
/// Its string is [`Room::name`] (also `Display`); parsing takes back exactly that string:
///
/// ```
/// use broadcast_core::{Room, RoomParseError};
///
/// let room: Room = "tasklog-0b8a5c6e-2f0e-4e7a-9a47-2f6c8f7b1d21".parse()?;
/// assert!(matches!(room, Room::TaskLog(_)) && room.is_dynamic());
/// assert_eq!(room.name(), "tasklog-0b8a5c6e-2f0e-4e7a-9a47-2f6c8f7b1d21");
/// assert_eq!("Last-Rendered".parse(), Ok(Room::LastRendered));
/// // One room, one name: no upper-case UUIDs, no other spellings.
/// assert!("job-0B8A5C6E-2F0E-4E7A-9A47-2F6C8F7B1D21".parse::<Room>().is_err());
/// assert!("last-rendered".parse::<Room>().is_err());
/// # Ok::<(), RoomParseError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Room {
    /// `Chat`: receives [`ChatMessage`](crate::ChatMessage) as `/message`; every client joins it on connect.
    Chat,
    /// `Jobs`: receives [`JobUpdate`](crate::JobUpdate) as `/jobs`; every client joins it on connect.
    Jobs,
    /// `Workers`: receives [`WorkerUpdate`](crate::WorkerUpdate) as `/workers`, for subscribers of `allWorkers`.
    Workers,
    /// `WorkerTags`: receives [`WorkerTagUpdate`](crate::WorkerTagUpdate) as `/workertags`, for subscribers of `allWorkerTags`.
    WorkerTags,
    /// `Last-Rendered`: receives every job's [`LastRenderedUpdate`](crate::LastRenderedUpdate) as
    /// `/last-rendered`, for subscribers of `allLastRendered`.
    LastRendered,
    /// `FarmStatus`: receives [`FarmStatusReport`](crate::FarmStatusReport) as `/status`; every
    /// client joins it on connect. Retained: a new member is given the last update at once.
    FarmStatus,
    /// `Lifecycle`: receives [`EventLifeCycle`](crate::EventLifeCycle) as `/lifecycle`; every client
    /// joins it on connect.
    Lifecycle,
    /// `job-<uuid>`: receives that job's [`TaskUpdate`](crate::TaskUpdate) as `/task` and its
    /// [`LastRenderedUpdate`](crate::LastRenderedUpdate) as `/last-rendered`, for subscribers of `job`.
    Job(Uuid),
    /// `tasklog-<uuid>`: receives that task's [`TaskLogUpdate`](crate::TaskLogUpdate) as `/tasklog`,
    /// for subscribers of `tasklog`.
    TaskLog(Uuid),
}

/// A string that is not the name of any room.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a room name: {0:?}")]
pub struct RoomParseError(pub String);

impl Room {
    /// The predefined rooms, which need no UUID.
    pub const PREDEFINED: [Room; 7] = [
        Room::Chat,
        Room::Jobs,
        Room::Workers,
        Room::WorkerTags,
        Room::LastRendered,
        Room::FarmStatus,
        Room::Lifecycle,
    ];

    /// The rooms every client joins when it connects, before it is told it is connected.
    pub const DEFAULT_ROOMS: [Room; 4] = [Room::Chat, Room::Jobs, Room::FarmStatus, Room::Lifecycle];

    /// The rooms whose last update is retained (see [`Room::is_retained`]).
    pub const RETAINED: [Room; 1] = [Room::FarmStatus];

    /// The exact room string, e.g. `Last-Rendered` or `job-fa48930a-105c-4125-a7f7-0aa1651dcd57`.
    pub fn name(&self) -> Cow<'static, str> {
        match self {
            Room::Chat => Cow::Borrowed("Chat"),
            Room::Jobs => Cow::Borrowed("Jobs"),
            Room::Workers => Cow::Borrowed("Workers"),
            Room::WorkerTags => Cow::Borrowed("WorkerTags"),
            Room::LastRendered => Cow::Borrowed("Last-Rendered"),
            Room::FarmStatus => Cow::Borrowed("FarmStatus"),
            Room::Lifecycle => Cow::Borrowed("Lifecycle"),
            Room::Job(id) => Cow::Owned(format!("{JOB_ROOM_PREFIX}{}", id.hyphenated())),
            Room::TaskLog(id) => Cow::Owned(format!("{TASKLOG_ROOM_PREFIX}{}", id.hyphenated())),
        }
    }

    /// Whether the room's last update is *retained*: each update sent to it replaces the
    /// previous one as the room's current state, so a transport keeps the last one and gives
    /// it to every new member right after it joins (before any later update), and MQTT
    /// publishes it with the retain flag. The room's updates say what *is* (the farm's
    /// status), not what *happened*, so a late member needs the last one and no other.
    ///
    /// Every retained room is a default room, joined on connect: a transport gives the
    /// retained update on connect and never on a `/subscription`.
    pub fn is_retained(&self) -> bool {
        Room::RETAINED.contains(self)
    }

    /// Whether this is a per-job or per-task-log room, the kind a socket's cap counts.
    pub fn is_dynamic(&self) -> bool {
        matches!(self, Room::Job(_) | Room::TaskLog(_))
    }
}

impl fmt::Display for Room {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Room {
    type Err = RoomParseError;

    /// Parses an exact room string. Dynamic rooms need the lower-case hyphenated UUID the
    /// server itself produces; anything else is an error, so parsing and [`Room::name`]
    /// round-trip exactly.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || RoomParseError(s.to_owned());
        let dynamic = |rest: &str| -> Result<Uuid, RoomParseError> {
            let id = crate::subscription::parse_hyphenated_uuid(rest).ok_or_else(err)?;
            // Room names are canonical: refuse upper case so two strings never name one room.
            if id.hyphenated().to_string() == rest { Ok(id) } else { Err(err()) }
        };
        match s {
            "Chat" => Ok(Room::Chat),
            "Jobs" => Ok(Room::Jobs),
            "Workers" => Ok(Room::Workers),
            "WorkerTags" => Ok(Room::WorkerTags),
            "Last-Rendered" => Ok(Room::LastRendered),
            "FarmStatus" => Ok(Room::FarmStatus),
            "Lifecycle" => Ok(Room::Lifecycle),
            _ => {
                if let Some(rest) = s.strip_prefix(JOB_ROOM_PREFIX) {
                    dynamic(rest).map(Room::Job)
                } else if let Some(rest) = s.strip_prefix(TASKLOG_ROOM_PREFIX) {
                    dynamic(rest).map(Room::TaskLog)
                } else {
                    Err(err())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "fa48930a-105c-4125-a7f7-0aa1651dcd57";

    fn check(room: Room, expected: &str) {
        assert_eq!(room.name(), expected);
        assert_eq!(room.to_string(), expected);
        assert_eq!(expected.parse::<Room>(), Ok(room), "parsing {expected:?}");
    }

    #[test]
    fn exact_room_strings_round_trip() {
        let id: Uuid = ID.parse().unwrap();
        check(Room::Chat, "Chat");
        check(Room::Jobs, "Jobs");
        check(Room::Workers, "Workers");
        check(Room::WorkerTags, "WorkerTags");
        check(Room::LastRendered, "Last-Rendered");
        check(Room::FarmStatus, "FarmStatus");
        check(Room::Lifecycle, "Lifecycle");
        check(Room::Job(id), "job-fa48930a-105c-4125-a7f7-0aa1651dcd57");
        check(Room::TaskLog(id), "tasklog-fa48930a-105c-4125-a7f7-0aa1651dcd57");
    }

    #[test]
    fn invalid_room_strings_are_errors() {
        for bad in [
            "",
            "chat",
            "jobs",
            "LastRendered",
            "Last-rendered",
            "farmstatus",
            "Farm-Status",
            "lifecycle",
            "job-",
            "job-not-a-uuid",
            "job-FA48930A-105C-4125-A7F7-0AA1651DCD57",
            "job-fa48930a105c4125a7f70aa1651dcd57",
            "tasklog-{fa48930a-105c-4125-a7f7-0aa1651dcd57}",
            "task-fa48930a-105c-4125-a7f7-0aa1651dcd57",
            "job-fa48930a-105c-4125-a7f7-0aa1651dcd57 ",
            "job-fa48930a-105c-4125-a7f7-0aa1651dcd5é",
        ] {
            assert_eq!(bad.parse::<Room>(), Err(RoomParseError(bad.to_owned())), "{bad:?}");
        }
    }

    #[test]
    fn only_job_and_tasklog_rooms_are_dynamic() {
        let id = Uuid::nil();
        assert!(Room::Job(id).is_dynamic());
        assert!(Room::TaskLog(id).is_dynamic());
        assert!(Room::PREDEFINED.iter().all(|r| !r.is_dynamic()));
        assert_eq!(Room::DEFAULT_ROOMS, [Room::Chat, Room::Jobs, Room::FarmStatus, Room::Lifecycle]);
    }

    #[test]
    fn only_farm_status_is_retained_and_every_retained_room_is_a_default_room() {
        let retained: Vec<Room> = Room::PREDEFINED.into_iter().filter(Room::is_retained).collect();
        assert_eq!(retained, [Room::FarmStatus]);
        assert!(!Room::Job(Uuid::nil()).is_retained() && !Room::TaskLog(Uuid::nil()).is_retained());
        assert!(Room::RETAINED.iter().all(|r| Room::DEFAULT_ROOMS.contains(r)));
    }
}
