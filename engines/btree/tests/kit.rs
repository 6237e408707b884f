//! The conformance and crash kit on the B+tree, with a small cache and a
//! small checkpoint threshold so that sweeps crash inside checkpoints,
//! evictions and root splits, and 512-byte pages so that short workloads
//! build trees of several levels.

engine_kit::conformance_suite!(
    kit,
    engine_kit::KitConfig {
        name: "btree",
        open: btree::open,
        persistent: true,
        options: "page_size=512,cache_pages=32,checkpoint_bytes=4096,background=false",
        option_table: btree::OPTIONS,
        option_values: &[],
        background: "background=true",
        known_failures: &[],
    }
);

// The same with checkpoints on their own thread, so crashes also land
// while writers append to the next log and the checkpoint writes pages
// without the lock (where crash points fall then depends on scheduling).
engine_kit::conformance_suite!(
    kit_background,
    engine_kit::KitConfig {
        name: "btree",
        open: btree::open,
        persistent: true,
        options: "page_size=512,cache_pages=32,checkpoint_bytes=4096,background=true",
        option_table: btree::OPTIONS,
        option_values: &[],
        background: "", // `options` already runs checkpoints in the background
        known_failures: &[],
    }
);
