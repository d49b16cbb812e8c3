//! The scenarios: what the load generator runs against each server, and which of its
//! figures the table shows.

use super::servers::Peer;

/// A figure the load generator reports.
pub(super) struct Metric {
    /// Its `key=value` key.
    pub(super) key: &'static str,
    pub(super) label: &'static str,
    pub(super) unit: Unit,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Unit {
    /// A rate or count, shown with k and M.
    Count,
    /// Microseconds, shown as milliseconds.
    Micros,
    /// A plain number with two decimals.
    Plain,
}

const fn m(key: &'static str, label: &'static str, unit: Unit) -> Metric {
    Metric { key, label, unit }
}

const CORRECTNESS: [Metric; 3] = [
    m("lost", "lost", Unit::Count),
    m("reordered", "reordered", Unit::Count),
    m("dropped", "dropped conns", Unit::Count),
];

/// One scenario: the load generator's arguments and what to show of its report.
pub(super) struct Scenario {
    pub(super) name: String,
    pub(super) peers: &'static [Peer],
    pub(super) args: Vec<String>,
    pub(super) metrics: Vec<Metric>,
    /// The load generator's own time limit, in seconds.
    pub(super) timeout_s: u64,
}

impl Scenario {
    /// Whether `peer` takes part: the baseline wherever ours does.
    pub(super) fn runs(&self, peer: Peer) -> bool {
        let as_peer = if peer == Peer::Baseline { Peer::Ours } else { peer };
        self.peers.contains(&as_peer)
    }
}

pub(super) fn scenarios(quick: bool) -> Vec<Scenario> {
    let q = |full: u64, small: u64| if quick { small } else { full };
    let all: &'static [Peer] = &[Peer::Ours, Peer::Node, Peer::Ceiling];
    // With MQTT too; through Redis, on one process and spread over the manager and one node.
    let fan_out: &'static [Peer] =
        &[Peer::Ours, Peer::OursMqtt, Peer::Node, Peer::Ceiling, Peer::OursRedis, Peer::Spread];
    // The Redis hop's latency, at a rate where nothing queues.
    let hop: &'static [Peer] = &[Peer::Ours, Peer::Node, Peer::Ceiling, Peer::OursRedis];
    let socketio: &'static [Peer] = &[Peer::Ours, Peer::Node];
    let rest: &'static [Peer] = &[Peer::Ours, Peer::OursSqlite, Peer::OursMqtt, Peer::Node];
    let with_correctness = |mut metrics: Vec<Metric>| {
        metrics.extend(CORRECTNESS);
        metrics
    };
    let args = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
    let subs = q(1000, 200);
    let mut out = vec![
        Scenario {
            name: format!("fan-out {subs} subs"),
            peers: fan_out,
            args: args(&format!(
                "fanout --subscribers {subs} --duration {} --window 64 --text-len 300",
                q(10, 2)
            )),
            metrics: with_correctness(vec![
                m("deliveries_per_s", "deliveries/s", Unit::Count),
                m("p50_us", "p50 ms", Unit::Micros),
                m("p99_us", "p99 ms", Unit::Micros),
                m("max_us", "max ms", Unit::Micros),
            ]),
            timeout_s: 120,
        },
        Scenario {
            name: format!("fixed 50 msg/s {subs} subs"),
            peers: hop,
            args: args(&format!(
                "fanout --subscribers {subs} --duration {} --rate 50 --text-len 300",
                q(10, 3)
            )),
            metrics: with_correctness(vec![
                m("p50_us", "p50 ms", Unit::Micros),
                m("p99_us", "p99 ms", Unit::Micros),
                m("max_us", "max ms", Unit::Micros),
            ]),
            timeout_s: 120,
        },
        Scenario {
            name: format!("rest setpriority {subs} subs"),
            peers: rest,
            args: args(&format!("rest --subscribers {subs} --duration {} --inflight 16", q(10, 2))),
            metrics: with_correctness(vec![
                m("deliveries_per_s", "/jobs deliveries/s", Unit::Count),
                m("calls_per_s", "calls/s", Unit::Count),
                m("p50_us", "p50 ms", Unit::Micros),
                m("p99_us", "p99 ms", Unit::Micros),
                m("max_us", "max ms", Unit::Micros),
            ]),
            timeout_s: 120,
        },
        Scenario {
            name: format!("idle {} conns", q(10_000, 1000)),
            peers: all,
            args: args(&format!("idle --connections {} --hold {}", q(10_000, 1000), q(30, 6))),
            metrics: vec![
                m("rss_per_conn_kib", "RSS KiB/conn", Unit::Plain),
                m("rss_kept_pct", "% kept 8 s after close", Unit::Plain),
                m("connect_per_s", "connects/s", Unit::Count),
                m("connect_failures", "connect failures", Unit::Count),
                m("dropped", "dropped conns", Unit::Count),
            ],
            timeout_s: 180,
        },
    ];
    out.push(Scenario {
        name: "task updates 100 workers".to_owned(),
        peers: &[Peer::Ours, Peer::OursSqlite],
        args: args(&format!("updates --workers 100 --duration {}", q(10, 2))),
        metrics: vec![
            m("updates_per_s", "acknowledged/s", Unit::Count),
            m("p50_us", "p50 ms", Unit::Micros),
            m("p99_us", "p99 ms", Unit::Micros),
            m("max_us", "max ms", Unit::Micros),
        ],
        timeout_s: 120,
    });
    let sizes: &[u64] = if quick { &[10, 100, 1000] } else { &[10, 100, 1000, 5000] };
    for &n in sizes {
        out.push(Scenario {
            name: format!("growth {n} subs"),
            peers: all,
            args: args(&format!(
                "fanout --subscribers {n} --duration {} --window 64 --text-len 300",
                q(5, 1)
            )),
            metrics: with_correctness(vec![m("deliveries_per_s", "deliveries/s", Unit::Count)]),
            timeout_s: 120,
        });
    }
    let others = q(5000, 1000);
    out.push(Scenario {
        name: format!("room of 10, {others} others"),
        peers: socketio,
        args: args(&format!("room --members 10 --others {others} --calls {}", q(500, 100))),
        metrics: with_correctness(vec![
            m("alone_p50_us", "p50 ms, 10 alone", Unit::Micros),
            m("crowded_p50_us", "p50 ms, with others", Unit::Micros),
            m("growth", "crowded/alone p50", Unit::Plain),
            m("leaked", "/jobs to others", Unit::Count),
        ]),
        timeout_s: 180,
    });
    out
}
