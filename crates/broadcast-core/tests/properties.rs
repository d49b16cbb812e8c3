//! Property tests over everything that parses client or wire input: the subscription
//! resolver, the room-name parser, the event-name parser and the payload parsers. None may
//! panic, and whatever they accept must round-trip.

use broadcast_core::*;
use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, nested a few levels, with the subscription's field names likely.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        prop_oneof![
            Just("subscribe"),
            Just("unsubscribe"),
            Just("job"),
            Just("tasklog"),
            Just("allJobs"),
            Just("allWorkers"),
            Just("allLastRendered"),
            Just("allWorkerTags"),
            Just("fa48930a-105c-4125-a7f7-0aa1651dcd57"),
            Just("FA48930A-105C-4125-A7F7-0AA1651DCD57"),
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("op".to_owned()),
                    Just("type".to_owned()),
                    Just("uuid".to_owned()),
                    ".{0,8}"
                ],
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const ACK_TEXTS: [&str; 11] = [
    "missing subscription payload, ignoring request",
    "subscription payload must be an object, ignoring request",
    "invalid UUID, ignoring request",
    "missing subscription type, ignoring request",
    "subscription type must be a string, ignoring request",
    "unknown subscription type, ignoring request",
    "operation on job requires a UUID",
    "operation on task requires a UUID",
    "missing subscription operation, ignoring request",
    "invalid subscription operation, ignoring request",
    "too many subscriptions, ignoring request",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn subscription_resolver_accepts_or_names_the_problem(payload in json()) {
        match resolve_subscription(Some(&payload)) {
            Ok(sub) => {
                let name = sub.room.to_string();
                prop_assert_eq!(name.parse::<Room>(), Ok(sub.room));
                prop_assert!(payload.is_object());
            }
            Err(e) => prop_assert!(ACK_TEXTS.contains(&e.ack_text()), "{}", e),
        }
    }

    #[test]
    fn update_decoder_never_panics_and_round_trips(payload in json(), i in 0usize..9) {
        let event = [
            Event::Subscription, Event::Chat, Event::Message, Event::Jobs, Event::Task,
            Event::TaskLog, Event::LastRendered, Event::Workers, Event::WorkerTags,
        ][i];
        if let Ok(update) = Update::from_json(event, payload) {
            prop_assert_eq!(update.event(), event);
            prop_assert_eq!(Update::from_json(event, update.to_json()).ok(), Some(update));
        }
    }

    #[test]
    fn room_parser_never_panics_and_round_trips(s in ".{0,60}") {
        if let Ok(room) = s.parse::<Room>() {
            prop_assert_eq!(room.to_string(), s);
        }
    }

    #[test]
    fn dynamic_room_names_round_trip(bits in any::<u128>(), job in any::<bool>()) {
        let id = uuid::Uuid::from_u128(bits);
        let room = if job { Room::Job(id) } else { Room::TaskLog(id) };
        let name = room.to_string();
        prop_assert_eq!(name.parse::<Room>(), Ok(room));
        prop_assert_eq!(name.to_lowercase(), name);
    }

    #[test]
    fn room_parser_with_near_miss_prefixes(rest in "[0-9a-fA-F-]{0,40}", prefix in prop_oneof![Just("job-"), Just("tasklog-"), Just("Job-"), Just("task-")]) {
        let s = format!("{prefix}{rest}");
        if let Ok(room) = s.parse::<Room>() {
            prop_assert_eq!(room.to_string(), s);
        }
    }

    #[test]
    fn event_parser_never_panics_and_round_trips(s in ".{0,20}") {
        if let Ok(event) = s.parse::<Event>() {
            prop_assert_eq!(event.name(), s.as_str());
        }
    }

    #[test]
    fn payload_parsers_never_panic(value in json()) {
        let _ = serde_json::from_value::<JobUpdate>(value.clone());
        let _ = serde_json::from_value::<TaskUpdate>(value.clone());
        let _ = serde_json::from_value::<TaskLogUpdate>(value.clone());
        let _ = serde_json::from_value::<LastRenderedUpdate>(value.clone());
        let _ = serde_json::from_value::<WorkerUpdate>(value.clone());
        let _ = serde_json::from_value::<WorkerTagUpdate>(value.clone());
        let _ = serde_json::from_value::<ChatMessage>(value.clone());
        let _ = serde_json::from_value::<SubscriptionRequest>(value);
    }

    #[test]
    fn payload_text_parsers_never_panic(text in ".{0,80}") {
        let _ = serde_json::from_str::<JobUpdate>(&text);
        let _ = serde_json::from_str::<ChatMessage>(&text);
        let _ = serde_json::from_str::<SubscriptionRequest>(&text);
    }

    #[test]
    fn job_updates_round_trip(
        bits in any::<u128>(),
        name in proptest::option::of(".{0,20}"),
        secs in 0i64..4_000_000_000,
        nanos in 0u32..1_000_000_000,
        status in prop::sample::select(JobStatus::ALL.to_vec()),
        previous in proptest::option::of(prop::sample::select(JobStatus::ALL.to_vec())),
        priority in 0i32..=100,
        refresh_tasks in any::<bool>(),
        was_deleted in any::<bool>(),
        steps in proptest::option::of((0u32..1000, 0u32..1000)),
    ) {
        let updated = chrono::DateTime::from_timestamp(secs, nanos).unwrap();
        let job = JobUpdate {
            id: uuid::Uuid::from_u128(bits), name, updated, status, previous_status: previous,
            job_type: "simple-blender-render".into(), priority, refresh_tasks,
            delete_requested_at: Some(updated), was_deleted,
            steps_completed: steps.map(|(done, _)| done), steps_total: steps.map(|(done, more)| done + more),
        };
        let json = serde_json::to_value(&job).unwrap();
        prop_assert!(json.as_object().unwrap().values().all(|v| !v.is_null()), "{}", json);
        prop_assert_eq!(serde_json::from_value::<JobUpdate>(json).unwrap(), job);
    }

    #[test]
    fn chat_messages_round_trip(name in ".{0,30}", text in ".{0,200}") {
        let msg = ChatMessage { name, text };
        let json = serde_json::to_string(&msg).unwrap();
        prop_assert_eq!(serde_json::from_str::<ChatMessage>(&json).unwrap(), msg);
    }
}
