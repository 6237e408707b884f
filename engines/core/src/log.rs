//! The buffered, group-committing log writer shared by the log engines
//! (being written: see issue #2).
