//! Farm status: `/status` to `FarmStatus`, a retained room.

use crate::{FarmStatusReport, Room, Update};

use super::Notification;

/// The farm's status changed (or was computed for the first time). Send it only on a
/// change: the room is retained ([`Room::is_retained`]), so a transport gives the last one
/// to every client that connects later.
pub fn farm_status(report: FarmStatusReport) -> Notification {
    Notification::to(Room::FarmStatus, Update::FarmStatus(report))
}
