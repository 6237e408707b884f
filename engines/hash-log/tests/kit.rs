//! The conformance and crash kit on the hash log, with segments small
//! enough that the kit's workloads roll segments and merge many times
//! (crash points land inside merges), on the writer's thread so replays
//! are deterministic.

engine_kit::conformance_suite!(
    kit,
    engine_kit::KitConfig {
        name: "hash-log",
        open: hash_log::open,
        persistent: true,
        options: "segment_bytes=4096,merge_ratio=0.3,background=false",
        option_table: hash_log::OPTIONS,
        option_values: &[],
        background: "background=true",
        known_failures: &[],
    }
);
