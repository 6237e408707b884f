use std::collections::{HashMap, HashSet};

use super::*;
use crate::{OpStream, OpType};

/// YCSB's core workload files, as committed under `workloads/ycsb/`.
fn ycsb_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("ycsb")
        .join(name)
}

fn args(workloads: &[&str]) -> WorkloadArgs {
    WorkloadArgs {
        workloads: workloads.iter().map(|s| s.to_string()).collect(),
        seed: 42,
        ..WorkloadArgs::default()
    }
}

fn one(a: &WorkloadArgs) -> YcsbWorkload {
    let (mut w, _) = resolve(a).expect("resolves");
    assert_eq!(w.len(), 1);
    w.remove(0)
}

fn run_ops(w: &YcsbWorkload, n: usize) -> Vec<(OpType, Vec<u8>, usize, usize)> {
    let mut s = w.run_streams(1).remove(0);
    let mut key = Vec::new();
    (0..n)
        .map(|_| {
            let op = s.next_op(&mut key);
            s.acknowledge();
            (op.kind, key.clone(), op.value_len, op.scan_len)
        })
        .collect()
}

#[test]
fn ycsb_property_files_match_the_presets() {
    for (file, preset) in [
        "workloada",
        "workloadb",
        "workloadc",
        "workloadd",
        "workloade",
        "workloadf",
    ]
    .into_iter()
    .zip(["ycsb-a", "ycsb-b", "ycsb-c", "ycsb-d", "ycsb-e", "ycsb-f"])
    {
        let mut a = args(&[]);
        a.property_files.push(ycsb_file(file));
        let (from_file, warnings) = resolve(&a).expect("the published file loads unchanged");
        assert!(warnings.is_empty(), "{file}: {warnings:?}");
        assert_eq!(from_file[0].name(), file, "named after the file");
        // The file keeps YCSB's own size; the preset the workbench's.
        assert_eq!(from_file[0].spec().records, 1_000, "{file}");
        let from_preset = one(&args(&[preset]));
        assert_eq!(from_preset.spec().records, presets::DEFAULT_RECORDS);
        assert_eq!(from_preset.spec().operations, presets::DEFAULT_OPERATIONS);
        let mut sized = args(&[preset]);
        (sized.records, sized.operations) = (Some(1_000), Some(1_000));
        assert_eq!(
            from_file[0].spec(),
            one(&sized).spec(),
            "{file} vs {preset}"
        );
    }
}

#[test]
fn size_flags_and_overrides_win_over_the_preset_default_size() {
    let mut a = args(&["ycsb-b"]);
    a.properties = vec!["recordcount=5000".into()];
    assert_eq!(one(&a).spec().records, 5_000);
    a.records = Some(7_000);
    assert_eq!(one(&a).spec().records, 7_000);
    // Non-YCSB presets carry their own size.
    assert_eq!(one(&args(&["read-random"])).spec().records, 100_000);
}

#[test]
fn operation_mix_follows_the_proportions() {
    let w = one(&args(&["ycsb-a"]));
    let ops = run_ops(&w, 20_000);
    let reads = ops.iter().filter(|o| o.0 == OpType::Read).count();
    let updates = ops.iter().filter(|o| o.0 == OpType::Update).count();
    assert_eq!(reads + updates, 20_000);
    assert!((9_500..10_500).contains(&reads), "{reads}");
    // Values are fieldcount x fieldlength bytes.
    assert!(ops
        .iter()
        .filter(|o| o.0 == OpType::Update)
        .all(|o| o.2 == 1000));

    let f = one(&args(&["ycsb-f"]));
    let kinds: HashSet<OpType> = run_ops(&f, 1000).iter().map(|o| o.0).collect();
    assert_eq!(kinds, HashSet::from([OpType::Read, OpType::Rmw]));
}

#[test]
fn load_covers_every_record_once_across_threads() {
    let mut a = args(&["ycsb-a"]);
    a.records = Some(1001);
    let w = one(&a);
    let mut keys = HashSet::new();
    let mut total = 0;
    for (mut s, n) in w.load_streams(3) {
        let mut key = Vec::new();
        for _ in 0..n {
            let op = s.next_op(&mut key);
            assert_eq!(op.kind, OpType::Insert);
            keys.insert(key.clone());
        }
        total += n;
    }
    assert_eq!(total, 1001);
    assert_eq!(keys.len(), 1001);
    // Run-phase reads only touch loaded keys.
    for (kind, key, _, _) in run_ops(&w, 2000) {
        assert!(kind == OpType::Read || kind == OpType::Update);
        assert!(keys.contains(&key), "{}", String::from_utf8_lossy(&key));
    }
}

#[test]
fn keys_are_named_as_ycsb_names_them() {
    let w = one(&args(&["ycsb-a"]));
    let mut key = Vec::new();
    stream::key_name(w.spec(), 0, &mut key);
    assert_eq!(
        key,
        format!("user{}", generators::fnv_hash64(0)).into_bytes()
    );
    let mut a = args(&["ycsb-a"]);
    a.properties = vec!["insertorder=ordered".into(), "zeropadding=8".into()];
    let w = one(&a);
    stream::key_name(w.spec(), 42, &mut key);
    assert_eq!(key, b"user00000042");
    for n in [0u64, 7, 10, 99, 100, 12345, 1_000_000_007, u64::MAX] {
        stream::key_name(w.spec(), n, &mut key);
        assert_eq!(key, format!("user{n:08}").into_bytes());
    }
}

#[test]
fn zipfian_requests_are_skewed() {
    let mut a = args(&["ycsb-c"]);
    a.records = Some(10_000);
    let w = one(&a);
    let mut counts: HashMap<Vec<u8>, u32> = HashMap::new();
    for (_, key, _, _) in run_ops(&w, 50_000) {
        *counts.entry(key).or_default() += 1;
    }
    let mut c: Vec<u32> = counts.into_values().collect();
    c.sort_unstable_by(|a, b| b.cmp(a));
    let top_percent: u32 = c.iter().take(100).sum();
    // Uniform would put ~1 % of requests on the top 1 % of keys.
    assert!(
        top_percent > 50_000 / 10,
        "top 1% of keys got {top_percent}"
    );
}

#[test]
fn latest_favours_recent_inserts_and_scans_are_bounded() {
    let mut a = args(&["ycsb-d"]);
    a.records = Some(10_000);
    a.properties = vec!["insertorder=ordered".into(), "zeropadding=10".into()];
    let w = one(&a);
    let ops = run_ops(&w, 20_000);
    let recent = ops
        .iter()
        .filter(|o| o.0 == OpType::Read)
        .filter(|o| {
            let n: u64 = std::str::from_utf8(&o.1[4..])
                .expect("digits")
                .parse()
                .expect("number");
            n >= 9_000
        })
        .count();
    let reads = ops.iter().filter(|o| o.0 == OpType::Read).count();
    assert!(
        recent * 2 > reads,
        "{recent} of {reads} reads among the newest 10%"
    );

    let e = one(&args(&["ycsb-e"]));
    let scans: Vec<usize> = run_ops(&e, 5000)
        .iter()
        .filter(|o| o.0 == OpType::Scan)
        .map(|o| o.3)
        .collect();
    assert!(scans.iter().all(|l| (1..=100).contains(l)));
    assert!(scans.contains(&1) && scans.contains(&100));
}

#[test]
fn same_seed_same_stream() {
    let w = one(&args(&["ycsb-b"]));
    assert_eq!(run_ops(&w, 500), run_ops(&w, 500));
    let mut a = args(&["ycsb-b"]);
    a.seed = 43;
    assert_ne!(run_ops(&w, 500), run_ops(&one(&a), 500));
}

#[test]
fn flags_errors_and_names() {
    let e = resolve(&args(&["ycsb-z"]))
        .expect_err("unknown")
        .to_string();
    assert!(
        e.contains("ycsb-z") && e.contains("ycsb-a") && e.contains("fill-random"),
        "{e}"
    );
    let e = resolve(&args(&[])).expect_err("none").to_string();
    assert!(e.contains("ycsb-a"), "{e}");
    let mut a = args(&["ycsb-a"]);
    a.properties = vec!["requestdistribution=pareto".into()];
    let e = resolve(&a).expect_err("bad value").to_string();
    assert!(
        e.contains("requestdistribution") && e.contains("pareto"),
        "{e}"
    );
    let mut a = args(&["ycsb-a", "ycsb-c"]);
    a.records = Some(77);
    a.properties = vec!["recordcount=5".into(), "bogus=1".into()];
    let (ws, warnings) = resolve(&a).expect("resolves");
    assert!(
        ws.iter().all(|w| w.records() == 77),
        "--records wins over -p"
    );
    assert_eq!(
        warnings.len(),
        1,
        "warned once, not per workload: {warnings:?}"
    );
    assert!(warnings[0].contains("bogus"));
}

fn with(preset: &str, props: &[&str]) -> Result<YcsbWorkload> {
    let mut a = args(&[preset]);
    a.properties = props.iter().map(|s| s.to_string()).collect();
    resolve(&a).map(|(mut w, _)| w.remove(0))
}

fn load_keys(w: &YcsbWorkload) -> Vec<Vec<u8>> {
    let mut key = Vec::new();
    let mut keys = Vec::new();
    for (mut s, n) in w.load_streams(1) {
        for _ in 0..n {
            s.next_op(&mut key);
            keys.push(key.clone());
        }
    }
    keys
}

#[test]
fn the_load_inserts_insertcount_records_from_insertstart() {
    let w = with(
        "ycsb-a",
        &[
            "insertorder=ordered",
            "recordcount=1000",
            "insertstart=100",
            "insertcount=50",
        ],
    )
    .expect("valid");
    assert_eq!(w.records(), 50, "insertcount records, not recordcount");
    let keys = load_keys(&w);
    assert_eq!(keys.len(), 50);
    assert_eq!(keys[0], b"user100");
    assert_eq!(keys[49], b"user149");
}

#[test]
fn run_phase_inserts_are_numbered_from_recordcount() {
    let w = with(
        "ycsb-d",
        &[
            "insertorder=ordered",
            "recordcount=1000",
            "insertstart=100",
            "insertcount=50",
        ],
    )
    .expect("valid");
    let first = run_ops(&w, 2_000)
        .into_iter()
        .find(|(kind, ..)| *kind == OpType::Insert)
        .expect("ycsb-d inserts");
    assert_eq!(
        first.1, b"user1000",
        "YCSB starts run inserts at recordcount"
    );
}

#[test]
fn insertstart_plus_insertcount_beyond_recordcount_is_refused() {
    let e = with(
        "ycsb-a",
        &["recordcount=100", "insertstart=60", "insertcount=50"],
    )
    .expect_err("110 > 100");
    let msg = e.to_string();
    for part in ["insertstart=60", "insertcount=50", "recordcount=100"] {
        assert!(msg.contains(part), "`{part}` missing: {msg}");
    }
}

#[test]
fn writeallfields_false_reads_the_record_before_writing_it() {
    let partial = with("ycsb-f", &[]).expect("valid");
    assert!(!partial.spec().write_all_fields, "YCSB's default");
    let mut s = partial.run_streams(1).remove(0);
    let mut key = Vec::new();
    let ops: Vec<Op> = (0..500).map(|_| s.next_op(&mut key)).collect();
    for op in &ops {
        let expect = matches!(op.kind, OpType::Update | OpType::Rmw);
        assert_eq!(op.read_first, expect, "{op:?}");
    }
    assert!(ops.iter().any(|op| op.kind == OpType::Rmw));
    let whole = with("ycsb-a", &["writeallfields=true"]).expect("valid");
    let mut s = whole.run_streams(1).remove(0);
    assert!((0..500).all(|_| !s.next_op(&mut key).read_first));
}

#[test]
fn properties_we_cannot_honour_are_errors_naming_them() {
    for (prop, name) in [
        ("dataintegrity=true", "dataintegrity"),
        ("workload=site.ycsb.workloads.RestWorkload", "workload="),
        ("measurementtype=raw", "measurementtype"),
        ("readallfields=sometimes", "readallfields"),
        ("writeallfields=1", "writeallfields"),
        ("threadcount=0", "threadcount"),
    ] {
        let e = with("ycsb-a", &[prop]).expect_err(prop);
        assert!(e.to_string().contains(name), "{prop}: {e}");
    }
    assert!(with("ycsb-a", &["dataintegrity=false", "readallfields=false"]).is_ok());
}

#[test]
fn threadcount_is_the_workloads_thread_count_when_set() {
    assert_eq!(with("ycsb-a", &[]).expect("valid").threads(), None);
    assert_eq!(
        with("ycsb-a", &["threadcount=4"]).expect("valid").threads(),
        Some(4)
    );
}
