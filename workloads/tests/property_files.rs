//! YCSB property files: the six core workload files under `ycsb/`
//! (written from YCSB's published parameters) load unchanged through
//! `-P`, with the published proportions and distributions; `-P` applies
//! files in order and `-p` wins; bad lines and unknown names are reported
//! with the file, the line and the name.

mod common;

use common::{args, one, ycsb_file};
use workloads::spec::Distribution;
use workloads::{resolve, Error, Workload};

#[test]
fn the_six_core_workload_files_load_with_their_published_parameters() {
    // (file, read, update, insert, scan, read-modify-write, distribution)
    let published = [
        ("workloada", 0.5, 0.5, 0.0, 0.0, 0.0, Distribution::Zipfian),
        (
            "workloadb",
            0.95,
            0.05,
            0.0,
            0.0,
            0.0,
            Distribution::Zipfian,
        ),
        ("workloadc", 1.0, 0.0, 0.0, 0.0, 0.0, Distribution::Zipfian),
        ("workloadd", 0.95, 0.0, 0.05, 0.0, 0.0, Distribution::Latest),
        (
            "workloade",
            0.0,
            0.0,
            0.05,
            0.95,
            0.0,
            Distribution::Zipfian,
        ),
        ("workloadf", 0.5, 0.0, 0.0, 0.0, 0.5, Distribution::Zipfian),
    ];
    for (file, read, update, insert, scan, rmw, dist) in published {
        let mut a = args(&[], &[]);
        a.property_files.push(ycsb_file(file));
        // `one` also checks there is no warning: the
        // `workload=site.ycsb.workloads.CoreWorkload` line is accepted.
        let w = one(&a);
        assert_eq!(w.name(), file);
        let s = w.spec();
        assert_eq!(
            (s.read, s.update, s.insert, s.scan, s.rmw, s.delete),
            (read, update, insert, scan, rmw, 0.0),
            "{file}"
        );
        assert_eq!(s.distribution, dist, "{file}");
        assert_eq!((s.records, s.operations), (1000, 1000), "{file}");
        // CoreWorkload's defaults where the files are silent: 10 fields of
        // 100 bytes, hashed insert order, scans of 1..=1000 (E: 1..=100).
        assert_eq!((s.field_count, s.field_len), (10, 100), "{file}");
        assert!(!s.ordered, "{file}");
        let max_scan = if file == "workloade" { 100 } else { 1000 };
        assert_eq!(
            (s.min_scan, s.max_scan, s.scan_zipfian),
            (1, max_scan, false)
        );
        assert_eq!(
            w.properties()["workload"],
            "site.ycsb.workloads.CoreWorkload"
        );
    }
}

#[test]
fn repeated_files_apply_in_order_and_overrides_win() {
    let dir = tempfile::tempdir().expect("tmp");
    let base = dir.path().join("base.properties");
    std::fs::write(&base, "recordcount=10\nfieldcount=3\n").expect("write");
    let mut a = args(&[], &["recordcount=30"]);
    a.property_files = vec![ycsb_file("workloada"), base.clone(), ycsb_file("workloadc")];
    let w = one(&a);
    // Named after the last file; workloadc's values replace workloada's;
    // base's fieldcount survives workloadc (which is silent about it);
    // its recordcount is replaced by workloadc's, then by -p.
    assert_eq!(w.name(), "workloadc");
    let s = w.spec();
    assert_eq!((s.read, s.update), (1.0, 0.0));
    assert_eq!(s.field_count, 3);
    assert_eq!(s.records, 30);

    // Without -p, the last file's recordcount wins.
    a.properties.clear();
    a.property_files = vec![base, ycsb_file("workloadb")];
    assert_eq!(one(&a).spec().records, 1000);
    // --records beats -p, as the harness documents.
    a.properties = vec!["recordcount=5".into()];
    a.records = Some(7);
    assert_eq!(one(&a).spec().records, 7);
}

#[test]
fn a_malformed_line_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("broken.properties");
    std::fs::write(&path, "# fine\nrecordcount=10\n\nreadproportion 0.5\n").expect("write");
    let mut a = args(&["ycsb-a"], &[]);
    a.property_files.push(path.clone());
    let e = resolve(&a).expect_err("malformed");
    match &e {
        Error::Syntax { file, line, .. } => {
            assert_eq!(file, &path.display().to_string());
            assert_eq!(*line, 4);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains("broken.properties")
            && msg.contains("line 4")
            && msg.contains("readproportion 0.5"),
        "{msg}"
    );
    // A missing file names the file too.
    let mut a = args(&["ycsb-a"], &[]);
    a.property_files.push(dir.path().join("absent"));
    let msg = resolve(&a).expect_err("missing").to_string();
    assert!(msg.contains("absent"), "{msg}");
}

#[test]
fn unknown_properties_are_warned_about_by_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("typo.properties");
    std::fs::write(&path, "recordcount=10\nreadproportoin=0.5\n").expect("write");
    let mut a = args(&["ycsb-a"], &["operationcuont=5"]);
    a.property_files.push(path);
    let (w, warnings) = resolve(&a).expect("unknown names are not errors");
    assert_eq!(w.len(), 1);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("readproportoin") && warnings[0].contains("typo.properties, line 2"),
        "{warnings:?}"
    );
    assert!(warnings[1].contains("operationcuont"), "{warnings:?}");
    // The misspelt value did not change the known property.
    assert_eq!(w[0].spec().read, 0.5);
    assert_eq!(
        w[0].spec().operations,
        workloads::presets::DEFAULT_OPERATIONS
    );
}
