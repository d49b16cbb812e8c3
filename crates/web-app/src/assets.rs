//! Every file of the page, built into the binary. `tests::every_file_is_served` fails when a
//! file under `assets/` is missing from [`FILES`], so adding one means adding its line here.

/// One file of the page.
pub(crate) struct Asset {
    /// Its path below `assets/` (and below `/assets/` on the server).
    pub(crate) path: &'static str,
    pub(crate) content_type: &'static str,
    pub(crate) bytes: &'static [u8],
}

macro_rules! files {
    ($($path:literal),* $(,)?) => {
        &[$(Asset {
            path: $path,
            content_type: content_type($path),
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/", $path)),
        }),*]
    };
}

pub(crate) const FILES: &[Asset] = files![
    "index.html",
    "app.css",
    "favicon.svg",
    "js/api.js",
    "js/dom.js",
    "js/format.js",
    "js/main.js",
    "js/router.js",
    "js/store.js",
    "js/updates.js",
    "js/views/header.js",
    "js/views/job.js",
    "js/views/jobs.js",
    "js/views/last-rendered.js",
    "js/views/table.js",
    "js/views/tags.js",
    "js/views/tasklog.js",
    "js/views/workers.js",
    "vendor/README.md",
    "vendor/socket.io-client-LICENSE",
    "vendor/socket.io.js",
];

/// The file at `path` below `assets/`, if the page has one.
pub(crate) fn find(path: &str) -> Option<&'static Asset> {
    FILES.iter().find(|a| a.path == path)
}

/// The `Content-Type` for a file, by its extension.
const fn content_type(path: &str) -> &'static str {
    let bytes = path.as_bytes();
    if ends_with(bytes, b".html") {
        "text/html; charset=utf-8"
    } else if ends_with(bytes, b".css") {
        "text/css; charset=utf-8"
    } else if ends_with(bytes, b".js") {
        "text/javascript; charset=utf-8"
    } else if ends_with(bytes, b".svg") {
        "image/svg+xml"
    } else {
        "text/plain; charset=utf-8"
    }
}

const fn ends_with(bytes: &[u8], suffix: &[u8]) -> bool {
    if bytes.len() < suffix.len() {
        return false;
    }
    let start = bytes.len() - suffix.len();
    let mut i = 0;
    while i < suffix.len() {
        if bytes[start + i] != suffix[i] {
            return false;
        }
        i += 1;
    }
    true
}
