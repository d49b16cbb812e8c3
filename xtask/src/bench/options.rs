//! The benchmark's flags, as clap parses them, and the run they describe.

use std::path::PathBuf;

use super::servers::{PEERS, Peer};

/// `cargo xtask bench`'s flags.
#[derive(clap::Args, Debug, Default, PartialEq)]
pub(crate) struct Args {
    /// A smoke run of about a minute: fewer subscribers, shorter runs, one run.
    #[arg(long)]
    pub(crate) quick: bool,
    /// Also fail when any server lost, reordered or dropped anything (timings are never
    /// checked: they are too noisy for a pass or fail).
    #[arg(long)]
    pub(crate) check: bool,
    /// Runs of every scenario [default: 3, or 1 with --quick].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=20))]
    pub(crate) runs: Option<u16>,
    /// Only the scenarios whose names start with one of these, e.g. `fan-out,idle`.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub(crate) only: Vec<String>,
    /// The servers to run, in table order [default: ours,ours-sqlite,node,ceiling,ours-redis,spread, and
    /// baseline right after ours with --baseline].
    #[arg(long = "servers", value_name = "NAMES", value_delimiter = ',', value_enum)]
    pub(crate) servers: Option<Vec<Peer>>,
    /// Another manager binary (say, one built before a change) run right after ours in every
    /// run, with a column and an ours/baseline ratio of its own. A relative path is taken
    /// from the current directory.
    #[arg(long, value_name = "PATH")]
    pub(crate) baseline: Option<PathBuf>,
}

/// What a run does, once the flags are checked against each other.
#[derive(Debug)]
pub(super) struct Options {
    pub(super) quick: bool,
    pub(super) runs: usize,
    pub(super) only: Vec<String>,
    pub(super) peers: Vec<Peer>,
    pub(super) check: bool,
    /// The manager binary the baseline server runs.
    pub(super) baseline: Option<PathBuf>,
}

impl Args {
    /// The flags `cargo xtask ci` runs the benchmark with: one quick run, correctness checked.
    pub(crate) fn ci() -> Self {
        Args { quick: true, check: true, ..Args::default() }
    }

    /// Checks what clap cannot see flag by flag; the error says which flag to add.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let baseline_named = self.servers.as_ref().is_some_and(|s| s.contains(&Peer::Baseline));
        if baseline_named && self.baseline.is_none() {
            return Err("--servers baseline needs --baseline PATH".to_owned());
        }
        Ok(())
    }

    pub(super) fn resolve(self) -> Result<Options, String> {
        self.validate()?;
        let mut peers = self.servers.unwrap_or_else(|| PEERS.to_vec());
        if self.baseline.is_some() && !peers.contains(&Peer::Baseline) {
            let after_ours = peers.iter().position(|&p| p == Peer::Ours).map_or(0, |i| i + 1);
            peers.insert(after_ours, Peer::Baseline);
        }
        let runs = self.runs.map_or(if self.quick { 1 } else { 3 }, usize::from);
        Ok(Options {
            quick: self.quick,
            runs,
            only: self.only,
            peers,
            check: self.check,
            baseline: self.baseline,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// `cargo xtask bench ARGS`, resolved.
    fn parse(args: &[&str]) -> Result<Options, String> {
        let cli = crate::Cli::parse_args(["xtask", "bench"].iter().chain(args)).map_err(|e| e.to_string())?;
        match cli.task {
            crate::Task::Bench(args) => args.resolve(),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn parses_the_flags_ci_uses() {
        let o = parse(&["--quick", "--check"]).unwrap();
        assert!(o.quick && o.check);
        assert_eq!(o.runs, 1, "--quick is one run unless --runs says otherwise");
        assert_eq!(o.peers, PEERS.to_vec());
        let ci = Args::ci().resolve().unwrap();
        assert_eq!((ci.quick, ci.check, ci.runs, ci.peers), (true, true, 1, PEERS.to_vec()));
        let o = parse(&["--runs", "5", "--servers", "ours,ceiling"]).unwrap();
        assert!(!o.quick && !o.check);
        assert_eq!(o.runs, 5);
        assert_eq!(o.peers, vec![Peer::Ours, Peer::Ceiling]);
        let o = parse(&["--servers", "ours,ours-mqtt"]).unwrap();
        assert_eq!(o.peers, vec![Peer::Ours, Peer::OursMqtt]);
        assert!(!PEERS.contains(&Peer::OursMqtt), "MQTT runs only when named");
        let o = parse(&["--only", "fan-out,idle"]).unwrap();
        assert_eq!((o.only, o.runs), (vec!["fan-out".to_owned(), "idle".to_owned()], 3));
        let e = parse(&["--servers", "nginx"]).unwrap_err();
        assert!(
            e.contains("invalid value 'nginx'")
                && e.contains("ours, ours-sqlite, ours-mqtt, baseline, node, ceiling, ours-redis, spread"),
            "{e}"
        );
        let e = parse(&["--fast"]).unwrap_err();
        assert!(e.contains("unexpected argument '--fast'") && e.contains("Usage: cargo xtask bench"), "{e}");
    }

    #[test]
    fn runs_out_of_range_or_not_a_number_are_refused() {
        for bad in ["0", "21", "-1", "three"] {
            let e = parse(&[&format!("--runs={bad}")]).unwrap_err();
            assert!(e.contains(&format!("invalid value '{bad}' for '--runs <N>'")), "{e}");
        }
        assert_eq!(parse(&["--runs", "20"]).unwrap().runs, 20);
    }

    #[test]
    fn a_baseline_runs_right_after_ours_wherever_ours_runs() {
        let o = parse(&["--baseline", "/tmp/manager-before"]).unwrap();
        assert_eq!(
            o.peers,
            vec![
                Peer::Ours,
                Peer::Baseline,
                Peer::OursSqlite,
                Peer::Node,
                Peer::Ceiling,
                Peer::OursRedis,
                Peer::Spread
            ]
        );
        assert_eq!(o.baseline.as_deref(), Some(Path::new("/tmp/manager-before")));
        let o = parse(&["--servers", "ours,baseline", "--baseline", "old"]).unwrap();
        assert_eq!(o.peers, vec![Peer::Ours, Peer::Baseline]);
        assert!(parse(&["--servers", "baseline"]).unwrap_err().contains("--baseline PATH"));
        let e = parse(&["--baseline"]).unwrap_err();
        assert!(e.contains("a value is required for '--baseline <PATH>'"), "{e}");
    }
}
