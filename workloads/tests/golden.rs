//! A fixed-seed golden sequence: the first 20 run-phase operations of
//! ycsb-a with seed 42, one thread, YCSB's own size (1000 records).
//!
//! The literal below was produced by running this code once and pasting
//! its output; it was not derived by hand. Its job is to pin the stream, so
//! that any change to the generators, the seeding or the key naming shows
//! up here and is made on purpose (then the literal is regenerated and the
//! change is explained in the commit). What it does check independently:
//! ycsb-a is only reads and updates, updates carry fieldcount x fieldlength
//! = 1000 bytes, and every key is a loaded record's YCSB name.

mod common;

use std::collections::HashSet;

use common::{args, one, run_ops};
use workloads::{OpStream, OpType, Workload};

const GOLDEN: &[(OpType, &str, usize)] = &[
    (OpType::Update, "user8391501575413644407", 1000),
    (OpType::Update, "user3710067547565731073", 1000),
    (OpType::Update, "user5238840414188136300", 1000),
    (OpType::Read, "user5238840414188136300", 0),
    (OpType::Read, "user7827613273347585481", 0),
    (OpType::Update, "user8878800862358234521", 1000),
    (OpType::Update, "user8290580044389398177", 1000),
    (OpType::Update, "user6390949534223031570", 1000),
    (OpType::Update, "user2639575269965870861", 1000),
    (OpType::Update, "user3478864142300894949", 1000),
    (OpType::Read, "user6405349725575133178", 0),
    (OpType::Update, "user7109452226432457808", 1000),
    (OpType::Update, "user8994122584734582359", 1000),
    (OpType::Read, "user6279535718135969082", 0),
    (OpType::Update, "user1573987489603120213", 1000),
    (OpType::Read, "user5797482573722787097", 0),
    (OpType::Update, "user6043304485557566712", 1000),
    (OpType::Update, "user8517097267634966620", 1000),
    (OpType::Read, "user4650619596219299956", 0),
    (OpType::Update, "user8526469631673501982", 1000),
];

#[test]
fn ycsb_a_seed_42_first_20_operations() {
    let w = one(&args(
        &["ycsb-a"],
        &["recordcount=1000", "operationcount=1000"],
    ));
    let got: Vec<(OpType, String, usize)> = run_ops(&w, 1, 0, 20)
        .into_iter()
        .map(|(kind, key, value_len, _)| (kind, String::from_utf8(key).expect("utf8"), value_len))
        .collect();
    if std::env::var_os("PRINT_GOLDEN").is_some() {
        for (k, key, len) in &got {
            println!("    (OpType::{k:?}, \"{key}\", {len}),");
        }
    }
    let want: Vec<(OpType, String, usize)> = GOLDEN
        .iter()
        .map(|&(k, key, len)| (k, key.to_string(), len))
        .collect();
    assert_eq!(got, want, "the ycsb-a stream for seed 42 changed");
}

#[test]
fn golden_sequence_is_consistent_with_ycsb_a() {
    let w = one(&args(
        &["ycsb-a"],
        &["recordcount=1000", "operationcount=1000"],
    ));
    let mut loaded = HashSet::new();
    let mut key = Vec::new();
    for (mut s, n) in w.load_streams(1) {
        for _ in 0..n {
            s.next_op(&mut key);
            loaded.insert(String::from_utf8(key.clone()).expect("utf8"));
        }
    }
    assert_eq!(GOLDEN.len(), 20);
    for &(kind, key, len) in GOLDEN {
        assert!(loaded.contains(key), "{key} was not loaded");
        match kind {
            OpType::Read => assert_eq!(len, 0),
            OpType::Update => assert_eq!(len, 1000),
            other => panic!("ycsb-a has no {other:?}"),
        }
    }
}
