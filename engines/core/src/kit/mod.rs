//! The conformance and crash test kit (being written: see issue #2).
