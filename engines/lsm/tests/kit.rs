//! The conformance and crash kit on all four LSM presets, with buffers and
//! files small enough that the kit's short workloads flush, compact and
//! rotate WALs many times (crash points land inside every one of those).
//! `background=false` runs flushes and compactions on the writer's thread,
//! so a replayed workload makes the same storage calls and a crash point
//! names the same instant in every replay.

use engine_kit::KitConfig;

/// Small sizes for every preset.
const SMALL: &str = "background=false,memtable_bytes=4096,target_file_bytes=4096,block_bytes=512,l0_trigger=2,size_ratio=3";

/// A preset's options plus [`SMALL`]; leaked once per test, which is what
/// `KitConfig`'s `&'static str` asks for.
fn config(index: usize, known_failures: &'static [&'static str]) -> KitConfig {
    let (name, preset) = lsm::PRESETS[index];
    KitConfig {
        name,
        open: lsm::open,
        persistent: true,
        options: Box::leak(format!("{preset},{SMALL}").into_boxed_str()),
        option_table: lsm::OPTIONS,
        option_values: &["compaction=leveled", "compaction=tiered"],
        background: "background=true",
        known_failures,
    }
}

engine_kit::conformance_suite!(leveled, config(0, &[]));
engine_kit::conformance_suite!(tiered, config(1, &[]));
engine_kit::conformance_suite!(leveled_nobloom, config(2, &[]));
engine_kit::conformance_suite!(tiered_nobloom, config(3, &[]));

#[test]
fn presets_are_the_four_the_kit_runs() {
    assert_eq!(
        lsm::PRESETS.len(),
        4,
        "a new preset needs its own kit line here"
    );
}
