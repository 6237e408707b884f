//! Adapter from the `workloads` crate to the harness's [`Workload`] trait.
//! (Placeholder until the crate's API lands.)

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::driver::{Op, OpStream};
use crate::error::{Error, Result};
use crate::workload::Workload;

/// The workload flags shared by `run`, `ops` and `overhead`.
#[derive(Debug, Clone, Default)]
pub struct WorkloadArgs {
    pub workloads: Vec<String>,
    pub property_files: Vec<PathBuf>,
    pub properties: Vec<String>,
    pub records: Option<u64>,
    pub operations: Option<u64>,
    pub seed: u64,
}

/// A resolved workload.
pub enum YcsbWorkload {}

/// One thread's stream.
pub enum YcsbStream {}

impl OpStream for YcsbStream {
    fn next_op(&mut self, _key: &mut Vec<u8>) -> Op {
        match *self {}
    }
}

impl Workload for YcsbWorkload {
    type Stream = YcsbStream;
    fn name(&self) -> &str {
        match *self {}
    }
    fn records(&self) -> u64 {
        match *self {}
    }
    fn operations(&self) -> u64 {
        match *self {}
    }
    fn properties(&self) -> BTreeMap<String, String> {
        match *self {}
    }
    fn load_streams(&self, _threads: usize) -> Vec<(YcsbStream, u64)> {
        match *self {}
    }
    fn run_streams(&self, _threads: usize) -> Vec<YcsbStream> {
        match *self {}
    }
}

/// Resolve the flags into workloads, plus warnings.
pub fn resolve(args: &WorkloadArgs) -> Result<(Vec<YcsbWorkload>, Vec<String>)> {
    Err(Error::UnknownWorkload {
        name: args.workloads.join(","),
        valid: String::new(),
    })
}

/// (name, description) of every preset.
pub fn catalogue() -> Vec<(String, String)> {
    Vec::new()
}
