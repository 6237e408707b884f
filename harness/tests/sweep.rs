//! `harness sweep` and `harness merge` end to end: a tiny deterministic
//! plan run whole and as 3 shards in 3 processes of the built binary; the
//! merge's counters equal the whole run's exactly, and merge refuses what
//! does not belong together.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use results::sweep::{self, Kind, SweepRow};

const HARNESS: &str = env!("CARGO_BIN_EXE_harness");

/// 6 cells: hash-log x 2 merge ratios, lsm x 2 ratios x 2 policies, a few
/// hundred records with small segments and memtables so merges, flushes
/// and compactions happen.
const PLAN: &str = r#"
workloads = ["ycsb-a"]
records = 300
operations = 300
seeds = [7]
cache_mb = 1

[[grid]]
engine = "hash-log"
options = { merge_ratio = [0.2, 0.5], segment_bytes = 16384 }

[[grid]]
engine = "lsm"
options = { size_ratio = [2, 4], compaction = ["leveled", "tiered"], memtable_bytes = 8192 }
"#;

fn harness(args: &[&str]) -> Output {
    Command::new(HARNESS)
        .args(args)
        .output()
        .expect("the harness binary runs")
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn counts(dir: &Path) -> Vec<SweepRow> {
    let (params, rows) = sweep::read(&dir.join("sweep.csv")).expect("sweep.csv reads");
    assert_eq!(params, ["merge_ratio", "size_ratio", "compaction"]);
    let mut rows: Vec<SweepRow> = rows.into_iter().filter(|r| r.kind == Kind::Count).collect();
    for r in &mut rows {
        r.line = 0;
    }
    rows
}

#[test]
fn three_shards_in_three_processes_merge_to_the_whole_run() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let plan = tmp.path().join("tiny.toml");
    std::fs::write(&plan, PLAN).expect("write plan");

    let whole = tmp.path().join("whole");
    ok(&harness(&[
        "sweep",
        s(&plan),
        "--out",
        s(&whole),
        "--quiet",
    ]));

    let shards: Vec<PathBuf> = (0..3).map(|i| tmp.path().join(format!("s{i}"))).collect();
    let children: Vec<_> = shards
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Command::new(HARNESS)
                .args(["sweep", s(&plan), "--quiet", "--jobs", "1", "--out", s(d)])
                .args(["--shard", &format!("{i}/3")])
                .spawn()
                .expect("shard process starts")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("shard process ends").success());
    }
    for d in &shards {
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("sweep.json")).expect("manifest"))
                .expect("json");
        assert_eq!(m["cells"].as_array().map(Vec::len), Some(2), "{m}");
        assert_eq!(m["harness_version"], env!("CARGO_PKG_VERSION"));
        assert!(m["machine"]["cores"].as_u64().is_some(), "{m}");
    }

    let merged = tmp.path().join("merged");
    let mut args = vec!["merge", s(&merged)];
    args.extend(shards.iter().map(|d| s(d)));
    ok(&harness(&args));

    let (a, b) = (counts(&whole), counts(&merged));
    // 6 cells x 2 phases x the count metrics.
    assert_eq!(a.len(), 6 * 2 * 16);
    assert!(a
        .iter()
        .any(|r| r.metric == "write_amp" && r.measured > Some(1.0)));
    assert_eq!(a, b, "merged counters differ from the unsharded run");
    // Deterministic cells report no timings: they ran beside each other.
    assert!(!std::fs::read_to_string(merged.join("sweep.csv"))
        .expect("read")
        .contains(",timing"));
    // The merged directory reads as a results directory, one row per
    // cell x phase, and the gate finds it comparable with the whole run
    // (exit 2 would be "cannot compare"; its timing verdicts, 0 or 1, are
    // noise here: count cells ran side by side on a shared machine).
    let dir = results::dir::ResultsDir::read(&merged).expect("a results directory");
    assert_eq!(
        dir.summary_cells().expect("no duplicate cells").len(),
        6 * 2
    );
    let gate = harness(&["gate", "--baseline", s(&whole), "--candidate", s(&merged)]);
    assert_ne!(
        gate.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&gate.stderr)
    );
    for id in [
        "000-hash-log-merge_ratio=0.2-ycsb-a-s7",
        "005-lsm-size_ratio=4-compaction=tiered-ycsb-a-s7",
    ] {
        assert!(merged.join("cells").join(id).join("summary.csv").is_file());
    }

    // Refusals: a missing shard, a shard given twice, a shard of another plan.
    let out = harness(&[
        "merge",
        s(&tmp.path().join("m2")),
        s(&shards[0]),
        s(&shards[1]),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("2/3"), "{err}");
    let out = harness(&[
        "merge",
        s(&tmp.path().join("m3")),
        s(&shards[0]),
        s(&shards[1]),
        s(&shards[1]),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("in both"), "{err}");

    let other = tmp.path().join("other.toml");
    std::fs::write(&other, PLAN.replace("records = 300", "records = 200")).expect("write");
    let foreign = tmp.path().join("foreign");
    ok(&harness(&[
        "sweep",
        s(&other),
        "--quiet",
        "--shard",
        "2/3",
        "--out",
        s(&foreign),
    ]));
    let out = harness(&[
        "merge",
        s(&tmp.path().join("m4")),
        s(&shards[0]),
        s(&shards[1]),
        s(&foreign),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("different plans"),
        "{err}"
    );
    assert!(!tmp.path().join("m4").join("sweep.csv").exists());

    // A shard whose manifest says another harness version, or other
    // seeds, than the first shard's.
    let path = shards[2].join("sweep.json");
    let original = std::fs::read_to_string(&path).expect("manifest");
    type Edit = fn(&mut serde_json::Value);
    let edits: [(&str, Edit); 2] = [
        ("different harness versions", |m| {
            m["harness_version"] = "0.0.0-other".into()
        }),
        ("different seeds", |m| m["seeds"] = serde_json::json!([8])),
    ];
    for (i, (expected, edit)) in edits.iter().enumerate() {
        let mut m: serde_json::Value = serde_json::from_str(&original).expect("json");
        edit(&mut m);
        std::fs::write(&path, m.to_string()).expect("rewrite manifest");
        let out = harness(&[
            "merge",
            s(&tmp.path().join(format!("m5-{i}"))),
            s(&shards[0]),
            s(&shards[1]),
            s(&shards[2]),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(expected), "{err}");
    }
}

#[test]
fn a_bad_plan_fails_before_any_cell_with_file_and_line() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let plan = tmp.path().join("bad.toml");
    std::fs::write(
        &plan,
        PLAN.replace("seeds = [7]", "seeds = [7]\nthreds = 2"),
    )
    .expect("write");
    let out = harness(&["sweep", s(&plan), "--out", s(&tmp.path().join("o"))]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.toml:6:") && err.contains("threads"),
        "{err}"
    );
    assert!(!tmp.path().join("o").exists());
}

#[test]
fn timed_cells_from_two_machines_are_flagged_not_comparable() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let plan = tmp.path().join("timed.toml");
    let text = "workloads = [\"ycsb-c\"]\nrecords = 200\noperations = 200\ndeterministic = false\n\
                cache_mb = 1\n[[grid]]\nengine = \"hash-log\"\noptions = { merge_ratio = [0.2, 0.5] }\n";
    std::fs::write(&plan, text).expect("write plan");
    let shards: Vec<PathBuf> = (0..2).map(|i| tmp.path().join(format!("t{i}"))).collect();
    for (i, d) in shards.iter().enumerate() {
        ok(&harness(&[
            "sweep",
            s(&plan),
            "--quiet",
            "--shard",
            &format!("{i}/2"),
            "--out",
            s(d),
        ]));
    }
    // The second shard "ran elsewhere".
    let path = shards[1].join("sweep.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("manifest")).expect("json");
    for c in m["cells"].as_array_mut().expect("cells is a list") {
        c["machine"]["cpu"] = "another CPU".into();
    }
    std::fs::write(&path, m.to_string()).expect("rewrite manifest");

    let merged = tmp.path().join("merged");
    let out = harness(&["merge", s(&merged), s(&shards[0]), s(&shards[1])]);
    ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not comparable"), "{err}");
    let cells = std::fs::read_to_string(merged.join("cells.csv")).expect("cells.csv");
    let rows: Vec<&str> = cells.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{cells}");
    assert!(
        rows.iter()
            .all(|r| r.contains(",timing,") && r.contains(",0,0,")),
        "{cells}"
    );
    assert!(cells.contains("another CPU"), "{cells}");
    let sweep_csv = std::fs::read_to_string(merged.join("sweep.csv")).expect("sweep.csv");
    assert!(sweep_csv.contains(",ops_per_sec,") && sweep_csv.contains(",timing"));
}
