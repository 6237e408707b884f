//! `harness ops`: the run phase's stream as CSV, identical for the same
//! seed, without an engine.

mod common;

use common::Toy;

fn ops_csv(w: &Toy, limit: Option<u64>) -> String {
    let mut out = Vec::new();
    harness::ops_cmd::write_ops(w, limit, &mut out).expect("written");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn prints_header_and_every_operation() {
    let text = ops_csv(&Toy::new(100, 50), None);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "op,key,value_len,scan_len,read_first");
    assert_eq!(lines.len(), 51);
    for l in &lines[1..] {
        let f: Vec<&str> = l.split(',').collect();
        assert_eq!(f.len(), 5, "{l}");
        assert!(
            ["read", "update", "insert", "scan", "rmw", "delete"].contains(&f[0]),
            "{l}"
        );
        assert!(f[1].starts_with("key"), "{l}");
        f[2].parse::<u64>().expect("value_len");
        f[3].parse::<u64>().expect("scan_len");
        assert!(["0", "1"].contains(&f[4]), "{l}");
    }
    // Inserts continue after the loaded records.
    let first_insert = lines[1..]
        .iter()
        .find(|l| l.starts_with("insert,"))
        .expect("an insert");
    assert!(
        first_insert.starts_with("insert,key00000100,"),
        "{first_insert}"
    );
}

#[test]
fn same_seed_same_stream_and_limit_applies() {
    let a = ops_csv(&Toy::new(100, 500), None);
    assert_eq!(a, ops_csv(&Toy::new(100, 500), None));
    let mut other = Toy::new(100, 500);
    other.seed = 8;
    assert_ne!(a, ops_csv(&other, None));
    assert_eq!(ops_csv(&Toy::new(100, 500), Some(10)).lines().count(), 11);
}
