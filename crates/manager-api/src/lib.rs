//! Being built; see docs/ARCHITECTURE.md.
