//! The LSM's settings, parsed from the harness's `key=value` strings.
//!
//! Every knob the comparison sweeps lives here with its default and the
//! reason for it. Sizes come in MiB for people (`memtable_mb`) and in bytes
//! for tests that need crash points inside flushes and compactions
//! (`memtable_bytes`); a byte option, when given, wins over its MiB twin.

use engine_core::{Durability, Error, OptionSpec, Options, Result, COMMON_OPTIONS};

/// Options the LSM understands in addition to [`COMMON_OPTIONS`].
pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "compaction",
        default: "leveled",
        help: "`leveled` or `tiered` (size-tiered / universal)",
    },
    OptionSpec {
        name: "bloom_bits",
        default: "10",
        help: "bloom filter bits per key; 0 = no filters",
    },
    OptionSpec {
        name: "memtable_mb",
        default: "16",
        help: "memtable size that triggers a flush, MiB",
    },
    OptionSpec {
        name: "memtable_bytes",
        default: "",
        help: "memtable size in bytes (overrides memtable_mb)",
    },
    OptionSpec {
        name: "max_imm",
        default: "2",
        help: "immutable memtables waiting for flush before writes stall",
    },
    OptionSpec {
        name: "block_bytes",
        default: "4096",
        help: "target size of an SSTable data block",
    },
    OptionSpec {
        name: "restart_interval",
        default: "16",
        help: "keys between prefix-compression restart points in a block",
    },
    OptionSpec {
        name: "target_file_mb",
        default: "8",
        help: "compaction output is split into files of about this size, MiB",
    },
    OptionSpec {
        name: "target_file_bytes",
        default: "",
        help: "target file size in bytes (overrides target_file_mb)",
    },
    OptionSpec {
        name: "l0_trigger",
        default: "4",
        help: "leveled: L0 file count that starts an L0->L1 compaction",
    },
    OptionSpec {
        name: "l0_stop",
        default: "0",
        help:
            "L0 files (leveled) or sorted runs (tiered) at which writes stall; 0 = 3 x the trigger",
    },
    OptionSpec {
        name: "size_ratio",
        default: "10",
        help: "leveled: size ratio of adjacent levels; tiered: size ratio of adjacent tiers",
    },
    OptionSpec {
        name: "tier_runs",
        default: "0",
        help: "tiered: runs of one tier that are merged together; 0 = size_ratio",
    },
    OptionSpec {
        name: "max_space_amp",
        default: "200",
        help: "tiered: percent of extra space (newer runs / oldest run) that forces a full merge",
    },
    OptionSpec {
        name: "base_mb",
        default: "0",
        help: "leveled: target size of L1, MiB; 0 = l0_trigger x memtable size",
    },
    OptionSpec {
        name: "max_levels",
        default: "7",
        help: "leveled: number of levels including L0",
    },
    OptionSpec {
        name: "background",
        default: "true",
        help: "flush and compact on background threads; false = inline at deterministic points",
    },
];

/// Which compaction policy shapes the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Flushes land in L0; levels 1.. are one sorted run each, each
    /// `size_ratio` times the one above.
    Leveled,
    /// Everything is a run in level 0; runs of similar size are merged
    /// `tier_runs` at a time (size-tiered / universal).
    Tiered,
}

/// The largest `max_levels` any configuration accepts: no table of any
/// database this engine wrote sits on level `MAX_LEVELS_LIMIT` or deeper,
/// so a manifest edit naming such a level is corruption.
pub const MAX_LEVELS_LIMIT: u64 = 20;

/// Parsed, validated settings.
#[derive(Debug, Clone)]
pub struct LsmOptions {
    /// `compaction`: the policy that shapes the tree.
    pub style: Style,
    /// `bloom_bits`: filter bits per key, 0..=64; 0 = no filters.
    pub bloom_bits: u32,
    /// Memtable bytes that trigger a flush (`memtable_bytes`, 256..=2^40,
    /// else `memtable_mb` MiB, 1..=2^20).
    pub memtable_bytes: u64,
    /// `max_imm`: immutable memtables waiting for flush before writes
    /// stall, 1..=64.
    pub max_imm: usize,
    /// `block_bytes`: target data block size, 64..=16 MiB.
    pub block_bytes: usize,
    /// `restart_interval`: keys between restart points, 1..=1024.
    pub restart_interval: usize,
    /// Compaction output file size (`target_file_bytes`, else
    /// `target_file_mb` MiB), in the same ranges as the memtable's.
    pub target_file_bytes: u64,
    /// `l0_trigger`: L0 files that start an L0->L1 compaction (leveled),
    /// 1..=1000.
    pub l0_trigger: usize,
    /// `l0_stop`: L0 files (leveled) or runs (tiered) at which writes
    /// stall; always above the compaction trigger (3 x it when 0 was given).
    pub l0_stop: usize,
    /// `size_ratio`: of adjacent levels or tiers, 2..=1000.
    pub size_ratio: u64,
    /// `tier_runs`: runs merged together (tiered), at least 2
    /// (`size_ratio` when 0 was given).
    pub tier_runs: usize,
    /// `max_space_amp`: percent of extra space (newer runs over the oldest
    /// run) that forces a full merge (tiered), at least 1.
    pub max_space_amp_pct: u64,
    /// Target size of L1 in bytes (`base_mb`; `l0_trigger x memtable_bytes`
    /// when 0 was given).
    pub base_bytes: u64,
    /// `max_levels`: levels including L0, 2..=[`MAX_LEVELS_LIMIT`].
    pub max_levels: usize,
    /// `background`: flush and compact on background threads; false runs
    /// them inline at deterministic points.
    pub background: bool,
    /// `sync`: when WAL writes are made durable.
    pub durability: Durability,
    /// `cache_mb` in bytes: the block cache's capacity.
    pub cache_bytes: u64,
}

const MIB: u64 = 1 << 20;

fn bytes_or_mb(o: &Options, bytes_key: &str, mb_key: &str, mb_default: u64) -> Result<u64> {
    if o.get(bytes_key).is_some() {
        o.u64_in(bytes_key, 0, 256, 1 << 40)
    } else {
        Ok(o.u64_in(mb_key, mb_default, 1, 1 << 20)? * MIB)
    }
}

impl LsmOptions {
    /// Check `o` against the option tables and parse it.
    pub fn parse(o: &Options) -> Result<Self> {
        o.check("lsm", &[COMMON_OPTIONS, OPTIONS])?;
        let style = match o.choice("compaction", "leveled", &["leveled", "tiered"])? {
            "tiered" => Style::Tiered,
            _ => Style::Leveled,
        };
        let memtable_bytes = bytes_or_mb(o, "memtable_bytes", "memtable_mb", 16)?;
        let l0_trigger = o.u64_in("l0_trigger", 4, 1, 1000)? as usize;
        let size_ratio = o.u64_in("size_ratio", 10, 2, 1000)?;
        let tier_runs = match o.u64_in("tier_runs", 0, 0, 1000)? {
            0 => size_ratio as usize,
            1 => {
                return Err(Error::BadOption {
                    key: "tier_runs".into(),
                    value: "1".into(),
                    expected: "0 (= size_ratio) or at least 2: merging one run does nothing".into(),
                })
            }
            n => n as usize,
        };
        let trigger = match style {
            Style::Leveled => l0_trigger,
            Style::Tiered => tier_runs,
        };
        let l0_stop = match o.u64_in("l0_stop", 0, 0, 100_000)? as usize {
            0 => 3 * trigger,
            n if n <= trigger => {
                return Err(Error::BadOption {
                    key: "l0_stop".into(),
                    value: n.to_string(),
                    expected: format!("0 or more than the compaction trigger ({trigger})"),
                })
            }
            n => n,
        };
        let base_bytes = match o.u64_in("base_mb", 0, 0, 1 << 20)? {
            0 => l0_trigger as u64 * memtable_bytes,
            n => n * MIB,
        };
        Ok(LsmOptions {
            style,
            bloom_bits: o.u64_in("bloom_bits", 10, 0, 64)? as u32,
            memtable_bytes,
            max_imm: o.u64_in("max_imm", 2, 1, 64)? as usize,
            block_bytes: o.u64_in("block_bytes", 4096, 64, 1 << 24)? as usize,
            restart_interval: o.u64_in("restart_interval", 16, 1, 1024)? as usize,
            target_file_bytes: bytes_or_mb(o, "target_file_bytes", "target_file_mb", 8)?,
            l0_trigger,
            l0_stop,
            size_ratio,
            tier_runs,
            max_space_amp_pct: o.u64_in("max_space_amp", 200, 1, 1_000_000)?,
            base_bytes,
            max_levels: o.u64_in("max_levels", 7, 2, MAX_LEVELS_LIMIT)? as usize,
            background: o.bool("background", true)?,
            durability: o.durability()?,
            cache_bytes: o.cache_bytes()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_byte_overrides() {
        let o = LsmOptions::parse(&Options::new()).unwrap();
        assert_eq!(o.style, Style::Leveled);
        assert_eq!(o.memtable_bytes, 16 * MIB);
        assert_eq!(o.base_bytes, 4 * 16 * MIB);
        assert_eq!(o.l0_stop, 12);
        let o = LsmOptions::parse(
            &Options::parse("memtable_mb=2,memtable_bytes=4096,compaction=tiered").unwrap(),
        )
        .unwrap();
        assert_eq!(o.memtable_bytes, 4096);
        assert_eq!((o.style, o.tier_runs, o.l0_stop), (Style::Tiered, 10, 30));
    }

    #[test]
    fn bad_options_name_themselves() {
        for (s, key) in [
            ("compaction=fifo", "compaction"),
            ("bloom_bits=65", "bloom_bits"),
            ("tier_runs=1", "tier_runs"),
            ("l0_stop=2", "l0_stop"),
            ("blom_bits=3", "blom_bits"),
        ] {
            let msg = LsmOptions::parse(&Options::parse(s).unwrap())
                .unwrap_err()
                .to_string();
            assert!(msg.contains(key), "{s}: {msg}");
        }
    }
}
