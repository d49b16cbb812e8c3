//! Life cycle: `/lifecycle` to `Lifecycle`, not retained (an event, not a state).

use crate::{EventLifeCycle, LifeCycleEventType, Room, Update};

use super::Notification;

/// The manager serves: send once it accepts connections.
pub fn manager_startup() -> Notification {
    lifecycle(LifeCycleEventType::ManagerStartup)
}

/// The manager is shutting down: send before connections are closed, so connected clients
/// receive it.
pub fn manager_shutdown() -> Notification {
    lifecycle(LifeCycleEventType::ManagerShutdown)
}

fn lifecycle(event_type: LifeCycleEventType) -> Notification {
    Notification::to(Room::Lifecycle, Update::Lifecycle(EventLifeCycle { event_type }))
}
