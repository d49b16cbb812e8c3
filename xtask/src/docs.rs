//! `cargo xtask docs`: what the docs name must exist, so a rename or a move fails CI.
//!
//! Pages: `README.md` and every `docs/*.md`. Outside fenced code blocks, three rules:
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
//! - **Ack texts.** A table with an `ack text` column must list exactly the ack strings of
//!   `crates/broadcast-core/src/subscription.rs` (`const ACK_OK` and the arms of
//!   `fn ack_text`), each in backticks.
//!
//! The check is a pure function over a page's text and a [`Tree`] to read files from, so
//! its tests run on made-up trees; one test runs it over the real docs.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::util::project_root;

/// The item kinds a page may pair with a file.
const KINDS: &[&str] = &["fn", "struct", "enum", "trait", "const", "mod", "type"];

/// Where the subscription ack texts are defined.
const ACK_SOURCE: &str = "crates/broadcast-core/src/subscription.rs";

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
    pub(crate) ack_tables: usize,
    pub(crate) problems: Vec<Problem>,
}

/// An item a page pairs with a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub(crate) line: usize,
    pub(crate) kind: String,
    pub(crate) name: String,
}

/// A path a page names, with the items it pairs with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Reference {
    pub(crate) line: usize,
    pub(crate) path: String,
    pub(crate) items: Vec<Item>,
}

/// Checks one page: `page` is its repo-relative name (for messages), `text` its contents.
pub(crate) fn check_page(page: &str, text: &str, tree: &dyn Tree) -> Report {
    let mut report = Report::default();
    let problem = |line: usize, message: String| Problem { page: page.to_owned(), line, message };
    let (references, unpaired) = references(text);
    for item in unpaired {
        report.problems.push(problem(
            item.line,
            format!(
                "`{} {}` names an item but no file; write it right after its path, as \"`path`, `{} {}`\"",
                item.kind, item.name, item.kind, item.name
            ),
        ));
    }
    for reference in &references {
        report.paths += 1;
        report.items += reference.items.len();
        let path = reference.path.as_str();
        let entry = match tree.kind(path.trim_end_matches('/')) {
            None => {
                report.problems.push(problem(reference.line, format!("`{path}` does not exist")));
                continue;
            }
            Some(Entry::File) if path.ends_with('/') => {
                report.problems.push(problem(reference.line, format!("`{path}` is a file, not a folder")));
                continue;
            }
            Some(entry) => entry,
        };
        if reference.items.is_empty() {
            continue;
        }
        let files = match entry {
            Entry::Dir => tree.rust_files(path.trim_end_matches('/')),
            Entry::File if path.ends_with(".rs") => vec![path.to_owned()],
            Entry::File => {
                report.problems.push(problem(
                    reference.line,
                    format!("`{path}` is not Rust; items can only be paired with a .rs file or a folder"),
                ));
                continue;
            }
        };
        let sources: Vec<String> = files.iter().filter_map(|f| tree.read(f)).collect();
        for item in &reference.items {
            if !sources.iter().any(|source| defines(source, &item.kind, &item.name)) {
                let place = match entry {
                    Entry::Dir => format!("any .rs file under `{path}`"),
                    Entry::File => format!("`{path}`"),
                };
                report.problems.push(problem(
                    item.line,
                    format!("`{} {}` is not defined in {place}", item.kind, item.name),
                ));
            }
        }
    }
    let ack_tables = ack_tables(text);
    if !ack_tables.is_empty() {
        match code_ack_texts(tree) {
            Ok(code) => {
                for table in &ack_tables {
                    report.ack_tables += 1;
                    report
                        .problems
                        .extend(compare_acks(table, &code).into_iter().map(|(l, m)| problem(l, m)));
                }
            }
            Err(e) => report.problems.push(problem(ack_tables[0].line, e)),
        }
    }
    report
}

/// The paths a page names, with their items, and the `KIND NAME` spans that follow no path.
pub(crate) fn references(text: &str) -> (Vec<Reference>, Vec<Item>) {
    let prose = without_fences(text);
    let spans = code_spans(&prose);
    let mut references = Vec::new();
    let mut unpaired = Vec::new();
    let mut i = 0;
    while i < spans.len() {
        let span = &spans[i];
        i += 1;
        if let Some(path) = repo_path(&span.text) {
            let mut items = Vec::new();
            while i < spans.len() && spans[i].gap_before.trim() == "," {
                let Some((kind, name)) = item(&spans[i].text) else { break };
                items.push(Item { line: spans[i].line, kind, name });
                i += 1;
            }
            references.push(Reference { line: span.line, path, items });
        } else if let Some((kind, name)) = item(&span.text) {
            unpaired.push(Item { line: span.line, kind, name });
        }
    }
    (references, unpaired)
}

/// The text with every fenced code block's lines blanked, so line numbers stay right.
fn without_fences(text: &str) -> String {
    let mut fence: Option<&str> = None;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if open == m => fence = None,
            (None, None) => out.push_str(line),
            _ => {}
        }
        out.push('\n');
    }
    out
}

/// An inline code span: its contents, its line, and the text between it and the previous span.
struct Span {
    text: String,
    line: usize,
    gap_before: String,
}

/// The inline code spans of `text`, opened and closed by equal runs of backticks.
fn code_spans(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let run_at = |at: usize| bytes[at..].iter().take_while(|&&b| b == b'`').count();
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    let mut spans = Vec::new();
    let mut previous_end = 0;
    let mut at = 0;
    while let Some(offset) = text[at..].find('`') {
        let open = at + offset;
        let ticks = run_at(open);
        let content_start = open + ticks;
        let mut search = content_start;
        let close = loop {
            match text[search..].find('`') {
                None => break None,
                Some(o) => {
                    let candidate = search + o;
                    let run = run_at(candidate);
                    if run == ticks {
                        break Some(candidate);
                    }
                    search = candidate + run;
                }
            }
        };
        let Some(close) = close else { break };
        spans.push(Span {
            text: text[content_start..close].trim().to_owned(),
            line: line_of(open),
            gap_before: text[previous_end..open].to_owned(),
        });
        previous_end = close + ticks;
        at = previous_end;
    }
    spans
}

/// The repo-relative path a code span names, if it names one.
fn repo_path(span: &str) -> Option<String> {
    const PREFIXES: &[&str] = &["crates/", "xtask/", "tests/", "docs/", ".ci/", ".cargo/"];
    const TOP_LEVEL_EXTENSIONS: &[&str] = &[".toml", ".lock", ".md"];
    let path = span.trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
    let placeholder = |c: char| c.is_whitespace() || "*<>{}[]()$=…\"'".contains(c);
    if path.is_empty() || path.contains(placeholder) || path.contains("://") || path.contains("..") {
        return None;
    }
    let prefixed = PREFIXES.iter().any(|p| path.starts_with(p));
    let top_level = !path.contains('/') && TOP_LEVEL_EXTENSIONS.iter().any(|e| path.ends_with(e));
    (prefixed || top_level).then(|| path.to_owned())
}

/// `KIND NAME`, when the span is one.
fn item(span: &str) -> Option<(String, String)> {
    let (kind, name) = span.split_once(' ')?;
    let ident = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    (KINDS.contains(&kind) && ident).then(|| (kind.to_owned(), name.to_owned()))
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `source` has a line defining `KIND NAME`.
pub(crate) fn defines(source: &str, kind: &str, name: &str) -> bool {
    source.lines().any(|line| {
        let mut tokens = line.split_whitespace();
        while let Some(token) = tokens.next() {
            if token == kind {
                let next = tokens.next().and_then(|t| t.strip_prefix(name));
                return next.is_some_and(|rest| !rest.starts_with(is_ident_char));
            }
            let prefix = matches!(token, "pub" | "async" | "const" | "unsafe" | "extern" | "default")
                || token.starts_with('"')
                || (token.starts_with("pub(") && token.ends_with(')'))
                || (token.starts_with("#[") && token.ends_with(']'));
            if token.starts_with("pub(") && !token.ends_with(')') {
                // `pub(in some::path)`: skip to the closing parenthesis.
                if !tokens.by_ref().any(|t| t.ends_with(')')) {
                    return false;
                }
                continue;
            }
            if !prefix {
                return false;
            }
        }
        false
    })
}

/// A table with an `ack text` column: the line of its header and the texts it lists.
#[derive(Debug)]
struct AckTable {
    line: usize,
    /// (line, text) per row; `None` when the cell has no code span.
    rows: Vec<(usize, Option<String>)>,
}

fn cells(row: &str) -> Vec<&str> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    row.split('|').map(str::trim).collect()
}

fn ack_tables(text: &str) -> Vec<AckTable> {
    let prose = without_fences(text);
    let lines: Vec<&str> = prose.lines().collect();
    let mut tables = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let is_row = |l: &str| l.trim_start().starts_with('|');
        if !is_row(lines[i]) || (i > 0 && is_row(lines[i - 1])) {
            i += 1;
            continue;
        }
        let header = cells(lines[i]);
        let Some(column) = header.iter().position(|c| c.eq_ignore_ascii_case("ack text")) else {
            i += 1;
            continue;
        };
        let mut table = AckTable { line: i + 1, rows: Vec::new() };
        // Skip the header and its `|---|` separator.
        let mut j = i + 2;
        while j < lines.len() && is_row(lines[j]) {
            let cell = cells(lines[j]).get(column).copied().unwrap_or("");
            let text = code_spans(cell).into_iter().next().map(|s| s.text);
            table.rows.push((j + 1, text));
            j += 1;
        }
        tables.push(table);
        i = j;
    }
    tables
}

/// The subscription ack texts the code sends: `const ACK_OK` and the arms of `fn ack_text`.
fn code_ack_texts(tree: &dyn Tree) -> Result<BTreeSet<String>, String> {
    let source =
        tree.read(ACK_SOURCE).ok_or_else(|| format!("cannot read `{ACK_SOURCE}` for the ack texts"))?;
    let literal = |s: &str| s.split('"').nth(1).map(str::to_owned);
    let mut texts = BTreeSet::new();
    for line in source.lines() {
        let line = line.trim();
        if line.contains("const ACK_OK") {
            texts.extend(literal(line));
        } else if line.starts_with("SubscriptionError::") && line.contains("=> \"") {
            texts.extend(line.split_once("=>").and_then(|(_, rhs)| literal(rhs)));
        }
    }
    if texts.len() < 2 {
        return Err(format!(
            "found no ack texts in `{ACK_SOURCE}` (`const ACK_OK`, arms of `fn ack_text`); update xtask/src/docs.rs"
        ));
    }
    Ok(texts)
}

fn compare_acks(table: &AckTable, code: &BTreeSet<String>) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for (line, text) in &table.rows {
        match text {
            None => problems.push((*line, "write the ack text in backticks".to_owned())),
            Some(text) if !code.contains(text) => problems.push((
                *line,
                format!(
                    "ack text `{text}` is not one that `{ACK_SOURCE}` sends (`const ACK_OK`, `fn ack_text`)"
                ),
            )),
            Some(text) => {
                listed.insert(text.clone());
            }
        }
    }
    for missing in code.difference(&listed) {
        problems
            .push((table.line, format!("the ack-text table lacks `{missing}`, which `{ACK_SOURCE}` sends")));
    }
    problems
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
            "docs: {page}: {} paths, {} items, {} ack tables checked; {} problems",
            report.paths,
            report.items,
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A made-up repository: file path to contents; folders are implied.
    struct Fake(BTreeMap<String, String>);

    impl Fake {
        fn new(files: &[(&str, &str)]) -> Self {
            Fake(files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect())
        }
    }

    impl Tree for Fake {
        fn kind(&self, path: &str) -> Option<Entry> {
            if self.0.contains_key(path) {
                Some(Entry::File)
            } else if self.0.keys().any(|k| k.starts_with(&format!("{path}/"))) {
                Some(Entry::Dir)
            } else {
                None
            }
        }

        fn read(&self, path: &str) -> Option<String> {
            self.0.get(path).cloned()
        }

        fn rust_files(&self, dir: &str) -> Vec<String> {
            let prefix = format!("{dir}/");
            self.0.keys().filter(|k| k.starts_with(&prefix) && k.ends_with(".rs")).cloned().collect()
        }
    }

    /// The real tree with one file's text changed.
    struct Edited<'a> {
        inner: &'a dyn Tree,
        edit: &'a dyn Fn(&str, String) -> String,
    }

    impl Tree for Edited<'_> {
        fn kind(&self, path: &str) -> Option<Entry> {
            self.inner.kind(path)
        }

        fn read(&self, path: &str) -> Option<String> {
            self.inner.read(path).map(|text| (self.edit)(path, text))
        }

        fn rust_files(&self, dir: &str) -> Vec<String> {
            self.inner.rust_files(dir)
        }
    }

    fn tree() -> Fake {
        Fake::new(&[
            (
                "crates/core/src/rooms.rs",
                "/// Rooms.\npub enum Room {\n    Chat,\n}\n\nimpl Room {\n    pub fn name(&self) -> &str { \"\" }\n}\n\
                 pub const JOB_ROOM_PREFIX: &str = \"job-\";\npub(crate) async fn join() {}\n\
                 pub const fn size() -> usize { 0 }\npub(in crate::x) struct Inner;\n\
                 #[derive(Debug)] pub struct Tagged;\npub type Alias = u8;\nmod helpers;\n",
            ),
            ("crates/core/src/notify/mod.rs", "mod jobs;\npub use jobs::job_created;\n"),
            ("crates/core/src/notify/jobs.rs", "pub fn job_created() {}\n"),
            ("Cargo.toml", "[workspace]\n"),
            ("docs/page.md", ""),
            ("tests/e2e/package.json", "{}"),
            (
                ACK_SOURCE,
                "pub const ACK_OK: &str = \"ok\";\nfn ack_text(self) -> &'static str {\n    match self {\n        \
                 SubscriptionError::InvalidUuid => \"invalid UUID, ignoring request\",\n        \
                 SubscriptionError::TooMany => \"too many subscriptions, ignoring request\",\n    }\n}\n",
            ),
        ])
    }

    /// One case: a page, and the problems it has (empty: none).
    fn check(page: &str, expected: &[&str]) {
        let report = check_page("docs/x.md", page, &tree());
        let got: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
        assert_eq!(got, expected, "page:\n{page}");
    }

    #[test]
    fn made_up_file_fails() {
        check("See `crates/core/src/nope.rs`.", &["docs/x.md:1: `crates/core/src/nope.rs` does not exist"]);
        check("\n\nAnd `xtask/src/nope.rs`, `fn run`.", &["docs/x.md:3: `xtask/src/nope.rs` does not exist"]);
        check("`Nope.toml`", &["docs/x.md:1: `Nope.toml` does not exist"]);
    }

    #[test]
    fn real_file_with_made_up_function_fails() {
        check(
            "`crates/core/src/rooms.rs`, `fn made_up`",
            &["docs/x.md:1: `fn made_up` is not defined in `crates/core/src/rooms.rs`"],
        );
        // The kind matters, and so does the whole name.
        check(
            "`crates/core/src/rooms.rs`, `struct Room`, `fn nam`, `const size`",
            &[
                "docs/x.md:1: `struct Room` is not defined in `crates/core/src/rooms.rs`",
                "docs/x.md:1: `fn nam` is not defined in `crates/core/src/rooms.rs`",
                "docs/x.md:1: `const size` is not defined in `crates/core/src/rooms.rs`",
            ],
        );
    }

    #[test]
    fn defined_items_pass() {
        check(
            "`crates/core/src/rooms.rs`, `enum Room`, `fn name`, `const JOB_ROOM_PREFIX`, `fn join`,\n\
             `fn size`, `struct Inner`, `struct Tagged`, `type Alias`, `mod helpers`.",
            &[],
        );
    }

    #[test]
    fn folder_items_are_found_in_any_file_under_it() {
        check("`crates/core/src/notify/`, `fn job_created`, `mod jobs`", &[]);
        check(
            "`crates/core/src/notify/`, `fn job_deleted`",
            &["docs/x.md:1: `fn job_deleted` is not defined in any .rs file under `crates/core/src/notify/`"],
        );
        check(
            "`crates/core/src/rooms.rs/`",
            &["docs/x.md:1: `crates/core/src/rooms.rs/` is a file, not a folder"],
        );
    }

    #[test]
    fn paths_and_what_is_not_a_path() {
        check("`Cargo.toml`, `docs/page.md`: `crates/core/src/rooms.rs`; `crates/core`.", &[]);
        // Commands, globs, placeholders, URLs, relative paths and plain words are not checked.
        check(
            "`cargo test -p core`, `docs/*.md`, `crates/<name>/`, `job-<uuid>`, `src/nope.rs`, `lib.rs`, \
             `https://crates/x`, `Room`, `/subscription`",
            &[],
        );
        check(
            "`tests/e2e/package.json`, `fn main`",
            &[
                "docs/x.md:1: `tests/e2e/package.json` is not Rust; items can only be paired with a .rs file or a folder",
            ],
        );
    }

    #[test]
    fn fenced_code_is_not_checked() {
        check("```text\n`crates/nope.rs`\n```\n\n~~~\ncrates/nope\n~~~\n", &[]);
        check("```\nx\n```\n`crates/nope.rs`", &["docs/x.md:4: `crates/nope.rs` does not exist"]);
    }

    #[test]
    fn an_item_may_follow_its_path_on_the_next_line() {
        check(
            "`crates/core/src/rooms.rs`,\n`fn missing`",
            &["docs/x.md:2: `fn missing` is not defined in `crates/core/src/rooms.rs`"],
        );
    }

    #[test]
    fn items_without_a_path_are_errors() {
        check(
            "`crates/core/src/rooms.rs` and `fn name`",
            &[
                "docs/x.md:1: `fn name` names an item but no file; write it right after its path, as \"`path`, `fn name`\"",
            ],
        );
    }

    #[test]
    fn ack_table_must_equal_the_code() {
        let table = |rows: &str| format!("| case | ack text |\n|---|---|\n{rows}\nafter\n");
        check(
            &table(
                "| done | `ok` |\n| bad uuid | `invalid UUID, ignoring request` |\n\
                 | cap | `too many subscriptions, ignoring request` |",
            ),
            &[],
        );
        check(
            &table("| done | `ok` |\n| bad uuid | `invalid uuid` |\n| cap | too many |"),
            &[
                "docs/x.md:4: ack text `invalid uuid` is not one that `crates/broadcast-core/src/subscription.rs` sends (`const ACK_OK`, `fn ack_text`)",
                "docs/x.md:5: write the ack text in backticks",
                "docs/x.md:1: the ack-text table lacks `invalid UUID, ignoring request`, which `crates/broadcast-core/src/subscription.rs` sends",
                "docs/x.md:1: the ack-text table lacks `too many subscriptions, ignoring request`, which `crates/broadcast-core/src/subscription.rs` sends",
            ],
        );
        // Other tables are not ack tables.
        check("| type | room |\n|---|---|\n| `job` | `job-<uuid>` |\n", &[]);
    }

    #[test]
    fn definitions_are_matched_by_whole_tokens() {
        assert!(defines("    pub(crate) async fn on_connect(\n", "fn", "on_connect"));
        assert!(defines("pub trait Broadcaster: Send + Sync {", "trait", "Broadcaster"));
        assert!(defines("pub(in crate::a::b) fn deep() {}", "fn", "deep"));
        assert!(!defines("// fn commented_out()", "fn", "commented_out"));
        assert!(!defines("let x = fn_name();", "fn", "name"));
        assert!(!defines("fn on_connect_later()", "fn", "on_connect"));
        assert!(!defines("pub const fn size()", "const", "size"));
        assert!(!defines("macro_rules! thing", "fn", "thing"));
    }

    fn real_reports() -> Vec<(String, Report)> {
        check_all(&project_root()).expect("the real pages can be read")
    }

    #[test]
    fn the_real_docs_pass() {
        let reports = real_reports();
        let problems: Vec<String> =
            reports.iter().flat_map(|(_, r)| r.problems.iter().map(ToString::to_string)).collect();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        let socketio =
            reports.iter().find(|(p, _)| p == "docs/socketio.md").expect("docs/socketio.md exists");
        assert!(socketio.1.items >= 40, "docs/socketio.md pairs only {} items", socketio.1.items);
        assert_eq!(socketio.1.ack_tables, 1, "docs/socketio.md has its ack-text table");
    }

    /// Renaming any item docs/socketio.md names, in the file it names, fails the check.
    #[test]
    fn renaming_any_named_item_fails_the_real_page() {
        let disk = Disk { root: project_root() };
        let page = "docs/socketio.md";
        let text = disk.read(page).expect("docs/socketio.md exists");
        let (references, _) = references(&text);
        let mut renamed = 0;
        for reference in &references {
            for item in &reference.items {
                let target = reference.path.trim_end_matches('/').to_owned();
                let needle = format!("{} {}", item.kind, item.name);
                let edit = |path: &str, text: String| {
                    if path == target || path.starts_with(&format!("{target}/")) {
                        text.replace(&needle, &format!("{needle}_renamed"))
                    } else {
                        text
                    }
                };
                let edited = Edited { inner: &disk, edit: &edit };
                let report = check_page(page, &text, &edited);
                let expected = format!("`{needle}` is not defined in");
                assert!(
                    report.problems.iter().any(|p| p.message.starts_with(&expected)),
                    "renaming `{needle}` in {} went unnoticed",
                    reference.path
                );
                renamed += 1;
            }
        }
        assert!(renamed >= 40, "only {renamed} items renamed");
    }

    #[test]
    fn changing_an_ack_text_fails_the_real_page() {
        let disk = Disk { root: project_root() };
        let page = "docs/socketio.md";
        let text = disk.read(page).expect("docs/socketio.md exists");
        let edit = |path: &str, text: String| {
            if path == ACK_SOURCE {
                text.replace("\"invalid UUID, ignoring request\"", "\"bad UUID\"")
            } else {
                text
            }
        };
        let report = check_page(page, &text, &Edited { inner: &disk, edit: &edit });
        let got: Vec<String> = report.problems.iter().map(|p| p.message.clone()).collect();
        assert!(got.iter().any(|m| m.contains("`invalid UUID, ignoring request` is not one")), "{got:?}");
        assert!(got.iter().any(|m| m.contains("lacks `bad UUID`")), "{got:?}");
    }
}
