//! # models: what the designs predict
//!
//! (Being written: see issue 18 item 4. The API below is the contract the
//! sweep (`harness sweep`) and the charts build against.)

use std::collections::BTreeMap;

/// What a model needs to know about one sweep cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The engine's base name: `lsm`, `btree`, `hash-log`, `naive-log`, `mem`.
    pub engine: String,
    /// The engine options the cell's spec gave (`size_ratio` -> `4`); an
    /// option not given takes the engine's default.
    pub options: BTreeMap<String, String>,
    /// The workload preset's name (`fill-random`, `ycsb-a`, ...).
    pub workload: String,
    /// Records loaded.
    pub records: u64,
    /// Run-phase operations.
    pub operations: u64,
    /// Bytes of one key and one value as the workload writes them.
    pub key_bytes: u64,
    pub value_bytes: u64,
}

/// One predicted figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// `load` or `run`.
    pub phase: &'static str,
    /// A `summary.csv` column name: `write_amp`, `read_ios_per_op`, `space_amp`, ...
    pub metric: &'static str,
    pub value: f64,
}

/// A cell a model cannot judge (an option value it cannot parse).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("option `{option}` = `{value}`: {why}")]
    BadOption {
        option: String,
        value: String,
        why: String,
    },
}

/// The predictions for `cell`: every figure some model covers, none for
/// a figure no model covers.
pub fn predict(cell: &Cell) -> Result<Vec<Estimate>, Error> {
    let _ = cell;
    Ok(Vec::new())
}
