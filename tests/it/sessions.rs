//! sessions tests (being written).
