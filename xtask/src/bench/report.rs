//! What a run found: the table of medians, the targets, and `target/bench/results.json`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::options::Options;
use super::scenarios::{Scenario, Unit};
use super::servers::Peer;

/// Every report of the load generator, by scenario index and server, one per run.
pub(super) type Results = HashMap<(usize, Peer), Vec<HashMap<String, f64>>>;

/// The correctness targets that were not met, each with what broke it.
pub(super) fn broken_correctness(targets: &[Target]) -> Vec<String> {
    targets.iter().filter(|t| t.correctness && !t.met).map(|t| format!("{}: {}", t.name, t.detail)).collect()
}

/// Median, min and max of the runs that reported `key`.
#[derive(Clone, Copy)]
pub(super) struct Summary {
    pub(super) median: f64,
    min: f64,
    max: f64,
    n: usize,
}

fn summarize(runs: Option<&Vec<HashMap<String, f64>>>, key: &str) -> Option<Summary> {
    let mut v: Vec<f64> = runs?.iter().filter_map(|r| r.get(key).copied()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    let median = if v.len() % 2 == 1 { v[mid] } else { (v[mid - 1] + v[mid]) / 2.0 };
    Some(Summary { median, min: v[0], max: v[v.len() - 1], n: v.len() })
}

fn fmt_value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Micros => {
            let ms = v / 1000.0;
            if ms >= 100.0 {
                format!("{ms:.0}")
            } else if ms >= 10.0 {
                format!("{ms:.1}")
            } else {
                format!("{ms:.2}")
            }
        }
        Unit::Plain => format!("{v:.2}"),
        Unit::Count if v >= 1e6 => format!("{:.2}M", v / 1e6),
        Unit::Count if v >= 1e4 => format!("{:.1}k", v / 1e3),
        Unit::Count => format!("{v:.0}"),
    }
}

pub(super) fn fmt_cell(s: Option<Summary>, unit: Unit) -> String {
    match s {
        None => "-".to_owned(),
        Some(s) if s.n == 1 || s.min == s.max => fmt_value(s.median, unit),
        Some(s) => {
            format!("{} ({}-{})", fmt_value(s.median, unit), fmt_value(s.min, unit), fmt_value(s.max, unit))
        }
    }
}

pub(super) fn ratio(a: Option<Summary>, b: Option<Summary>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b.median != 0.0 => format!("{:.2}x", a.median / b.median),
        _ => "-".to_owned(),
    }
}

/// A performance target and whether it is met.
pub(super) struct Target {
    pub(super) name: &'static str,
    pub(super) met: bool,
    pub(super) detail: String,
    /// A correctness target (nothing lost, reordered or dropped), which `--check` enforces,
    /// rather than a performance one.
    pub(super) correctness: bool,
}

/// The target that the rate `a` is at least `factor` times the rate `b`, when both ran.
fn at_least(name: &'static str, a: Option<Summary>, b: Option<Summary>, factor: f64) -> Option<Target> {
    let (x, y) = (a?, b?);
    Some(Target {
        correctness: false,
        name,
        met: x.median >= factor * y.median,
        detail: format!("{} vs {} ({})", fmt_cell(a, Unit::Count), fmt_cell(b, Unit::Count), ratio(a, b)),
    })
}

pub(super) struct Table<'a> {
    pub(super) scenarios: &'a [Scenario],
    pub(super) results: &'a Results,
    pub(super) peers: &'a [Peer],
}

impl Table<'_> {
    pub(super) fn get(&self, scenario: usize, peer: Peer, key: &str) -> Option<Summary> {
        summarize(self.results.get(&(scenario, peer)), key)
    }

    pub(super) fn find(&self, prefix: &str) -> Option<usize> {
        self.scenarios.iter().position(|s| s.name.starts_with(prefix))
    }

    pub(super) fn render(&self, opts: &Options, pinned: bool, took: Duration) -> String {
        // The baseline's, the SQLite store's and MQTT's columns and ratios only when they run.
        let optional = [Peer::Baseline, Peer::OursSqlite, Peer::OursMqtt];
        let columns: Vec<Peer> =
            Peer::all().iter().copied().filter(|p| !optional.contains(p) || self.peers.contains(p)).collect();
        let against: Vec<Peer> = columns.iter().copied().filter(|&p| p != Peer::Ours).collect();
        let mut header = vec!["scenario".to_owned(), "metric".to_owned()];
        header.extend(columns.iter().map(|p| p.name().to_owned()));
        header.extend(against.iter().map(|p| format!("ours/{}", p.name())));
        let mut rows = vec![header];
        for (i, s) in self.scenarios.iter().enumerate() {
            for (j, metric) in s.metrics.iter().enumerate() {
                let cell = |p: Peer| {
                    if s.runs(p) && self.peers.contains(&p) { self.get(i, p, metric.key) } else { None }
                };
                // Ratios of counts that should be zero, or of ratios, say nothing.
                let ratios = !["lost", "reordered", "dropped", "connect_failures", "leaked", "growth"]
                    .contains(&metric.key);
                let mut row =
                    vec![if j == 0 { s.name.clone() } else { String::new() }, metric.label.to_owned()];
                row.extend(columns.iter().map(|&p| fmt_cell(cell(p), metric.unit)));
                row.extend(
                    against
                        .iter()
                        .map(|&p| if ratios { ratio(cell(Peer::Ours), cell(p)) } else { String::new() }),
                );
                rows.push(row);
            }
        }
        let mut widths = vec![0usize; rows[0].len()];
        for row in &rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Web-updates benchmark: {} run(s){}, {}, took {:.0} s; medians, (min-max) over runs.",
            opts.runs,
            if opts.quick { ", quick" } else { "" },
            if pinned { "servers on CPU 0, load generator on CPU 1" } else { "not pinned" },
            took.as_secs_f64()
        );
        for (n, row) in rows.iter().enumerate() {
            let mut line = String::new();
            for (k, (c, &w)) in row.iter().zip(&widths).enumerate() {
                if k < 2 {
                    let _ = write!(line, "{c:<w$}  ");
                } else {
                    let _ = write!(line, "{c:>w$}  ");
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
            if n == 0 {
                let _ =
                    writeln!(out, "{}", "-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            }
        }
        out
    }

    pub(super) fn targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        let fmt = |s: Option<Summary>, unit| fmt_cell(s, unit);
        if let Some(i) = self.find("fan-out") {
            let (ours, node, ceiling) = (
                self.get(i, Peer::Ours, "deliveries_per_s"),
                self.get(i, Peer::Node, "deliveries_per_s"),
                self.get(i, Peer::Ceiling, "deliveries_per_s"),
            );
            out.extend(at_least("fan-out deliveries/s >= 10x node", ours, node, 10.0));
            out.extend(at_least("fan-out deliveries/s >= 1/2 ceiling", ours, ceiling, 0.5));
        }
        if let Some(i) = self.find("fixed") {
            let (ours, node) = (self.get(i, Peer::Ours, "p99_us"), self.get(i, Peer::Node, "p99_us"));
            if let (Some(o), Some(n)) = (ours, node) {
                out.push(Target {
                    correctness: false,
                    name: "p99 at 50 msg/s <= 1/10 of node's",
                    met: o.median * 10.0 <= n.median,
                    detail: format!(
                        "{} ms vs {} ms ({})",
                        fmt(ours, Unit::Micros),
                        fmt(node, Unit::Micros),
                        ratio(ours, node)
                    ),
                });
            }
        }
        out.extend(self.redis_targets());
        if let Some(o) = self.find("idle").and_then(|i| self.get(i, Peer::Ours, "rss_per_conn_kib")) {
            out.push(Target {
                correctness: false,
                name: "idle RSS <= 8 KiB per connection",
                met: o.median <= 8.0,
                detail: format!("{:.2} KiB", o.median),
            });
        }
        if let Some(i) = self.find("room")
            && let Some(o) = self.get(i, Peer::Ours, "growth")
        {
            {
                out.push(Target {
                    correctness: false,
                    name: "broadcast cost grows only with its room (crowded/alone p50 <= 1.5)",
                    met: o.median <= 1.5,
                    detail: format!(
                        "{:.2}x ({} ms alone, {} ms with others)",
                        o.median,
                        fmt(self.get(i, Peer::Ours, "alone_p50_us"), Unit::Micros),
                        fmt(self.get(i, Peer::Ours, "crowded_p50_us"), Unit::Micros)
                    ),
                });
            }
        }
        out.extend(self.store_targets());
        out.extend(self.mqtt_targets());
        for &peer in self.peers {
            let mut bad = Vec::new();
            let mut seen = false;
            for (i, s) in self.scenarios.iter().enumerate() {
                for key in ["lost", "reordered", "dropped", "connect_failures", "leaked", "bad_acks"] {
                    if let Some(runs) = self.results.get(&(i, peer)) {
                        seen = true;
                        let worst = runs.iter().filter_map(|r| r.get(key)).fold(0.0f64, |a, &b| a.max(b));
                        if worst > 0.0 {
                            bad.push(format!("{} {key} {worst:.0}", s.name));
                        }
                    }
                }
            }
            if seen {
                out.push(Target {
                    correctness: true,
                    name: match peer {
                        Peer::Ours => "zero lost/reordered everywhere (ours)",
                        Peer::OursSqlite => "zero lost/reordered everywhere (ours-sqlite)",
                        Peer::OursMqtt => "zero lost/reordered everywhere (ours-mqtt)",
                        Peer::Baseline => "zero lost/reordered everywhere (baseline)",
                        Peer::Node => "zero lost/reordered everywhere (node)",
                        Peer::Ceiling => "zero lost/reordered everywhere (ceiling)",
                        Peer::OursRedis => "zero lost/reordered everywhere (ours-redis)",
                        Peer::Spread => "zero lost/reordered everywhere (spread)",
                    },
                    met: bad.is_empty(),
                    detail: if bad.is_empty() { "none".to_owned() } else { bad.join("; ") },
                });
            }
        }
        out
    }

    /// What publishing to MQTT may cost Socket.IO: at most 10% of the fan-out's deliveries/s
    /// (chat messages, which MQTT does not carry: the cost of the transport being there) and
    /// of set-priority's `/jobs` deliveries/s (each also published to the broker).
    fn mqtt_targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        for (prefix, name) in [
            ("fan-out", "fan-out deliveries/s with MQTT >= 0.9x without"),
            ("rest setpriority", "set-priority deliveries/s with MQTT >= 0.9x without"),
        ] {
            if let Some(i) = self.find(prefix) {
                let (without, with) = (
                    self.get(i, Peer::Ours, "deliveries_per_s"),
                    self.get(i, Peer::OursMqtt, "deliveries_per_s"),
                );
                out.extend(at_least(name, with, without, 0.9));
            }
        }
        out
    }

    /// What the SQLite store must reach: 0.8x the in-memory store's set-priority
    /// deliveries, and 2,000 acknowledged task updates/s, every one durable.
    fn store_targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        let fmt = |s: Option<Summary>, unit| fmt_cell(s, unit);
        if let Some(i) = self.find("rest setpriority") {
            let (memory, sqlite) = (
                self.get(i, Peer::Ours, "deliveries_per_s"),
                self.get(i, Peer::OursSqlite, "deliveries_per_s"),
            );
            out.extend(at_least(
                "set-priority deliveries/s with SQLite >= 0.8x in memory",
                sqlite,
                memory,
                0.8,
            ));
        }
        if let Some(i) = self.find("task updates")
            && let Some(s) = self.get(i, Peer::OursSqlite, "updates_per_s")
        {
            out.push(Target {
                correctness: false,
                name: "task updates with SQLite >= 2,000 acknowledged/s",
                met: s.median >= 2000.0,
                detail: format!(
                    "{}/s, p99 {} ms (in memory: {}/s)",
                    fmt(Some(s), Unit::Count),
                    fmt(self.get(i, Peer::OursSqlite, "p99_us"), Unit::Micros),
                    fmt(self.get(i, Peer::Ours, "updates_per_s"), Unit::Count)
                ),
            });
        }
        out
    }

    pub(super) fn json(
        &self,
        opts: &Options,
        pinned: bool,
        targets: &[Target],
        failures: &[String],
    ) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "{{\n  \"quick\": {},\n  \"runs\": {},\n  \"pinned\": {pinned},\n",
            opts.quick, opts.runs
        );
        out.push_str("  \"scenarios\": [\n");
        for (i, s) in self.scenarios.iter().enumerate() {
            let _ = write!(
                out,
                "    {{\n      \"name\": {},\n      \"loadgen\": {},\n      \"metrics\": [\n",
                json_str(&s.name),
                json_str(&s.args.join(" "))
            );
            for (j, metric) in s.metrics.iter().enumerate() {
                let _ = write!(
                    out,
                    "        {{\"key\": {}, \"label\": {}",
                    json_str(metric.key),
                    json_str(metric.label)
                );
                for &peer in self.peers.iter().filter(|&&p| s.runs(p)) {
                    let runs: Vec<String> = self
                        .results
                        .get(&(i, peer))
                        .map(|r| r.iter().filter_map(|m| m.get(metric.key)).map(|v| json_num(*v)).collect())
                        .unwrap_or_default();
                    let median =
                        self.get(i, peer, metric.key).map(|s| json_num(s.median)).unwrap_or("null".into());
                    let _ = write!(
                        out,
                        ", {}: {{\"median\": {median}, \"runs\": [{}]}}",
                        json_str(peer.name()),
                        runs.join(", ")
                    );
                }
                out.push('}');
                out.push_str(if j + 1 < s.metrics.len() { ",\n" } else { "\n" });
            }
            out.push_str("      ]\n    }");
            out.push_str(if i + 1 < self.scenarios.len() { ",\n" } else { "\n" });
        }
        out.push_str("  ],\n  \"targets\": [\n");
        for (i, t) in targets.iter().enumerate() {
            let _ = write!(
                out,
                "    {{\"name\": {}, \"met\": {}, \"detail\": {}}}{}",
                json_str(t.name),
                t.met,
                json_str(&t.detail),
                if i + 1 < targets.len() { ",\n" } else { "\n" }
            );
        }
        let failures: Vec<String> = failures.iter().map(|f| json_str(f)).collect();
        let _ = write!(out, "  ],\n  \"failures\": [{}]\n}}\n", failures.join(", "));
        out
    }
}

fn json_num(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { "null".to_owned() }
}

fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::super::options::Args;
    use super::super::scenarios::scenarios;
    use super::*;

    #[test]
    fn a_baseline_gets_a_column_and_a_ratio_only_when_asked_for() {
        let scenarios = scenarios(true);
        for s in &scenarios {
            assert_eq!(s.runs(Peer::Baseline), s.runs(Peer::Ours), "{}", s.name);
        }
        let fan_out = scenarios.iter().position(|s| s.name.starts_with("fan-out")).unwrap();
        let report = |d: f64| vec![HashMap::from([("deliveries_per_s".to_owned(), d)])];
        let results = HashMap::from([
            ((fan_out, Peer::Ours), report(1_200_000.0)),
            ((fan_out, Peer::Baseline), report(1_000_000.0)),
        ]);
        let peers = [Peer::Ours, Peer::Baseline];
        let table = Table { scenarios: &scenarios, results: &results, peers: &peers };
        let args = Args {
            servers: Some(vec![Peer::Ours, Peer::Baseline]),
            baseline: Some("old".into()),
            ..Args::default()
        };
        let text = table.render(&args.resolve().unwrap(), true, Duration::from_secs(1));
        let header = text.lines().nth(1).unwrap();
        let columns: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(
            columns,
            [
                "scenario",
                "metric",
                "ours",
                "baseline",
                "node",
                "ceiling",
                "ours-redis",
                "spread",
                "ours/baseline",
                "ours/node",
                "ours/ceiling",
                "ours/ours-redis",
                "ours/spread"
            ]
        );
        let row = text.lines().find(|l| l.contains("deliveries/s")).unwrap();
        assert!(row.contains("1.20M") && row.contains("1.00M") && row.contains("1.20x"), "{row}");

        let without = Table { scenarios: &scenarios, results: &results, peers: &[Peer::Ours] };
        let text = without.render(&Args::default().resolve().unwrap(), true, Duration::from_secs(1));
        assert!(!text.contains("baseline"), "no baseline column unless asked for:\n{text}");
    }

    /// One report per scenario for `ours`, with `lost` set in the fan-out's.
    fn results(scenarios: &[Scenario], lost: f64) -> Results {
        let mut results = HashMap::new();
        for (i, s) in scenarios.iter().enumerate() {
            let mut report = HashMap::from([
                ("lost".to_owned(), 0.0),
                ("reordered".to_owned(), 0.0),
                ("rss_per_conn_kib".to_owned(), 18.0),
            ]);
            if s.name.starts_with("fan-out") {
                report.insert("lost".to_owned(), lost);
            }
            results.insert((i, Peer::Ours), vec![report]);
        }
        results
    }

    #[test]
    fn check_fails_on_a_lost_message_but_never_on_a_timing() {
        let scenarios = scenarios(true);
        let peers = [Peer::Ours];
        let clean = results(&scenarios, 0.0);
        let table = Table { scenarios: &scenarios, results: &clean, peers: &peers };
        let targets = table.targets();
        assert!(
            targets.iter().any(|t| !t.correctness && !t.met),
            "the idle target (18 KiB > 8) is missed, and is not a correctness target"
        );
        assert_eq!(broken_correctness(&targets), Vec::<String>::new());

        let lossy = results(&scenarios, 3.0);
        let table = Table { scenarios: &scenarios, results: &lossy, peers: &peers };
        let broken = broken_correctness(&table.targets());
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert!(broken[0].contains("(ours)") && broken[0].contains("lost 3"), "{}", broken[0]);
    }

    #[test]
    fn mqtt_gets_a_column_and_its_cost_target_only_when_asked_for() {
        let scenarios = scenarios(true);
        let fan_out = scenarios.iter().position(|s| s.name.starts_with("fan-out")).unwrap();
        let rest = scenarios.iter().position(|s| s.name.starts_with("rest setpriority")).unwrap();
        assert!(scenarios[fan_out].runs(Peer::OursMqtt) && scenarios[rest].runs(Peer::OursMqtt));
        assert!(!scenarios.iter().any(|s| s.name.starts_with("idle") && s.runs(Peer::OursMqtt)));
        let report = |d: f64| vec![HashMap::from([("deliveries_per_s".to_owned(), d)])];
        let results = HashMap::from([
            ((fan_out, Peer::Ours), report(1_000_000.0)),
            ((fan_out, Peer::OursMqtt), report(950_000.0)),
            ((rest, Peer::Ours), report(100_000.0)),
            ((rest, Peer::OursMqtt), report(85_000.0)),
        ]);
        let peers = [Peer::Ours, Peer::OursMqtt];
        let table = Table { scenarios: &scenarios, results: &results, peers: &peers };
        let args = Args { servers: Some(peers.to_vec()), ..Args::default() };
        let text = table.render(&args.resolve().unwrap(), true, Duration::from_secs(1));
        assert!(text.lines().nth(1).unwrap().contains("ours/ours-mqtt"), "{text}");
        let targets = table.targets();
        let met = |name: &str| targets.iter().find(|t| t.name.starts_with(name)).map(|t| t.met);
        assert_eq!(met("fan-out deliveries/s with MQTT"), Some(true), "0.95x");
        assert_eq!(met("set-priority deliveries/s with MQTT"), Some(false), "0.85x");

        let without = Table { scenarios: &scenarios, results: &results, peers: &[Peer::Ours] };
        let text = without.render(&Args::default().resolve().unwrap(), true, Duration::from_secs(1));
        assert!(!text.contains("ours-mqtt"), "no MQTT column unless asked for:\n{text}");
    }
}
