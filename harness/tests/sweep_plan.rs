//! Sweep plans: parse errors name the file and line, unknown keys list the
//! valid ones, and the expansion's count, order and ids follow the plan.

use std::path::Path;

use harness::sweep::{expand, Plan};

fn parse(text: &str) -> harness::Result<Plan> {
    Plan::parse(Path::new("sweeps/test.toml"), text)
}

const GRID: &str = r#"
workloads = ["fill-random", "ycsb-c"]
records = 100
operations = 100
seeds = [1, 2]

[[grid]]
engine = "lsm"
options = { size_ratio = [2, 4, 8], compaction = ["leveled", "tiered"], memtable_bytes = 65536 }

[[grid]]
engine = "hash-log"
options = { merge_ratio = [0.25, 0.5] }
workloads = ["fill-random"]
"#;

#[test]
fn a_toml_syntax_error_names_the_file_and_line() {
    let e = parse("records = 10\noperations = 10\n\n[[grid]\nengine = \"lsm\"\n")
        .expect_err("bad toml");
    let msg = e.to_string();
    assert!(msg.starts_with("sweeps/test.toml:4:"), "{msg}");
}

#[test]
fn a_bad_value_names_its_line() {
    let text = "records = 10\noperations = 10\nworkloads = [\"ycsb-c\"]\nio = \"floppy\"\n\
                [[grid]]\nengine = \"lsm\"\n";
    let msg = parse(text).expect_err("bad io").to_string();
    assert!(msg.starts_with("sweeps/test.toml:4:"), "{msg}");
    assert!(msg.contains("floppy") && msg.contains("buffered"), "{msg}");
}

#[test]
fn an_unknown_engine_option_names_the_grid_line_and_the_valid_options() {
    let text = "records = 10\noperations = 10\nworkloads = [\"ycsb-c\"]\n\n[[grid]]\n\
                engine = \"lsm\"\noptions = { bloom = [1, 2] }\n";
    let msg = parse(text).expect_err("bad option").to_string();
    assert!(msg.starts_with("sweeps/test.toml:6:"), "{msg}");
    assert!(msg.contains("bloom") && msg.contains("bloom_bits"), "{msg}");
}

#[test]
fn an_unknown_workload_lists_the_presets() {
    let text =
        "records = 10\noperations = 10\nworkloads = [\"ycsb-z\"]\n[[grid]]\nengine = \"lsm\"\n";
    let msg = parse(text).expect_err("bad workload").to_string();
    assert!(msg.starts_with("sweeps/test.toml:3:"), "{msg}");
    assert!(msg.contains("ycsb-z") && msg.contains("ycsb-a"), "{msg}");
}

#[test]
fn an_unknown_top_level_key_lists_the_valid_ones() {
    let text = "records = 10\noperations = 10\nworkloads = [\"ycsb-c\"]\nseed = 3\n\
                [[grid]]\nengine = \"lsm\"\n";
    let msg = parse(text).expect_err("unknown key").to_string();
    assert!(msg.starts_with("sweeps/test.toml:4:"), "{msg}");
    assert!(msg.contains("`seed`"), "{msg}");
    for k in harness::sweep::plan::TOP_LEVEL_KEYS {
        assert!(msg.contains(k), "{k} missing from: {msg}");
    }
}

#[test]
fn an_unknown_grid_key_lists_the_grid_keys() {
    let text = "records = 10\noperations = 10\nworkloads = [\"ycsb-c\"]\n[[grid]]\n\
                engine = \"lsm\"\noption = { bloom_bits = [1] }\n";
    let msg = parse(text).expect_err("unknown key").to_string();
    assert!(msg.starts_with("sweeps/test.toml:6:"), "{msg}");
    assert!(
        msg.contains("`option`") && msg.contains("engine, options, workloads"),
        "{msg}"
    );
}

#[test]
fn a_bad_property_names_the_properties_line() {
    let text = "records = 10\noperations = 10\nworkloads = [\"ycsb-c\"]\n\
                properties = [\"fieldlength=many\"]\n[[grid]]\nengine = \"lsm\"\n";
    let msg = parse(text).expect_err("bad property").to_string();
    assert!(msg.starts_with("sweeps/test.toml:4:"), "{msg}");
    assert!(msg.contains("fieldlength"), "{msg}");
}

#[test]
fn a_plan_without_a_grid_is_refused() {
    let msg = parse("records = 10\noperations = 10\nworkloads = [\"ycsb-c\"]\n")
        .expect_err("no grid")
        .to_string();
    assert!(msg.contains("[[grid]]"), "{msg}");
}

#[test]
fn expansion_is_the_product_in_plan_order() {
    let plan = parse(GRID).expect("valid plan");
    assert_eq!(plan.params(), ["size_ratio", "compaction", "merge_ratio"]);
    let cells = expand::cells(&plan).expect("expands");
    // lsm: 3 ratios x 2 policies x 2 workloads x 2 seeds; hash-log: 2 x 1 x 2.
    assert_eq!(cells.len(), 24 + 4);
    assert_eq!(
        cells[0].id,
        "000-lsm-size_ratio=2-compaction=leveled-fill-random-s1"
    );
    assert_eq!(
        cells[0].spec,
        "lsm:size_ratio=2,compaction=leveled,memtable_bytes=65536"
    );
    assert_eq!(
        cells[1].id,
        "001-lsm-size_ratio=2-compaction=leveled-fill-random-s2"
    );
    assert_eq!(cells[2].workload, "ycsb-c");
    assert_eq!(
        cells[4].id,
        "004-lsm-size_ratio=2-compaction=tiered-fill-random-s1"
    );
    assert_eq!(cells[27].id, "027-hash-log-merge_ratio=0.5-fill-random-s2");
    assert!(!cells[27].params.contains_key("memtable_bytes"));
    assert_eq!(
        cells[27].params.get("merge_ratio").map(String::as_str),
        Some("0.5")
    );
    for (i, c) in cells.iter().enumerate() {
        assert_eq!(c.index, i);
    }
    // Ids are a function of the plan: the same text expands the same way.
    let again = expand::cells(&parse(GRID).expect("valid plan")).expect("expands");
    assert_eq!(cells, again);
}

#[test]
fn shards_are_disjoint_and_cover_the_plan() {
    let cells = expand::cells(&parse(GRID).expect("valid plan")).expect("expands");
    let mut seen: Vec<usize> = (0..3)
        .flat_map(|i| expand::shard(cells.clone(), i, 3))
        .map(|c| c.index)
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..cells.len()).collect::<Vec<_>>());
    assert!(expand::shard(cells, 1, 3).iter().all(|c| c.index % 3 == 1));
}

#[test]
fn a_repeated_cell_is_a_plan_error() {
    let text = "records = 10\noperations = 10\nworkloads = [\"ycsb-c\"]\n\
                [[grid]]\nengine = \"btree\"\noptions = { page_size = [4096] }\n\
                [[grid]]\nengine = \"btree\"\noptions = { page_size = [8192, 4096] }\n";
    let plan = parse(text).expect("parses");
    let msg = expand::cells(&plan).expect_err("repeat").to_string();
    assert!(msg.starts_with("sweeps/test.toml:7:"), "{msg}");
    assert!(msg.contains("same run"), "{msg}");
}

#[test]
fn the_plan_hash_follows_the_text() {
    let a = parse(GRID).expect("valid");
    let b = parse(&format!("{GRID}\n# a comment\n")).expect("valid");
    assert_eq!(a.hash(), parse(GRID).expect("valid").hash());
    assert_ne!(a.hash(), b.hash());
}
