//! The models restate the engines' defaults and layout constants instead of
//! depending on the engine crates. This test reads the engines' source text
//! (no build dependency) and fails when a restated value no longer matches,
//! so a changed default cannot silently leave a model predicting the old
//! engine.

use models::{btree, hash_log, lsm, naive_log};

const LSM_OPTIONS: &str = include_str!("../../../engines/lsm/src/options.rs");
const BTREE_LIB: &str = include_str!("../../../engines/btree/src/lib.rs");
const HASH_LOG_LIB: &str = include_str!("../../../engines/hash-log/src/lib.rs");
const CORE_OPTIONS: &str = include_str!("../../../engines/core/src/options.rs");
const CORE_RECORD: &str = include_str!("../../../engines/core/src/record.rs");
const CORE_LOG: &str = include_str!("../../../engines/core/src/log.rs");
const MEMTABLE: &str = include_str!("../../../engines/lsm/src/memtable.rs");
const SSTABLE: &str = include_str!("../../../engines/lsm/src/sstable/mod.rs");
const PAGE: &str = include_str!("../../../engines/btree/src/page.rs");
const DOUBLEWRITE: &str = include_str!("../../../engines/btree/src/doublewrite.rs");
const HINT: &str = include_str!("../../../engines/hash-log/src/hint.rs");
const NAIVE_ENGINE: &str = include_str!("../../../engines/naive-log/src/engine.rs");

/// The `default: "..."` of the `OptionSpec` named `name` in `source`.
fn option_default<'a>(source: &'a str, name: &str) -> &'a str {
    let at = source
        .find(&format!("name: \"{name}\""))
        .unwrap_or_else(|| panic!("no option `{name}`"));
    let rest = &source[at..];
    let d = rest.find("default: \"").expect("a default after the name") + "default: \"".len();
    let end = rest[d..].find('"').expect("a closing quote");
    &rest[d..d + end]
}

/// The right-hand side of `const NAME: type = value;` in `source`.
fn constant<'a>(source: &'a str, name: &str) -> &'a str {
    let at = source
        .find(&format!("const {name}:"))
        .unwrap_or_else(|| panic!("no constant `{name}`"));
    let rest = &source[at..];
    let eq = rest.find('=').expect("an initialiser") + 1;
    let end = rest.find(';').expect("a semicolon");
    rest[eq..end].trim()
}

#[test]
fn lsm_defaults() {
    use lsm::defaults::*;
    let d = |n| option_default(LSM_OPTIONS, n);
    assert_eq!(d("compaction"), COMPACTION);
    assert_eq!(d("bloom_bits"), BLOOM_BITS.to_string());
    assert_eq!(d("memtable_mb"), MEMTABLE_MB.to_string());
    assert_eq!(d("block_bytes"), BLOCK_BYTES.to_string());
    assert_eq!(d("restart_interval"), RESTART_INTERVAL.to_string());
    assert_eq!(d("target_file_mb"), TARGET_FILE_MB.to_string());
    assert_eq!(d("l0_trigger"), L0_TRIGGER.to_string());
    assert_eq!(d("size_ratio"), SIZE_RATIO.to_string());
    assert_eq!(d("tier_runs"), TIER_RUNS.to_string());
    assert_eq!(d("max_space_amp"), MAX_SPACE_AMP.to_string());
    assert_eq!(d("base_mb"), BASE_MB.to_string());
    assert_eq!(d("max_levels"), MAX_LEVELS.to_string());
    assert_eq!(
        constant(MEMTABLE, "ENTRY_OVERHEAD"),
        lsm::MEMTABLE_ENTRY_OVERHEAD.to_string()
    );
    assert_eq!(constant(SSTABLE, "FOOTER_LEN"), lsm::FOOTER.to_string());
}

#[test]
fn btree_defaults() {
    use btree::defaults::*;
    let d = |n| option_default(BTREE_LIB, n);
    assert_eq!(d("page_size"), PAGE_SIZE.to_string());
    assert_eq!(d("cache_pages"), CACHE_PAGES.to_string());
    assert_eq!(d("checkpoint_bytes"), CHECKPOINT_BYTES.to_string());
    assert_eq!(
        constant(PAGE, "PAGE_HEADER"),
        btree::PAGE_HEADER.to_string()
    );
    assert_eq!(
        constant(DOUBLEWRITE, "DW_HEADER"),
        btree::DW_HEADER.to_string()
    );
}

#[test]
fn hash_log_defaults() {
    use hash_log::defaults::*;
    let d = |n| option_default(HASH_LOG_LIB, n);
    assert_eq!(d("segment_bytes"), SEGMENT_BYTES.to_string());
    assert_eq!(d("merge_ratio"), MERGE_RATIO.to_string());
    assert_eq!(
        constant(HINT, "ENTRY_HEADER"),
        hash_log::HINT_ENTRY_HEADER.to_string()
    );
}

#[test]
fn shared_layer_constants() {
    assert_eq!(
        option_default(CORE_OPTIONS, "cache_mb"),
        models::DEFAULT_CACHE_MB.to_string()
    );
    assert_eq!(
        constant(CORE_RECORD, "RECORD_HEADER_LEN"),
        models::LOG_RECORD_HEADER.to_string()
    );
    assert_eq!(
        constant(CORE_RECORD, "FILE_HEADER_LEN"),
        models::LOG_FILE_HEADER.to_string()
    );
    // MARKER_LEN is a sum of constants: header + magic, offset, length.
    assert_eq!(
        constant(CORE_RECORD, "MARKER_LEN"),
        "RECORD_HEADER_LEN + MARKER_VALUE_LEN"
    );
    assert_eq!(constant(CORE_RECORD, "MARKER_VALUE_LEN"), "4 + 8 + 8");
    assert_eq!(models::LOG_MARKER, 13.0 + 20.0);
    assert_eq!(constant(CORE_LOG, "FLUSH_BYTES"), "256 << 10");
    assert_eq!(models::LOG_BUFFER, (256 << 10) as f64);
    assert_eq!(constant(NAIVE_ENGINE, "CHUNK"), "256 << 10");
    assert_eq!(naive_log::CHUNK, (256 << 10) as f64);
}
