//! [`GuardedAdapter`]: socketioxide's local adapter, but one that finds out which socket a
//! broadcast could not reach.
//!
//! socketioxide's own local adapter queues a broadcast for every member of the room in one
//! go and, when a member's queue is full, drops that member's copy and reports only how many
//! were dropped, not which. This adapter keeps that fast path (one encoding, one pass over
//! the room) and, only when a broadcast reports full queues, probes each member with a
//! packet clients ignore (an ack for an id no client ever uses): a member whose queue is
//! still full is one that missed the update, and is recorded so the broadcaster can
//! disconnect exactly that client instead of leaving it with a silently missing update.
//!
//! A member's queue can drain a slot between the broadcast and its probe. When the probes
//! find fewer full queues than the broadcast reported, the members whose connection is
//! stalled in a write are recorded as suspects too (see
//! [`SocketIoBroadcaster::deliver`](crate::SocketIoBroadcaster::deliver)).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use socketioxide::adapter::{Adapter, Emitter};
use socketioxide_core::Sid;
use socketioxide_core::adapter::errors::{BroadcastError, SocketError};
use socketioxide_core::adapter::{
    BroadcastOptions, CoreAdapter, CoreLocalAdapter, DefinedAdapter, SocketEmitter,
};
use socketioxide_core::packet::Packet;
use socketioxide_core::{Str, Value};

/// What the broadcasts since the last `Outcomes::take` did: how many members they reached
/// and which sockets they could not reach because their queue was full. The
/// [`GuardedAdapter`]'s state.
#[derive(Debug, Default)]
pub struct Outcomes(Mutex<Outcome>);

#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Members the update was queued for.
    pub(crate) delivered: usize,
    /// Members it could not be queued for, whatever the reason.
    pub(crate) undelivered: usize,
    /// Of those, the ones whose queue was found full.
    pub(crate) overflowed: Vec<Sid>,
    /// Full queues reported that no probe found (they drained a slot in between).
    pub(crate) unattributed: usize,
    /// When `unattributed > 0`: the members whose probe went through.
    pub(crate) suspects: Vec<Sid>,
}

impl Outcomes {
    /// Takes what was recorded so far.
    pub(crate) fn take(&self) -> Outcome {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn record(&self, delivered: usize, undelivered: usize) {
        let mut outcome = self.0.lock().unwrap_or_else(|p| p.into_inner());
        outcome.delivered += delivered;
        outcome.undelivered += undelivered;
    }

    fn record_overflow(&self, overflowed: Vec<Sid>, unattributed: usize, suspects: Vec<Sid>) {
        let mut outcome = self.0.lock().unwrap_or_else(|p| p.into_inner());
        outcome.overflowed.extend(overflowed);
        outcome.unattributed += unattributed;
        outcome.suspects.extend(suspects);
    }
}

/// A local adapter that records which members a broadcast could not reach (see the module
/// docs). Its state is the [`Outcomes`] record it writes to.
pub struct GuardedAdapter {
    local: CoreLocalAdapter<Emitter>,
    outcomes: Arc<Outcomes>,
}

impl CoreAdapter<Emitter> for GuardedAdapter {
    type Error = Infallible;
    type State = Arc<Outcomes>;
    type AckStream = <Emitter as SocketEmitter>::AckStream;
    type InitRes = ();

    fn new(state: &Self::State, local: CoreLocalAdapter<Emitter>) -> Self {
        GuardedAdapter { local, outcomes: state.clone() }
    }

    fn init(self: Arc<Self>, on_success: impl FnOnce() + Send + 'static) -> Self::InitRes {
        on_success();
    }

    fn broadcast(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
    ) -> impl Future<Output = Result<(), BroadcastError>> + Send {
        std::future::ready(self.broadcast_now(packet, opts))
    }

    async fn broadcast_with_ack(
        &self,
        packet: Packet,
        opts: BroadcastOptions,
        timeout: Option<Duration>,
    ) -> Result<Self::AckStream, Self::Error> {
        Ok(self.local.broadcast_with_ack(packet, opts, timeout).0)
    }

    fn get_local(&self) -> &CoreLocalAdapter<Emitter> {
        &self.local
    }
}

impl DefinedAdapter for GuardedAdapter {}

impl GuardedAdapter {
    /// Queues `packet` for every member in one pass; finds the members with a full queue
    /// when there are any (see the module docs).
    fn broadcast_now(&self, packet: Packet, opts: BroadcastOptions) -> Result<(), BroadcastError> {
        let members = self.local.sockets(opts.clone());
        let Err(errors) = self.local.broadcast(packet, opts) else {
            self.outcomes.record(members.len(), 0);
            return Ok(());
        };
        self.outcomes.record(members.len().saturating_sub(errors.len()), errors.len());
        let full = errors.iter().filter(|e| matches!(e, SocketError::InternalChannelFull)).count();
        if full > 0 {
            let probe =
                Packet::ack(self.local.path().clone(), Value::Str(Str::from("[]"), None), PROBE_ACK_ID);
            let (overflowed, passed): (Vec<Sid>, Vec<Sid>) = members.into_iter().partition(|&sid| {
                matches!(
                    self.local.broadcast(probe.clone(), BroadcastOptions::new(sid)),
                    Err(e) if e.iter().any(|e| matches!(e, SocketError::InternalChannelFull))
                )
            });
            let unattributed = full.saturating_sub(overflowed.len());
            let suspects = if unattributed > 0 { passed } else { Vec::new() };
            self.outcomes.record_overflow(overflowed, unattributed, suspects);
        }
        Err(BroadcastError::Socket(errors))
    }
}

/// The ack id of the probe packet: clients number their own acks from 0 and look up each
/// ack they receive by id, ignoring one they never asked for.
const PROBE_ACK_ID: i64 = i32::MAX as i64;

/// Compile-time check that this is an adapter socketioxide accepts.
const _: fn() = || {
    fn is_adapter<A: Adapter>() {}
    is_adapter::<GuardedAdapter>();
};
