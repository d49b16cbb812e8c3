//! The REST API driven through the router with `tower::ServiceExt::oneshot`.
//!
//! One test binary (matklad's advice for integration tests); a module per route group.
//! The mock tests say exactly which notification each route sends and that refused
//! requests send none; the flow tests record whole scenarios with the in-memory
//! broadcaster and check what each room received, in order.

mod bad_input;
mod body_limits;
mod failures;
mod farm_status;
mod flows;
mod jobs;
mod last_rendered;
mod logs;
mod pausing;
mod progress;
mod reads;
mod storage;
mod support;
mod tasks;
mod web_app;
mod worker;
mod worker_mgt;
mod worker_settings;
