//! accounts tests (being written).
