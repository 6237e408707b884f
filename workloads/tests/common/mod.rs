//! Helpers shared by the integration tests: resolve a workload from flags,
//! replay a stream, read a key's record number back.

#![allow(dead_code)]

use std::path::PathBuf;

use workloads::{resolve, OpStream, OpType, Workload, WorkloadArgs, YcsbWorkload};

/// One replayed operation: type, key, value length, scan length.
pub type Replayed = (OpType, Vec<u8>, usize, usize);

/// A committed YCSB core workload file (`workloads/ycsb/workloada`, ...).
pub fn ycsb_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("ycsb")
        .join(name)
}

/// Flags: `--workload` names, `-p` overrides, seed 42.
pub fn args(workloads: &[&str], overrides: &[&str]) -> WorkloadArgs {
    WorkloadArgs {
        workloads: workloads.iter().map(|s| s.to_string()).collect(),
        properties: overrides.iter().map(|s| s.to_string()).collect(),
        seed: 42,
        ..WorkloadArgs::default()
    }
}

/// The one workload the flags resolve to.
pub fn one(a: &WorkloadArgs) -> YcsbWorkload {
    let (mut w, warnings) = resolve(a).expect("resolves");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(w.len(), 1);
    w.remove(0)
}

/// The first `n` run-phase operations of thread `t` of `threads`, each
/// acknowledged before the next is drawn, as the driver does.
pub fn run_ops(w: &YcsbWorkload, threads: usize, t: usize, n: usize) -> Vec<Replayed> {
    let mut s = w.run_streams(threads).remove(t);
    let mut key = Vec::new();
    (0..n)
        .map(|_| {
            let op = s.next_op(&mut key);
            s.acknowledge();
            (op.kind, key.clone(), op.value_len, op.scan_len)
        })
        .collect()
}

/// The record number of a key written with `insertorder=ordered`.
pub fn number(key: &[u8]) -> u64 {
    std::str::from_utf8(&key[4..])
        .expect("ascii digits")
        .parse()
        .expect("a record number")
}

/// |observed - expected| <= 5 binomial standard deviations, for `hits` of
/// `trials` with success probability `p`.
pub fn assert_binomial(what: &str, hits: usize, trials: usize, p: f64) {
    let n = trials as f64;
    let sd = (n * p * (1.0 - p)).sqrt();
    let expected = n * p;
    assert!(
        (hits as f64 - expected).abs() <= 5.0 * sd,
        "{what}: {hits} of {trials}, expected {expected:.1} +- 5 x {sd:.1}"
    );
}
