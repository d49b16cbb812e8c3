//! How an update is written to the Redis stream and read back.
//!
//! One stream (`RedisConfig::stream`) carries every update of a deployment, so it has one
//! order that every node reads. Each entry has five fields:
//!
//! | field | value |
//! |---|---|
//! | `p` | the publishing process, a random UUID chosen when it starts |
//! | `s` | that publisher's sequence number, 0, 1, 2, …: a number it skips is an update it could not publish |
//! | `r` | the room, as broadcast-core names it (`Jobs`, `job-<uuid>`, …) |
//! | `e` | the event name (`/jobs`, `/message`, …) |
//! | `d` | the payload's JSON, as clients receive it |

use std::collections::HashMap;

use broadcast_core::{Event, Room, Update};

/// The hash that keeps the last update of each retained room (the farm's status), beside the
/// stream `stream`: a node that starts or reconnects reads it before the stream, so its new
/// clients are given the current value, as on a single process.
pub(crate) fn retained_key(stream: &str) -> String {
    format!("{stream}:retained")
}

/// One update as it travels through the stream.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub(crate) publisher: String,
    pub(crate) seq: u64,
    pub(crate) room: Room,
    pub(crate) update: Update,
}

impl Entry {
    /// The entry's fields and values, for `XADD`.
    pub(crate) fn fields(&self) -> [(&'static str, String); 5] {
        [
            ("p", self.publisher.clone()),
            ("s", self.seq.to_string()),
            ("r", self.room.name().into_owned()),
            ("e", self.update.event().name().to_owned()),
            ("d", self.update.to_json().to_string()),
        ]
    }

    /// The value kept for a retained room (`Room::is_retained`): its event and payload,
    /// `{"e": "/status", "d": {...}}`, in the hash [`retained_key`] names.
    pub(crate) fn retained_value(&self) -> String {
        serde_json::json!({ "e": self.update.event().name(), "d": self.update.to_json() }).to_string()
    }

    /// Reads a retained room's update back from its field and value in that hash.
    pub(crate) fn decode_retained(room: &str, value: &str) -> Result<(Room, Update), String> {
        let room = room.parse::<Room>().map_err(|e| format!("retained room {room:?}: {e}"))?;
        let value: serde_json::Value =
            serde_json::from_str(value).map_err(|e| format!("retained {room}: {e}"))?;
        let event = value["e"].as_str().unwrap_or_default();
        let event = event.parse::<Event>().map_err(|e| format!("retained {room}: {e}"))?;
        let update =
            Update::from_json(event, value["d"].clone()).map_err(|e| format!("retained {room}: {e}"))?;
        Ok((room, update))
    }

    /// Reads an entry back from the fields `XREAD` returned; the error says what is wrong.
    pub(crate) fn decode(fields: &HashMap<String, redis::Value>) -> Result<Entry, String> {
        let text = |name: &str| -> Result<String, String> {
            let value = fields.get(name).ok_or_else(|| format!("no field {name:?}"))?;
            redis::from_redis_value_ref::<String>(value).map_err(|e| format!("field {name:?}: {e}"))
        };
        let seq = text("s")?.parse().map_err(|e| format!("field \"s\": {e}"))?;
        let room = text("r")?.parse::<Room>().map_err(|e| format!("field \"r\": {e}"))?;
        let event = text("e")?.parse::<Event>().map_err(|e| format!("field \"e\": {e}"))?;
        let json = serde_json::from_str(&text("d")?).map_err(|e| format!("field \"d\": {e}"))?;
        let update = Update::from_json(event, json).map_err(|e| format!("field \"d\" for {event}: {e}"))?;
        Ok(Entry { publisher: text("p")?, seq, room, update })
    }
}

#[cfg(test)]
mod tests {
    use broadcast_core::ChatMessage;

    use super::*;

    fn as_read(entry: &Entry) -> HashMap<String, redis::Value> {
        entry
            .fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), redis::Value::BulkString(v.into_bytes())))
            .collect()
    }

    #[test]
    fn entries_round_trip() {
        let entry = Entry {
            publisher: "p1".into(),
            seq: 41,
            room: "job-fa48930a-105c-4125-a7f7-0aa1651dcd57".parse().unwrap(),
            update: Update::Chat(ChatMessage { name: "farm".into(), text: "hi".into() }),
        };
        assert_eq!(Entry::decode(&as_read(&entry)), Ok(entry));
    }

    #[test]
    fn retained_values_round_trip() {
        use broadcast_core::{FarmStatus, FarmStatusReport};
        let entry = Entry {
            publisher: "p1".into(),
            seq: 3,
            room: Room::FarmStatus,
            update: Update::FarmStatus(FarmStatusReport { status: FarmStatus::Idle }),
        };
        let (room, update) = Entry::decode_retained("FarmStatus", &entry.retained_value()).unwrap();
        assert_eq!((room, update), (entry.room, entry.update));
        assert!(Entry::decode_retained("FarmStatus", "{").unwrap_err().contains("retained FarmStatus"));
        assert!(Entry::decode_retained("nope", "{}").unwrap_err().contains("retained room"));
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        let entry = Entry {
            publisher: "p1".into(),
            seq: 0,
            room: Room::Chat,
            update: Update::Chat(ChatMessage { name: "a".into(), text: "b".into() }),
        };
        let check = |field: &str, value: Option<&str>, expected: &str| {
            let mut fields = as_read(&entry);
            match value {
                Some(v) => fields.insert(field.to_owned(), redis::Value::BulkString(v.as_bytes().to_vec())),
                None => fields.remove(field),
            };
            let error = Entry::decode(&fields).unwrap_err();
            assert!(error.contains(expected), "{field}: {error}");
        };
        check("p", None, "no field \"p\"");
        check("s", Some("-1"), "field \"s\"");
        check("r", Some("job-nope"), "field \"r\"");
        check("e", Some("/chat"), "field \"d\" for /chat");
        check("e", Some("/nope"), "field \"e\"");
        check("d", Some("{"), "field \"d\"");
        check("d", Some("{\"name\": 1}"), "field \"d\" for /message");
    }
}
