//! The transport-agnostic core of the web-updates broadcast system.
//!
//! Everything that decides *who receives what* lives here, once:
//! - [`Room`]: the predefined rooms and the dynamic `job-<uuid>` / `tasklog-<uuid>` rooms,
//!   with their exact strings, and which rooms are retained (`rooms.rs`).
//! - [`Event`]: the event names (`events.rs`).
//! - The payloads ([`JobUpdate`], [`TaskUpdate`], ...), serialising to exactly the JSON of
//!   Flamenco's `SocketIO*` schemas (`payload/`), and [`Update`], which ties each payload to
//!   its event name.
//! - [`resolve_subscription`]: a client's `/subscription` payload to the room it joins or
//!   leaves, or to the ack text that refuses it (`subscription.rs`); [`parse_chat_message`],
//!   the same for `/chat` (`chat.rs`).
//! - [`compute_farm_status`]: the farm-status rules (`farm_status.rs`).
//! - [`Broadcaster`]: the one trait a transport implements (`broadcaster.rs`), and
//!   [`Fanout`], the one that sends to several transports, each in order and none waiting
//!   for another (`fanout.rs`).
//! - [`notify`]: the notification rules, on top of the trait.
//! - [`testing`]: the in-memory recording broadcaster for other crates' tests.
//!
//! This crate knows nothing about sockets, HTTP or async runtimes.
//!
//! # Implementing a transport
//!
//! [`Broadcaster`]'s method is async through the `async-trait` crate, so an implementation
//! needs it as a dependency too (`async-trait = "0.1"`) and `#[async_trait]` on its `impl`.
//! This one counts what it would send, through a [`Notifier`] and the rule for a chat
//! message:
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicUsize, Ordering};
//!
//! use async_trait::async_trait;
//! use broadcast_core::{BroadcastError, Broadcaster, ChatMessage, Event, Notifier, Room, Update, notify};
//!
//! #[derive(Default)]
//! struct Counting(AtomicUsize);
//!
//! #[async_trait]
//! impl Broadcaster for Counting {
//!     async fn broadcast(&self, room: Room, update: &Update) -> Result<(), BroadcastError> {
//!         assert_eq!((room, update.event()), (Room::Chat, Event::Message));
//!         self.0.fetch_add(1, Ordering::Relaxed);
//!         Ok(())
//!     }
//! }
//!
//! let counting = Arc::new(Counting::default());
//! let notifier = Notifier::new(counting.clone());
//! let hello = ChatMessage { name: "farm".into(), text: "hello".into() };
//! // Any executor drives it; broadcast-core needs no runtime.
//! futures_executor::block_on(notifier.send(notify::chat_message(hello))).unwrap();
//! assert_eq!(counting.0.load(Ordering::Relaxed), 1);
//! ```
//!
//! # Features
//! - `mock`: `MockBroadcaster`, the mockall mock of [`Broadcaster`].
#![deny(missing_docs)]

mod broadcaster;
mod chat;
mod events;
mod fanout;
mod farm_status;
pub mod notify;
mod payload;
mod rooms;
mod subscription;
pub mod testing;
mod update;

#[cfg(feature = "mock")]
pub use broadcaster::MockBroadcaster;
pub use broadcaster::{BroadcastError, Broadcaster};
pub use chat::{ChatError, DEFAULT_MAX_CHAT_TEXT, parse_chat_message};
pub use events::{Event, EventParseError};
pub use fanout::{Fanout, LaneDriver, OnError};
pub use farm_status::compute_farm_status;
pub use notify::{Delivery, Notification, Notifier};
pub use payload::{
    ChatMessage, EventLifeCycle, FarmStatus, FarmStatusReport, JobStatus, JobUpdate, LastRenderedImageInfo,
    LastRenderedUpdate, LifeCycleEventType, TaskLogUpdate, TaskStatus, TaskUpdate, TaskWorker, Timestamp,
    WorkerStatus, WorkerStatusChangeRequest, WorkerTag, WorkerTagUpdate, WorkerUpdate,
};
pub use rooms::{JOB_ROOM_PREFIX, Room, RoomParseError, TASKLOG_ROOM_PREFIX};
pub use subscription::{
    ACK_OK, DEFAULT_MAX_DYNAMIC_ROOMS, Operation, Subscription, SubscriptionError, SubscriptionRequest,
    SubscriptionType, resolve_subscription,
};
pub use update::Update;
