//! Programs the tasks need from the system rather than from cargo or npm (the real servers
//! the tests run against): found on `PATH`, or installed from Debian's packages.

use std::path::Path;
use std::process::Command;

use crate::util::{exec, output};

/// Makes sure every program of `needed`, given as (program, Debian package), is on `PATH`.
/// As root, missing ones are installed with `apt-get`; otherwise one line says what to
/// install, and the tests that need them fail saying so too.
pub(crate) fn ensure_programs(needed: &[(&str, &str)]) -> Result<(), String> {
    let missing: Vec<(&str, &str)> =
        needed.iter().copied().filter(|(program, _)| !on_path(program)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let programs: Vec<&str> = missing.iter().map(|(program, _)| *program).collect();
    let packages: Vec<&str> = missing.iter().map(|(_, package)| *package).collect();
    if !is_root() {
        eprintln!(
            "missing {}: install it with `sudo apt-get install {}` (the tests that need it will fail)",
            programs.join(", "),
            packages.join(" ")
        );
        return Ok(());
    }
    exec(Command::new("apt-get").args(["update", "-q"]))?;
    exec(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    match programs.iter().find(|program| !on_path(program)) {
        Some(program) => Err(format!("{program} is still missing after installing {}", packages.join(" "))),
        None => Ok(()),
    }
}

/// Whether `program` is an executable file in one of `PATH`'s directories.
fn on_path(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| executable(&dir.join(program)))
}

fn executable(file: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(file).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_on_path() {
        assert!(on_path("sh"));
        assert!(!on_path("no-such-program-anywhere"));
        assert!(!on_path("."), "a directory is not a program");
    }

    #[test]
    fn nothing_to_install_when_everything_is_there() {
        assert_eq!(ensure_programs(&[("sh", "dash")]), Ok(()));
    }
}
