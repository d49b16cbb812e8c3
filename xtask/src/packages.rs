//! The Debian packages the tests need beside Rust and Node (a real MQTT broker, and later
//! others): [`ensure`] installs the missing ones with apt-get when running as root, and
//! otherwise fails with one line saying what to install.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{exec, output};

/// A program the tests run, and the Debian package that has it.
pub(crate) struct Package {
    /// The program, looked for on `PATH` and in the system folders (`/usr/sbin`, `/sbin`).
    pub(crate) program: &'static str,
    /// The Debian package to install when it is missing.
    pub(crate) debian: &'static str,
    /// What needs it, for the message.
    pub(crate) why: &'static str,
}

/// Every system package the tests need.
pub(crate) const NEEDED: &[Package] = &[
    Package { program: "mosquitto", debian: "mosquitto", why: "the MQTT tests' broker" },
    Package { program: "redis-server", debian: "redis-server", why: "the scale-out tests' Redis" },
    CHROMIUM,
];

/// The browser the web app's end-to-end suite drives (headless, through playwright-core).
pub(crate) const CHROMIUM: Package =
    Package { program: "chromium", debian: "chromium", why: "the web app's browser tests" };

/// Installs whatever of `packages` is missing when running as root (apt-get update, then
/// apt-get install); otherwise fails with one line naming what to install.
pub(crate) fn ensure(packages: &[Package]) -> Result<(), String> {
    let missing: Vec<&Package> = packages.iter().filter(|p| !installed(p.program)).collect();
    if missing.is_empty() {
        eprintln!("packages: {} installed", packages.iter().map(|p| p.debian).collect::<Vec<_>>().join(", "));
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|p| p.debian).collect();
    if !is_root() {
        return Err(what_to_install(&missing));
    }
    eprintln!("packages: installing {}", names.join(", "));
    exec(Command::new("apt-get").args(["update", "-q"]))?;
    exec(
        Command::new("apt-get")
            .args(["install", "-y", "-q"])
            .args(&names)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    match missing.iter().find(|p| !installed(p.program)) {
        None => Ok(()),
        Some(p) => Err(format!("apt-get installed {} but `{}` is still not found", p.debian, p.program)),
    }
}

/// The one line that says what to install.
fn what_to_install(missing: &[&Package]) -> String {
    let names: Vec<&str> = missing.iter().map(|p| p.debian).collect();
    let what: Vec<String> = missing.iter().map(|p| format!("{} ({})", p.debian, p.why)).collect();
    format!(
        "missing Debian package(s): {}; install them with `sudo apt-get install {}` (as root, `cargo xtask ci` does)",
        what.join(", "),
        names.join(" ")
    )
}

fn installed(program: &str) -> bool {
    find(program).is_some()
}

/// Where `program` is: on `PATH`, or in a system folder that may not be on it.
pub(crate) fn find(program: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .and_then(|paths| std::env::split_paths(&paths).map(|dir| dir.join(program)).find(|p| p.is_file()));
    on_path.or_else(|| {
        ["/usr/sbin", "/sbin", "/usr/bin"]
            .iter()
            .map(|dir| Path::new(dir).join(program))
            .find(|p| p.is_file())
    })
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_programs_on_path_and_in_system_folders() {
        assert!(installed("sh"));
        assert!(!installed("no-such-program-for-webupdates"));
    }

    #[test]
    fn nothing_missing_needs_nothing() {
        let present = [Package { program: "sh", debian: "dash", why: "a shell" }];
        assert_eq!(ensure(&present), Ok(()));
    }

    #[test]
    fn missing_packages_are_named_with_the_command_that_installs_them() {
        let a = Package { program: "a", debian: "pkg-a", why: "the a tests" };
        let b = Package { program: "b", debian: "pkg-b", why: "the b tests" };
        assert_eq!(
            what_to_install(&[&a, &b]),
            "missing Debian package(s): pkg-a (the a tests), pkg-b (the b tests); install them with \
             `sudo apt-get install pkg-a pkg-b` (as root, `cargo xtask ci` does)"
        );
    }
}
