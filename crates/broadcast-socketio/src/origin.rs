//! Which browser origins may open a Socket.IO connection (and, in the manager, call the REST
//! API across origins).
//!
//! Browsers apply CORS to HTTP requests but not to websockets, so a page on any site could
//! open a websocket to the manager in its visitor's browser; checking `Origin` on the
//! handshake is what prevents that. Clients that send no `Origin` (workers, scripts, Node)
//! are not browsers acting for another site and are let in.

/// Whether a request from `origin` (the `Origin` header) to a server that the request calls
/// `host` (the `Host` header) is allowed.
///
/// Allowed: the same origin (the origin's host and port equal `host`), any loopback origin
/// (`localhost`, `127.0.0.1`, `[::1]`, any port), and every origin listed in `allowed`
/// (compared exactly, e.g. `https://render.example.com`; `*` allows all).
pub fn origin_allowed(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    if allowed.iter().any(|a| a == "*" || a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some(authority) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        // `null` (sandboxed frames, file: pages) and anything else that is not a web origin.
        return false;
    };
    if authority.contains('/') {
        return false;
    }
    if host.is_some_and(|h| h.eq_ignore_ascii_case(authority)) {
        return true;
    }
    let hostname = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) { h } else { authority }
        }),
    };
    hostname.eq_ignore_ascii_case("localhost") || hostname == "127.0.0.1" || hostname == "::1"
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    fn check(origin: &str, host: Option<&str>, allowed: &[&str], expected: bool) {
        let allowed: Vec<String> = allowed.iter().map(|s| s.to_string()).collect();
        assert_eq!(origin_allowed(origin, host, &allowed), expected, "{origin} to {host:?} with {allowed:?}");
    }

    #[test]
    fn same_origin_and_loopback_are_allowed_by_default() {
        check("http://manager.farm:8080", Some("manager.farm:8080"), &[], true);
        check("http://MANAGER.farm:8080", Some("manager.farm:8080"), &[], true);
        check("http://localhost:5173", Some("manager.farm:8080"), &[], true);
        check("http://127.0.0.1:3000", Some("10.0.0.1:8080"), &[], true);
        check("http://[::1]:8080", None, &[], true);
    }

    #[test]
    fn other_origins_are_refused() {
        check("http://evil.example", Some("manager.farm:8080"), &[], false);
        check("http://manager.farm:8081", Some("manager.farm:8080"), &[], false);
        check("http://localhost.evil.example", Some("manager.farm:8080"), &[], false);
        check("http://127.0.0.1.evil.example", None, &[], false);
        check("null", Some("manager.farm:8080"), &[], false);
        check("file://", None, &[], false);
        check("http://manager.farm:8080/path", Some("manager.farm:8080"), &[], false);
    }

    #[test]
    fn listed_origins_are_allowed() {
        check("https://render.example.com", Some("manager:8080"), &["https://render.example.com"], true);
        check("https://other.example.com", Some("manager:8080"), &["https://render.example.com"], false);
        check("https://anything.example", None, &["*"], true);
    }
}
