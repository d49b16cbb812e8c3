//! [`GuardedAdapter`]: socketioxide's local adapter, but one that knows which socket a
//! broadcast could not reach.
//!
//! socketioxide's own local adapter queues a broadcast for every member of the room in one
//! go and, when a member's queue is full, drops that member's copy and reports only how many
//! were dropped, not which. This adapter queues for each member in turn and records the ids
//! of the members whose queue was full, so the broadcaster can disconnect exactly those
//! clients instead of leaving them with silently missing updates.

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
    /// Of those, the ones whose queue was full.
    pub(crate) overflowed: Vec<Sid>,
}

impl Outcomes {
    /// Takes what was recorded so far.
    pub(crate) fn take(&self) -> Outcome {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }

    fn record(&self, delivered: usize, undelivered: usize, overflowed: Vec<Sid>) {
        let mut outcome = self.0.lock().unwrap_or_else(|p| p.into_inner());
        outcome.delivered += delivered;
        outcome.undelivered += undelivered;
        outcome.overflowed.extend(overflowed);
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
    /// Queues `packet` for each member in turn; a member whose queue is full is recorded.
    fn broadcast_now(&self, packet: Packet, opts: BroadcastOptions) -> Result<(), BroadcastError> {
        let members = self.local.sockets(opts);
        let mut errors = Vec::new();
        let mut overflowed = Vec::new();
        for &sid in &members {
            if let Err(e) = self.local.broadcast(packet.clone(), BroadcastOptions::new(sid)) {
                if e.iter().any(|e| matches!(e, SocketError::InternalChannelFull)) {
                    overflowed.push(sid);
                }
                errors.extend(e);
            }
        }
        self.outcomes.record(members.len() - errors.len(), errors.len(), overflowed);
        if errors.is_empty() { Ok(()) } else { Err(BroadcastError::Socket(errors)) }
    }
}

/// Compile-time check that this is an adapter socketioxide accepts.
const _: fn() = || {
    fn is_adapter<A: Adapter>() {}
    is_adapter::<GuardedAdapter>();
};
