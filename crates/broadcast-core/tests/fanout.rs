//! [`Fanout`]: every transport gets every update in order; a stalled or failing transport
//! delays and loses nothing for the others; a full queue drops and counts for its lane alone.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use broadcast_core::testing::InMemoryBroadcaster;
use broadcast_core::*;
use futures_executor::{LocalPool, block_on};
use futures_util::task::LocalSpawnExt;
use mockall::Sequence;

fn status(n: usize) -> Update {
    const ALL: [FarmStatus; 3] = [FarmStatus::Idle, FarmStatus::Active, FarmStatus::Waiting];
    Update::FarmStatus(FarmStatusReport { status: ALL[n % 3] })
}

fn job(priority: i32) -> Update {
    let mut job = serde_json::from_value::<JobUpdate>(serde_json::json!({
        "id": "fa48930a-105c-4125-a7f7-0aa1651dcd57", "updated": "2024-05-01T10:00:00Z",
        "status": "active", "type": "t", "priority": 0, "refresh_tasks": false
    }))
    .unwrap();
    job.priority = priority;
    Update::Job(job)
}

fn no_errors() -> OnError {
    Box::new(|e| panic!("unexpected transport error: {e}"))
}

/// A transport that waits, on every broadcast, until it is opened; then records.
#[derive(Default)]
struct Gate {
    open: Mutex<Option<futures_channel::oneshot::Sender<()>>>,
    waiting: Mutex<Option<futures_channel::oneshot::Receiver<()>>>,
    recorder: InMemoryBroadcaster,
}

impl Gate {
    fn closed() -> Arc<Gate> {
        let (tx, rx) = futures_channel::oneshot::channel();
        Arc::new(Gate { open: Mutex::new(Some(tx)), waiting: Mutex::new(Some(rx)), ..Gate::default() })
    }

    fn open(&self) {
        self.open.lock().unwrap().take().unwrap().send(()).unwrap();
    }
}

#[async_trait]
impl Broadcaster for Gate {
    async fn broadcast(&self, room: Room, update: &Update) -> Result<(), BroadcastError> {
        let wait = self.waiting.lock().unwrap().take();
        if let Some(wait) = wait {
            wait.await.unwrap();
        }
        self.recorder.broadcast(room, update).await
    }
}

#[test]
fn every_lane_gets_every_update_in_order() {
    let (a, b, direct) = (
        Arc::new(InMemoryBroadcaster::new()),
        Arc::new(InMemoryBroadcaster::new()),
        Arc::new(InMemoryBroadcaster::new()),
    );
    let (fanout, drive_a) = Fanout::new().queued("a", a.clone(), 2_000, no_errors());
    let (fanout, drive_b) = fanout.queued("b", b.clone(), 2_000, no_errors());
    let fanout = fanout.direct(direct.clone());
    for n in 0..1_000 {
        block_on(fanout.broadcast(Room::Jobs, &job(n))).unwrap();
        block_on(fanout.broadcast(Room::FarmStatus, &status(n as usize))).unwrap();
    }
    drop(fanout);
    // Each driver ends by itself once the fanout is gone and its queue is drained.
    block_on(drive_a);
    block_on(drive_b);
    let expected = direct.deliveries();
    assert_eq!(expected.len(), 2_000);
    assert_eq!(a.deliveries(), expected);
    assert_eq!(b.deliveries(), expected);
}

#[test]
fn a_stalled_lane_delays_no_other_and_drops_only_its_own_overflow() {
    let mut pool = LocalPool::new();
    let stalled = Gate::closed();
    let fast = Arc::new(InMemoryBroadcaster::new());
    let direct = Arc::new(InMemoryBroadcaster::new());
    let (fanout, drive_stalled) = Fanout::new().queued("stalled", stalled.clone(), 4, no_errors());
    let (fanout, drive_fast) = fanout.queued("fast", fast.clone(), 4, no_errors());
    let fanout = fanout.direct(direct.clone());
    pool.spawner().spawn_local(drive_stalled).unwrap();
    pool.spawner().spawn_local(drive_fast).unwrap();

    let mut dropped_errors = 0;
    for n in 0..20 {
        // The broadcast returns at once although one transport never finishes.
        match pool.run_until(fanout.broadcast(Room::Jobs, &job(n))) {
            Ok(()) => {}
            Err(BroadcastError::Dropped { transport, capacity: 4, room: Room::Jobs, event: Event::Jobs }) => {
                assert_eq!(transport, "stalled");
                dropped_errors += 1;
            }
            Err(e) => panic!("{e}"),
        }
        pool.run_until_stalled();
    }
    // The fast and direct lanes got all 20, in order.
    let all: Vec<Update> = (0..20).map(job).collect();
    assert_eq!(fast.received(Room::Jobs), all);
    assert_eq!(direct.received(Room::Jobs), all);
    // The stalled one holds the first in its transport and four in its queue; the rest were
    // dropped, counted, and reported.
    assert_eq!(fanout.dropped("stalled"), Some(15));
    assert_eq!(fanout.dropped("fast"), Some(0));
    assert_eq!(fanout.dropped("nope"), None);
    assert_eq!(dropped_errors, 15);

    stalled.open();
    pool.run_until_stalled();
    assert_eq!(stalled.recorder.received(Room::Jobs), all[..5]);
    // Once drained, it takes updates again, after the ones it kept.
    pool.run_until(fanout.broadcast(Room::Jobs, &job(99))).unwrap();
    drop(fanout);
    pool.run();
    assert_eq!(stalled.recorder.received(Room::Jobs).last(), Some(&job(99)));
    assert_eq!(stalled.recorder.received(Room::Jobs).len(), 6);
}

#[test]
fn a_failing_lane_reports_each_error_and_the_others_get_everything() {
    let mut mock = MockBroadcaster::new();
    let mut seq = Sequence::new();
    for n in 0..3 {
        mock.expect_broadcast()
            .withf(move |room, update| *room == Room::FarmStatus && *update == status(n))
            .times(1)
            .in_sequence(&mut seq)
            .returning(|_, _| Err(BroadcastError::Closed));
    }
    let errors = Arc::new(Mutex::new(Vec::new()));
    let seen = errors.clone();
    let (fanout, drive_failing) =
        Fanout::new().queued("failing", Arc::new(mock), 8, Box::new(move |e| seen.lock().unwrap().push(e)));
    let healthy = Arc::new(InMemoryBroadcaster::new());
    let (fanout, drive_healthy) = fanout.queued("healthy", healthy.clone(), 8, no_errors());
    for n in 0..3 {
        block_on(fanout.broadcast(Room::FarmStatus, &status(n))).unwrap();
    }
    drop(fanout);
    block_on(drive_failing);
    block_on(drive_healthy);
    assert_eq!(*errors.lock().unwrap(), vec![BroadcastError::Closed; 3]);
    assert_eq!(healthy.received(Room::FarmStatus), (0..3).map(status).collect::<Vec<_>>());
}

#[test]
fn a_direct_lane_error_is_returned_after_every_lane_was_tried() {
    let mut failing = MockBroadcaster::new();
    failing.expect_broadcast().times(1).returning(|_, _| Err(BroadcastError::Closed));
    let queued = Arc::new(InMemoryBroadcaster::new());
    let after = Arc::new(InMemoryBroadcaster::new());
    let (fanout, driver) = Fanout::new().queued("queued", queued.clone(), 1, no_errors());
    let fanout = fanout.direct(Arc::new(failing)).direct(after.clone());
    let notifier = Notifier::new(Arc::new(fanout));
    assert_eq!(block_on(notifier.send(notify::manager_shutdown())), Err(BroadcastError::Closed));
    drop(notifier);
    block_on(driver);
    assert_eq!(queued.received(Room::Lifecycle).len(), 1);
    assert_eq!(after.received(Room::Lifecycle).len(), 1);
}

#[test]
fn a_lane_whose_driver_is_gone_reports_closed() {
    let (fanout, driver) = Fanout::new().queued("gone", Arc::new(InMemoryBroadcaster::new()), 1, no_errors());
    drop(driver);
    assert_eq!(block_on(fanout.broadcast(Room::Jobs, &job(1))), Err(BroadcastError::Closed));
}
