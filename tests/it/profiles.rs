//! profiles tests (being written).
