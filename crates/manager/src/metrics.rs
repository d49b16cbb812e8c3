//! `GET /metrics`: every metric the crates record, in Prometheus' text format, each with its
//! help text, plus the room sizes read at scrape time.

use broadcast_socketio::SocketIoBroadcaster;
use metrics_exporter_prometheus::PrometheusHandle;

/// Installs the Prometheus recorder and describes every metric of the manager and its crates.
pub(crate) fn install() -> Result<PrometheusHandle, String> {
    let handle = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("cannot set up metrics: {e}"))?;
    broadcast_socketio::describe_metrics();
    broadcast_mqtt::describe_metrics();
    broadcast_redis::describe_metrics();
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
    let mut text = handle.render();
    text.push_str(&broadcast_socketio::room_gauges(&broadcaster));
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
