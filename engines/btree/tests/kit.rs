//! The conformance and crash kit on the B+tree, with a small cache and a
//! small checkpoint threshold so that sweeps crash inside checkpoints,
//! evictions and root splits, and 512-byte pages so that short workloads
//! build trees of several levels.

/// Found by the kit's crashed bit flips (issue 15).
const BTREE_DW_FLIP: &str = "crashed_bit_flips: a damaged doublewrite file (pages.dw) left by a crash after in-place page writes began is ignored, so a checkpoint cut short is not completed from it: acknowledged writes vanish or reads show a hole (seen at crash mutation 329, seed 75: a flip of byte 0 of pages.dw)";

/// Found by the kit's page drops (issue 15 item 7), with checkpoints in the
/// background (a run of several WALs): not every run hits it.
const BTREE_WAL_PAGE_HOLE: &str = "page_drops: engine-core's log reader takes zeros followed by valid records in a WAL (a dropped unsynced page) for corruption and open fails (seen: sync=never, crash at mutation 228 of 2054, DropPages seed 228, wal.9 offset 3198)";

engine_core::conformance_suite!(
    kit,
    engine_core::kit::KitConfig {
        name: "btree",
        open: btree::open,
        persistent: true,
        options: "page_size=512,cache_pages=32,checkpoint_bytes=4096,background=false",
        option_table: btree::OPTIONS,
        option_values: &[],
        background: "background=true",
        known_failures: &[BTREE_DW_FLIP],
    }
);

// The same with checkpoints on their own thread, so crashes also land
// while writers append to the next log and the checkpoint writes pages
// without the lock (where crash points fall then depends on scheduling).
engine_core::conformance_suite!(
    kit_background,
    engine_core::kit::KitConfig {
        name: "btree",
        open: btree::open,
        persistent: true,
        options: "page_size=512,cache_pages=32,checkpoint_bytes=4096,background=true",
        option_table: btree::OPTIONS,
        option_values: &[],
        background: "", // `options` already runs checkpoints in the background
        known_failures: &[BTREE_DW_FLIP, BTREE_WAL_PAGE_HOLE],
    }
);
