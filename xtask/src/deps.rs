//! `cargo xtask deps`: the one-way dependency rules, checked with `cargo tree -i`.
//!
//! A rule names a crate and packages it must not reach through any dependency, dev and
//! build ones included, with every feature on.

use crate::util::{cargo, output};

struct Rule {
    krate: &'static str,
    forbidden: &'static [&'static str],
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        krate: "broadcast-core",
        forbidden: &["tokio", "socketioxide", "engineioxide", "axum", "hyper"],
        why: "broadcast-core knows nothing about sockets, HTTP or async runtimes",
    },
    Rule {
        krate: "broadcast-mqtt",
        forbidden: &["socketioxide", "engineioxide", "broadcast-socketio", "manager-api", "axum"],
        why: "broadcast-mqtt is a transport beside Socket.IO; it depends on broadcast-core only",
    },
    Rule {
        krate: "manager-api",
        forbidden: &["socketioxide", "engineioxide", "broadcast-socketio"],
        why: "manager-api never names a transport; it takes an Arc<dyn Broadcaster>",
    },
    Rule {
        krate: "web-app",
        forbidden: &["manager-api", "broadcast-core", "broadcast-socketio", "socketioxide", "engineioxide"],
        why: "the web app is files and an axum router; it talks to the manager only over HTTP and Socket.IO, as any browser does",
    },
    Rule {
        krate: "broadcast-redis",
        forbidden: &["socketioxide", "engineioxide", "broadcast-socketio", "manager-api", "axum"],
        why: "the Redis relay depends on broadcast-core and a Redis client only; it knows no transport and no service",
    },
    Rule {
        krate: "webupdates-node",
        forbidden: &["manager-api"],
        why: "a Socket.IO-only node is built from broadcast-socketio and broadcast-redis alone",
    },
];

pub(crate) fn run() -> Result<(), String> {
    let mut broken = Vec::new();
    for rule in RULES {
        let before = broken.len();
        for package in rule.forbidden {
            let tree = output(cargo().args([
                "tree",
                "--quiet",
                "--package",
                rule.krate,
                "--all-features",
                "--edges",
                "normal,build,dev",
                "--invert",
                package,
            ]))?;
            if tree.trim().is_empty() {
                continue;
            }
            broken.push(format!(
                "rule broken: {} must not depend on {package} ({}). Path:\n{tree}",
                rule.krate, rule.why
            ));
        }
        if broken.len() == before {
            eprintln!("deps: {} reaches none of {}", rule.krate, rule.forbidden.join(", "));
        }
    }
    if broken.is_empty() { Ok(()) } else { Err(broken.join("\n")) }
}
