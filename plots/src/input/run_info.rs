//! `run.json`: the run's parameters and machine.
//!
//! Kept as a JSON object rather than a fixed struct: the report shows every
//! field it finds, so a run written by an older or newer harness still
//! renders, and nothing here breaks when the harness adds a field. Read by
//! [`results::run_json::read`], the gate's reader.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::Result;

/// The top-level object of run.json.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// Every field as written.
    pub fields: Map<String, Value>,
}

impl RunInfo {
    /// Reads `run.json`; it must exist and hold a JSON object.
    pub fn read(path: &Path) -> Result<RunInfo> {
        Ok(RunInfo {
            fields: results::run_json::read(path)?,
        })
    }

    /// A top-level field rendered as plain text (`None` if absent).
    pub fn text(&self, key: &str) -> Option<String> {
        self.fields.get(key).map(scalar_text)
    }
}

/// A JSON value as a person would write it: strings without quotes,
/// `null` as an em dash, arrays and objects as compact JSON.
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
