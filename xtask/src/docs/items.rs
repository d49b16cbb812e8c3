//! Paths and the items paired with them: "`path`, `KIND NAME`, `KIND NAME`". Rust files
//! and folders of them pair with Rust items (`fn`, `struct`, ...); the web app's JavaScript
//! modules with `function`, `class` and `const`.

use super::markdown::{code_spans, without_fences};
use super::{Entry, Tree};

/// The item kinds a page may pair with a file.
const KINDS: &[&str] = &["fn", "struct", "enum", "trait", "const", "mod", "type", "function", "class"];

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

/// What checking a page's paths and items found: counts, and (line, message) problems.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub(super) paths: usize,
    pub(super) items: usize,
    pub(super) problems: Vec<(usize, String)>,
}

/// Checks that every path `text` names exists and defines the items paired with it.
pub(super) fn check(text: &str, tree: &dyn Tree) -> Found {
    let mut out = Found::default();
    let (references, unpaired) = references(text);
    for item in unpaired {
        out.problems.push((
            item.line,
            format!(
                "`{} {}` names an item but no file; write it right after its path, as \"`path`, `{} {}`\"",
                item.kind, item.name, item.kind, item.name
            ),
        ));
    }
    for reference in &references {
        out.paths += 1;
        out.items += reference.items.len();
        let path = reference.path.as_str();
        let entry = match tree.kind(path.trim_end_matches('/')) {
            None => {
                out.problems.push((reference.line, format!("`{path}` does not exist")));
                continue;
            }
            Some(Entry::File) if path.ends_with('/') => {
                out.problems.push((reference.line, format!("`{path}` is a file, not a folder")));
                continue;
            }
            Some(entry) => entry,
        };
        if reference.items.is_empty() {
            continue;
        }
        let files = match entry {
            Entry::Dir => tree.rust_files(path.trim_end_matches('/')),
            Entry::File if path.ends_with(".rs") || path.ends_with(".js") => vec![path.to_owned()],
            Entry::File => {
                out.problems.push((
                    reference.line,
                    format!(
                        "`{path}` is neither Rust nor JavaScript; items can only be paired with a .rs or .js file or a folder"
                    ),
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
                out.problems
                    .push((item.line, format!("`{} {}` is not defined in {place}", item.kind, item.name)));
            }
        }
    }
    out
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

/// The repo-relative path a code span names, if it names one.
pub(super) fn repo_path(span: &str) -> Option<String> {
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

pub(super) fn is_ident_char(c: char) -> bool {
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
            let prefix =
                matches!(token, "pub" | "async" | "const" | "unsafe" | "extern" | "default" | "export")
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
