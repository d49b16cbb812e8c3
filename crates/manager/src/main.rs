//! Being built; see docs/ARCHITECTURE.md.
fn main() {}
