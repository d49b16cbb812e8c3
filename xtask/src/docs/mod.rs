//! `cargo xtask docs`: what the docs name must exist, so a rename or a move fails CI.
//!
//! Pages: `README.md` and every `docs/*.md`. Outside fenced code blocks, four rules:
//!
//! - **Paths.** An inline code span that is a repository path must exist: one starting with
//!   `crates/`, `xtask/`, `tests/`, `docs/`, `.ci/` or `.cargo/`, or a single top-level file
//!   name ending in `.toml`, `.lock` or `.md`. Trailing punctuation (`.,;:)!?`) is ignored;
//!   spans with spaces or placeholders (`*`, `<…>`, `{…}`) are not paths. A path ending in
//!   `/` must be a folder.
//! - **Items.** A path followed by a comma and a span `KIND NAME` (KIND one of `fn`,
//!   `struct`, `enum`, `trait`, `const`, `mod`, `type`) pairs that item with the path,
//!   e.g. "`crates/broadcast-core/src/rooms.rs`, `enum Room`, `fn name`". The file must
//!   define it: a line `KIND NAME`, after optional `pub`/`pub(...)`, `async`, `const`,
//!   `unsafe` (so `pub(crate) async fn name` and `pub const fn name` count). A folder's
//!   item may be defined in any `.rs` file under it. A `KIND NAME` span that follows no
//!   path is an error too, so that every item a page names is checked.
//! - **Import paths.** A span such as `broadcast_core::notify::job_updated` or
//!   `broadcast_core::notify::{job_created, job_updated}`, whose first segment is a crate
//!   in `crates/`, must be importable: every module on the way `pub mod`, every last name
//!   defined `pub` or re-exported with `pub use` in the last module (`imports.rs`).
//! - **Ack texts.** A table with an `ack text` column must list exactly the ack strings of
//!   `crates/broadcast-core/src/subscription.rs` (`const ACK_OK` and the arms of
//!   `fn ack_text`), each in backticks.
//!
//! One file per rule: `items.rs` (paths and their items), `imports.rs`, `acks.rs`;
//! `markdown.rs` reads code spans and tables. The check is a pure function over a page's
//! text and a [`Tree`] to read files from, so its tests (`tests.rs`) run on made-up trees;
//! some run it over the real docs.

mod acks;
mod imports;
mod items;
mod markdown;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::util::project_root;

/// Read access to the repository, by repo-relative path with `/` separators.
pub(crate) trait Tree {
    /// Whether `path` is a file, a folder, or absent.
    fn kind(&self, path: &str) -> Option<Entry>;
    /// The text of the file `path`.
    fn read(&self, path: &str) -> Option<String>;
    /// Every `.rs` file under the folder `dir`, at any depth.
    fn rust_files(&self, dir: &str) -> Vec<String>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Entry {
    File,
    Dir,
}

/// One thing wrong with a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) page: String,
    pub(crate) line: usize,
    pub(crate) message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.page, self.line, self.message)
    }
}

/// What checking one page found.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) paths: usize,
    pub(crate) items: usize,
    pub(crate) imports: usize,
    pub(crate) ack_tables: usize,
    pub(crate) problems: Vec<Problem>,
}

/// Checks one page: `page` is its repo-relative name (for messages), `text` its contents.
pub(crate) fn check_page(page: &str, text: &str, tree: &dyn Tree) -> Report {
    let found = items::check(text, tree);
    let (imports, import_problems) = imports::check(text, tree);
    let (ack_tables, ack_problems) = acks::check(text, tree);
    let problems = found.problems.into_iter().chain(import_problems).chain(ack_problems);
    Report {
        paths: found.paths,
        items: found.items,
        imports,
        ack_tables,
        problems: problems.map(|(line, message)| Problem { page: page.to_owned(), line, message }).collect(),
    }
}

/// The repository on disk.
struct Disk {
    root: PathBuf,
}

impl Tree for Disk {
    fn kind(&self, path: &str) -> Option<Entry> {
        let meta = std::fs::metadata(self.root.join(path)).ok()?;
        Some(if meta.is_dir() { Entry::Dir } else { Entry::File })
    }

    fn read(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(path)).ok()
    }

    fn rust_files(&self, dir: &str) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else if path.extension().is_some_and(|e| e == "rs")
                    && let Ok(relative) = path.strip_prefix(root)
                {
                    out.push(relative.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &self.root.join(dir), &mut out);
        out.sort();
        out
    }
}

/// The pages: `README.md` and every `docs/*.md`, repo-relative.
fn pages(root: &Path) -> Result<Vec<String>, String> {
    let docs = root.join("docs");
    let entries = std::fs::read_dir(&docs).map_err(|e| format!("cannot list {}: {e}", docs.display()))?;
    let mut pages: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| format!("docs/{}", e.file_name().to_string_lossy()))
        .collect();
    pages.sort();
    pages.insert(0, "README.md".to_owned());
    Ok(pages)
}

/// Checks every page of the repository at `root`.
fn check_all(root: &Path) -> Result<Vec<(String, Report)>, String> {
    let tree = Disk { root: root.to_owned() };
    let mut reports = Vec::new();
    for page in pages(root)? {
        let text = tree.read(&page).ok_or_else(|| format!("cannot read {page}"))?;
        let report = check_page(&page, &text, &tree);
        reports.push((page, report));
    }
    Ok(reports)
}

pub(crate) fn run() -> Result<(), String> {
    let mut problems = Vec::new();
    for (page, report) in check_all(&project_root())? {
        eprintln!(
            "docs: {page}: {} paths, {} items, {} import paths, {} ack tables checked; {} problems",
            report.paths,
            report.items,
            report.imports,
            report.ack_tables,
            report.problems.len()
        );
        problems.extend(report.problems);
    }
    if problems.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    Err(format!("{} problem(s) in the docs:\n{}", problems.len(), list.join("\n")))
}
