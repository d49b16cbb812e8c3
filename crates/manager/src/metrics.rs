//! `GET /metrics`: every metric the crates record, in Prometheus' text format, each with its
//! help text, plus the room sizes read at scrape time.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use broadcast_socketio::SocketIoBroadcaster;
use metrics_exporter_prometheus::PrometheusHandle;

/// Installs the Prometheus recorder and describes every metric of the manager and its crates.
pub(crate) fn install() -> Result<PrometheusHandle, String> {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("cannot set up metrics: {e}"))?;
    broadcast_socketio::describe_metrics();
    broadcast_mqtt::describe_metrics();
    manager_api::describe_metrics();
    metrics::describe_counter!(
        "memory_returned_bytes_total",
        metrics::Unit::Bytes,
        "Memory given back to the operating system after many web-update connections closed."
    );
    Ok(handle)
}

/// `GET /metrics`.
pub(crate) async fn serve(
    handle: PrometheusHandle,
    broadcaster: SocketIoBroadcaster,
) -> impl axum::response::IntoResponse {
    // One series per predefined room, one per kind of dynamic room: a label per job would
    // grow without bound.
    let mut rooms: BTreeMap<Cow<'static, str>, (usize, usize)> = BTreeMap::new();
    for (room, members) in broadcaster.room_sizes() {
        let kind = match room.parse::<broadcast_core::Room>() {
            Ok(broadcast_core::Room::Job(_)) => "job".into(),
            Ok(broadcast_core::Room::TaskLog(_)) => "tasklog".into(),
            Ok(predefined) => predefined.name(),
            Err(_) => "other".into(),
        };
        let entry = rooms.entry(kind).or_default();
        entry.0 += 1;
        entry.1 += members;
    }
    let mut text = handle.render();
    text.push_str("# HELP webupdates_rooms Non-empty rooms, by kind.\n# TYPE webupdates_rooms gauge\n");
    for (kind, (count, _)) in &rooms {
        let _ = writeln!(text, "webupdates_rooms{{kind=\"{kind}\"}} {count}");
    }
    text.push_str("# HELP webupdates_room_members Memberships, by kind of room.\n# TYPE webupdates_room_members gauge\n");
    for (kind, (_, members)) in &rooms {
        let _ = writeln!(text, "webupdates_room_members{{kind=\"{kind}\"}} {members}");
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
