//! The docs check, on made-up trees and on the real pages.

use std::collections::BTreeMap;

use super::acks::ACK_SOURCE;
use super::items::{defines, references};
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
        (
            "crates/core/src/lib.rs",
            "pub mod notify;\nmod rooms;\npub(crate) mod hidden;\n\
             pub use rooms::{\n    JOB_ROOM_PREFIX as PREFIX, Room,\n};\n",
        ),
        ("crates/core/src/hidden.rs", "pub fn secret() {}\n"),
        (
            "crates/core/src/notify/mod.rs",
            "mod jobs;\npub use jobs::job_created;\n\nimpl X {\n    pub fn send() {}\n}\n",
        ),
        ("crates/core/src/notify/jobs.rs", "pub fn job_created() {}\n"),
        ("Cargo.toml", "[workspace]\n"),
        ("docs/page.md", ""),
        ("tests/e2e/package.json", "{}"),
        (
            "crates/app/assets/js/updates.js",
            "export const SERVER_EVENTS = [];\nexport class Updates {\n  sync() {}\n}\n\
             export function subscriptionKey(type, uuid) {}\nfunction helper() {}\nexport async function load() {}\n",
        ),
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
            "docs/x.md:1: `tests/e2e/package.json` is neither Rust nor JavaScript; items can only be paired with a .rs or .js file or a folder",
        ],
    );
}

#[test]
fn javascript_modules_pair_with_their_functions_classes_and_consts() {
    check(
        "`crates/app/assets/js/updates.js`, `class Updates`, `function subscriptionKey`,\n\
         `function helper`, `function load`, `const SERVER_EVENTS`",
        &[],
    );
    check(
        "`crates/app/assets/js/updates.js`, `function sync`, `class Update`",
        &[
            "docs/x.md:1: `function sync` is not defined in `crates/app/assets/js/updates.js`",
            "docs/x.md:1: `class Update` is not defined in `crates/app/assets/js/updates.js`",
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
    let socketio = reports.iter().find(|(p, _)| p == "docs/socketio.md").expect("docs/socketio.md exists");
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

#[test]
fn import_paths_must_be_importable() {
    check(
        "`core::notify::job_created`, `core::notify::{job_created}`, `core::Room`, `core::PREFIX`, \
         `core::notify`, `core::{Room, PREFIX, notify}`",
        &[],
    );
    // Other crates' paths, and spans that are not paths, are not checked.
    check("`std::sync::Arc`, `tower::ServiceExt::oneshot`, `Room::Jobs`, `a::b c`, `core::`", &[]);
    check(
        "`core::notify::jobs::job_created`",
        &[
            "docs/x.md:1: `core::notify::jobs::job_created`: `mod jobs` in `crates/core/src/notify/mod.rs` is private; \
             import what it holds from where it is re-exported",
        ],
    );
    check(
        "`core::hidden::secret`\n`core::rooms::Room`",
        &[
            "docs/x.md:1: `core::hidden::secret`: `mod hidden` in `crates/core/src/lib.rs` is private; \
             import what it holds from where it is re-exported",
            "docs/x.md:2: `core::rooms::Room`: `mod rooms` in `crates/core/src/lib.rs` is private; \
             import what it holds from where it is re-exported",
        ],
    );
    check(
        "`core::notify::{job_created, job_deleted, send}`",
        &[
            "docs/x.md:1: `core::notify::{job_created, job_deleted, send}`: `crates/core/src/notify/mod.rs` neither \
             defines `pub` nor re-exports with `pub use` at its top level: `job_deleted`, `send`",
        ],
    );
    check(
        "`core::Room::Chat`, `core::nope::Room`",
        &[
            "docs/x.md:1: `core::Room::Chat`: `Room` in `crates/core/src/lib.rs` is an item, not a module; \
             an import path ends at the item",
            "docs/x.md:1: `core::nope::Room`: `crates/core/src/lib.rs` has no `pub mod nope`",
        ],
    );
}

#[test]
fn a_private_module_path_fails_the_real_page() {
    let disk = Disk { root: project_root() };
    let page = "docs/socketio.md";
    let text = disk.read(page).expect("docs/socketio.md exists");
    let report = check_page(page, &text, &disk);
    assert!(report.imports >= 10, "docs/socketio.md names only {} import paths", report.imports);
    let guessed = format!("{text}\nSee `broadcast_core::notify::jobs::job_created`.\n");
    let report = check_page(page, &guessed, &disk);
    let got: Vec<String> = report.problems.iter().map(|p| p.message.clone()).collect();
    assert_eq!(
        got,
        [
            "`broadcast_core::notify::jobs::job_created`: `mod jobs` in `crates/broadcast-core/src/notify/mod.rs` \
             is private; import what it holds from where it is re-exported"
        ]
    );
}
