//! What sharing updates through Redis costs, as targets: the fan-out through an idle Redis
//! (`ours-redis`: the manager with `--redis` and no other node) against the single process,
//! and the latency the Redis hop adds at 50 messages/s. `spread` (the manager and one
//! `webupdates-node`, subscribers over both) is shown beside them.

use super::report::{Table, Target, fmt_cell, ratio};
use super::scenarios::Unit;
use super::servers::Peer;

impl Table<'_> {
    /// What sharing updates through Redis costs: the fan-out through an idle Redis (no other
    /// node) against the single process, and the latency the hop adds at 50 messages/s.
    pub(super) fn redis_targets(&self) -> Vec<Target> {
        let mut out = Vec::new();
        if let Some(i) = self.find("fan-out") {
            let (ours, redis) = (
                self.get(i, Peer::Ours, "deliveries_per_s"),
                self.get(i, Peer::OursRedis, "deliveries_per_s"),
            );
            if let (Some(o), Some(r)) = (ours, redis) {
                out.push(Target {
                    correctness: false,
                    name: "fan-out through an idle Redis >= 0.9x the single process",
                    met: r.median >= 0.9 * o.median,
                    detail: format!(
                        "{} vs {} ({}); spread over manager and node: {}",
                        fmt_cell(redis, Unit::Count),
                        fmt_cell(ours, Unit::Count),
                        ratio(redis, ours),
                        fmt_cell(self.get(i, Peer::Spread, "deliveries_per_s"), Unit::Count)
                    ),
                });
            }
        }
        if let Some(i) = self.find("fixed") {
            let (ours, redis) = (self.get(i, Peer::Ours, "p50_us"), self.get(i, Peer::OursRedis, "p50_us"));
            if let (Some(o), Some(r)) = (ours, redis) {
                let added = r.median - o.median;
                out.push(Target {
                    correctness: false,
                    name: "the Redis hop adds < 1 ms at p50 (50 msg/s)",
                    met: added < 1000.0,
                    detail: format!(
                        "{:.2} ms ({} ms through Redis, {} ms without)",
                        added / 1000.0,
                        fmt_cell(redis, Unit::Micros),
                        fmt_cell(ours, Unit::Micros)
                    ),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::bench::scenarios::scenarios;

    #[test]
    fn redis_targets_compare_with_the_single_process() {
        let scenarios = scenarios(true);
        let find = |p: &str| scenarios.iter().position(|s| s.name.starts_with(p)).unwrap();
        let (fan_out, fixed) = (find("fan-out"), find("fixed"));
        let one = |k: &str, v: f64| vec![HashMap::from([(k.to_owned(), v)])];
        let results = HashMap::from([
            ((fan_out, Peer::Ours), one("deliveries_per_s", 1_000_000.0)),
            ((fan_out, Peer::OursRedis), one("deliveries_per_s", 850_000.0)),
            ((fan_out, Peer::Spread), one("deliveries_per_s", 900_000.0)),
            ((fixed, Peer::Ours), one("p50_us", 400.0)),
            ((fixed, Peer::OursRedis), one("p50_us", 650.0)),
        ]);
        let peers = [Peer::Ours, Peer::OursRedis, Peer::Spread];
        let table = Table { scenarios: &scenarios, results: &results, peers: &peers };
        let targets = table.redis_targets();
        let [idle, hop] = &targets[..] else { panic!("two targets") };
        assert!(!idle.met, "0.85x is more than 10% slower");
        assert!(
            idle.detail.contains("850.0k vs 1.00M (0.85x)") && idle.detail.contains("900.0k"),
            "{}",
            idle.detail
        );
        assert!(hop.met, "{}", hop.detail);
        assert!(hop.detail.starts_with("0.25 ms"), "{}", hop.detail);
    }
}
