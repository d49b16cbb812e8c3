//! Import paths: a code span such as `broadcast_core::notify::job_updated`, or
//! `broadcast_core::notify::{job_created, job_updated}`, must be a path a user of the crate
//! can import.
//!
//! A span is an import path when its first segment is a crate of this workspace (the
//! folder `crates/<name with - for _>/` with a `src/lib.rs`); spans of other crates
//! (`std::sync::Arc`) are not checked. From `src/lib.rs`, every segment but the last must be
//! a `pub mod` of the module before it (its file `NAME.rs` or `NAME/mod.rs`), and each last
//! name must be, at the top level of the last module's file, defined `pub` (any item kind)
//! or re-exported with `pub use`. So `broadcast_core::notify::jobs::job_created` fails:
//! `mod jobs` is private, and the function is re-exported one level up.

use super::Tree;
use super::items::is_ident_char;
use super::markdown::{code_spans, without_fences};

/// Item kinds a `pub` definition may have.
const KINDS: &[&str] = &["fn", "struct", "enum", "trait", "const", "static", "mod", "type", "union"];

/// Words that may stand between `pub` and an item's kind.
const QUALIFIERS: &[&str] = &["async", "const", "unsafe", "extern", "\"C\"", "default"];

/// An import path a page names: `krate::modules::name`, or `krate::modules::{a, b}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Import {
    pub(super) line: usize,
    pub(super) text: String,
    pub(super) krate: String,
    pub(super) modules: Vec<String>,
    pub(super) names: Vec<String>,
}

/// Checks every import path of a workspace crate that `text` names: how many, and
/// (line, message) problems.
pub(super) fn check(text: &str, tree: &dyn Tree) -> (usize, Vec<(usize, String)>) {
    let mut count = 0;
    let mut problems = Vec::new();
    for import in imports(text) {
        let Some(lib) = lib_rs(&import.krate, tree) else { continue };
        count += 1;
        if let Err(e) = resolve(&import, &lib, tree) {
            problems.push((import.line, format!("`{}`: {e}", import.text)));
        }
    }
    (count, problems)
}

/// The spans of `text`, outside fenced code, shaped like import paths (of any crate).
pub(super) fn imports(text: &str) -> Vec<Import> {
    code_spans(&without_fences(text)).into_iter().filter_map(|s| import(&s.text, s.line)).collect()
}

fn is_ident(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_ident_char) && !s.starts_with(|c: char| c.is_ascii_digit())
}

fn import(span: &str, line: usize) -> Option<Import> {
    let (path, names) = match span.split_once("::{") {
        Some((path, group)) => {
            let group = group.strip_suffix('}')?;
            (path, group.split(',').map(|n| n.trim().to_owned()).collect::<Vec<_>>())
        }
        None => {
            let (path, name) = span.rsplit_once("::")?;
            (path, vec![name.to_owned()])
        }
    };
    let mut segments = path.split("::").map(str::to_owned);
    let krate = segments.next()?;
    let modules: Vec<String> = segments.collect();
    let lower_case = krate.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    let all_idents = modules.iter().chain(&names).all(|s| is_ident(s));
    (lower_case && is_ident(&krate) && all_idents).then(|| Import {
        line,
        text: span.to_owned(),
        krate,
        modules,
        names,
    })
}

/// `crates/<name>/src/lib.rs` of a workspace crate, if `krate` is one.
fn lib_rs(krate: &str, tree: &dyn Tree) -> Option<String> {
    let lib = format!("crates/{}/src/lib.rs", krate.replace('_', "-"));
    matches!(tree.kind(&lib), Some(super::Entry::File)).then_some(lib)
}

/// Follows `import` from `lib`; the error says where it stops.
fn resolve(import: &Import, lib: &str, tree: &dyn Tree) -> Result<(), String> {
    let mut file = lib.to_owned();
    // The folder a module's child modules live in: `src/` for lib.rs and mod.rs, `src/a/` for a.rs.
    let mut dir = lib.trim_end_matches("/lib.rs").to_owned();
    for module in &import.modules {
        let source = tree.read(&file).ok_or_else(|| format!("cannot read `{file}`"))?;
        if !declares_pub(&source, "mod", module) {
            return Err(if declares_private_mod(&source, module) {
                format!(
                    "`mod {module}` in `{file}` is private; import what it holds from where it is re-exported"
                )
            } else if exports(&source, module) {
                format!("`{module}` in `{file}` is an item, not a module; an import path ends at the item")
            } else {
                format!("`{file}` has no `pub mod {module}`")
            });
        }
        let child = [format!("{dir}/{module}.rs"), format!("{dir}/{module}/mod.rs")]
            .into_iter()
            .find(|f| tree.read(f).is_some())
            .ok_or_else(|| format!("`pub mod {module}` of `{file}` has no file `{dir}/{module}.rs`"))?;
        file = child;
        dir = format!("{dir}/{module}");
    }
    let source = tree.read(&file).ok_or_else(|| format!("cannot read `{file}`"))?;
    let missing: Vec<&str> =
        import.names.iter().map(String::as_str).filter(|n| !exports(&source, n)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "`{file}` neither defines `pub` nor re-exports with `pub use` at its top level: {}",
        missing.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
    ))
}

/// Whether the module whose source is `source` makes `name` public at its top level.
fn exports(source: &str, name: &str) -> bool {
    KINDS.iter().any(|kind| declares_pub(source, kind, name)) || reexports(source).iter().any(|n| n == name)
}

/// Whether a top-level line (no indentation) of `source` is `pub … KIND NAME`.
pub(super) fn declares_pub(source: &str, kind: &str, name: &str) -> bool {
    top_level_declares(source, kind, name, true)
}

fn declares_private_mod(source: &str, name: &str) -> bool {
    top_level_declares(source, "mod", name, false)
}

fn top_level_declares(source: &str, kind: &str, name: &str, public: bool) -> bool {
    source.lines().filter(|l| !l.starts_with(char::is_whitespace)).any(|line| {
        let tokens: Vec<&str> =
            line.split_whitespace().skip_while(|t| t.starts_with("#[") && t.ends_with(']')).collect();
        let rest = match tokens.split_first() {
            Some((&"pub", rest)) if public => rest,
            Some((first, rest)) if !public && first.starts_with("pub(") => rest,
            Some(_) if !public => &tokens[..],
            _ => return false,
        };
        let names_it = |t: Option<&&str>| {
            t.and_then(|t| t.strip_prefix(name)).is_some_and(|after| !after.starts_with(is_ident_char))
        };
        for (i, token) in rest.iter().enumerate() {
            if *token == kind && names_it(rest.get(i + 1)) {
                return true;
            }
            if !QUALIFIERS.contains(token) {
                return false;
            }
        }
        false
    })
}

/// The names the top-level `pub use` statements of `source` bring in (`a as b` brings `b`).
fn reexports(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut statement: Option<String> = None;
    for line in source.lines() {
        if statement.is_none() && line.starts_with("pub use ") {
            statement = Some(String::new());
        }
        let Some(text) = statement.as_mut() else { continue };
        text.push_str(line);
        text.push(' ');
        if !line.contains(';') {
            continue;
        }
        let body = text.trim_start_matches("pub use ").split(';').next().unwrap_or("").to_owned();
        for leaf in body.split(['{', '}', ',']).map(str::trim) {
            if leaf.is_empty() || leaf.ends_with("::") || leaf.ends_with('*') {
                continue;
            }
            let name = match leaf.split_once(" as ") {
                Some((_, alias)) => alias.trim(),
                None => leaf.rsplit("::").next().unwrap_or(leaf),
            };
            names.push(name.to_owned());
        }
        statement = None;
    }
    names
}
