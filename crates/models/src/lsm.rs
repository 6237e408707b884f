//! The LSM tree: Monkey's and Dostoevsky's cost model, applied to the tree
//! our engine builds.
//!
//! ## The closed forms (Monkey, SIGMOD 2017; Dostoevsky, SIGMOD 2018)
//!
//! With `N E` bytes of data, a write buffer of `M` bytes and size ratio
//! `T`, the tree has `L = ceil(log_T(N E / M x (T - 1) / T))` levels
//! ([`monkey_levels`]: the largest level holds a fraction `(T - 1) / T` of
//! the data). Leveling keeps one run per level, tiering up to `T - 1`.
//!
//! - **Zero-result lookup** ([`zero_result_lookup`]): every run's filter
//!   is asked and each false positive costs one I/O, so
//!   `R = sum over runs of p_i`: `L p` (leveling) or `L (T - 1) p`
//!   (tiering) with the same `p` for every run, as our engine has (Monkey's
//!   own contribution, different `p` per level, is not what we build).
//! - **Existing-key lookup** ([`existing_lookup`]): the key's own run costs
//!   one I/O and the runs above it cost their false positives; for a key
//!   in the last run, `V = 1 + R - p`.
//! - **Write cost** ([`closed_write_amp`]): under leveling, a level
//!   receives `T` merges from the one above before it is full, the `j`-th
//!   rewriting `j` times the incoming run, so each entry is written
//!   `(1 + 2 + ... + T) / T = (T + 1) / 2` times per level; under tiering
//!   once per level. With the WAL: `1 + L (T + 1) / 2` and `1 + L`. (The
//!   papers state these as `O(T L / B)` and `O(L / B)` I/Os per entry with
//!   `B` entries per page; the constant here is derived by the same
//!   counting, not quoted.)
//! - **Space** ([`leveled_worst_space_amp`]): under leveling the levels
//!   above the last hold `1/(T - 1)` of the last level's data, all of
//!   which may be obsolete: at worst `T / (T - 1)`.
//!
//! ## What [`predict`] does instead of plugging in `L`
//!
//! Our engine differs from the papers' idealised tree in ways that move
//! the figures by more than the gap a sweep can tolerate: level 1 targets
//! `base_mb` (default `l0_trigger x memtable`), not `T x` the buffer;
//! level 0 holds up to `l0_trigger` overlapping flushes; leveled merges go
//! one file at a time into a level that is itself at its target (so a full
//! level costs `1 + T` writes per entry, not `(T + 1)/2`; a level still
//! filling costs about `T/2` — the papers' figure is the average over a
//! level's life); tiered merges follow a space-amplification bound
//! (`max_space_amp`) that forces full merges. So the prediction replays
//! the engine's *policies* over byte counts, flush by flush, with no keys:
//!
//! 1. The memtable flushes when its charged size (key + value + 64 bytes
//!    per put, `memtable.rs`) reaches `memtable_bytes`; a flush writes one
//!    entry per distinct key (overwrites of a key already in the memtable
//!    collapse; distinct keys from the access distribution).
//! 2. A table entry costs its varint header, the key less the prefix shared
//!    with its neighbour, the value, and its share of block trailers,
//!    index entries, filter bits (`bloom_bits / 8` per key) and footer
//!    (`sstable/{mod,block}.rs`).
//! 3. Leveled (`compaction/leveled.rs`): after each flush, the highest
//!    score at or above 1 is compacted — L0 files / `l0_trigger`, or level
//!    bytes / `base x T^(i-1)` — L0 with all of L1 (hashed keys overlap
//!    everything), a level's file (`target_file_mb`) with the `F x
//!    |L(i+1)| / |L(i)|` bytes of the level below its key range covers.
//! 4. Tiered (`compaction/tiered.rs`): all runs merge when the newer ones
//!    exceed `max_space_amp`% of the oldest; otherwise the lowest tier
//!    (`floor(log_T(bytes / (memtable / 4)))`) holding `tier_runs` runs
//!    merges.
//! 5. An overwrite's entry meets its older version in the run below with
//!    probability proportional to that run's share of the data beneath, and
//!    the merge drops one of the two.
//!
//! Write amplification is then (WAL + flush + compaction bytes) / user
//! bytes, exactly the quantity `summary.csv` counts (the WAL is in
//! `storage_bytes_written`: every WAL byte is counted under `wal`,
//! `engines/lsm/src/wal.rs`). Space amplification is (tables + the live
//! WAL) / live bytes. Reads: a get walks the memtables (no I/O), then the
//! runs newest first; a run costs one data-block read when its filter says
//! "maybe" (the key's own run, and false positives `p` elsewhere; `p = 1`
//! without filters), and a block read is saved when the block cache
//! (`cache_mb`, empty after the load: flushes and compactions do not fill
//! it) holds it ([`crate::workload::cold_misses`]).
//!
//! A compaction during a phase replaces cached blocks with new ones; the
//! rewritten share of the tree is taken to warm up again over the second
//! half of the phase.
//!
//! Not modelled: manifest bytes (a few hundred bytes per edit), deletes and
//! tombstones, scans, and the files at the ends of a leveled merge's range
//! (up to one file more per merge).

use crate::workload::{self, PhaseWork};
use crate::{bloom, Error, Figures, Opts, Record, LOG_FILE_HEADER, LOG_MARKER};

/// Defaults of `engines/lsm/src/options.rs` (`OPTIONS` and `LsmOptions::parse`).
pub mod defaults {
    /// `compaction`: `leveled` or `tiered`.
    pub const COMPACTION: &str = "leveled";
    /// `bloom_bits`: filter bits per key; 0 = no filters.
    pub const BLOOM_BITS: u64 = 10;
    /// `memtable_mb`: memtable size that triggers a flush.
    pub const MEMTABLE_MB: u64 = 16;
    /// `block_bytes`: target size of a data block.
    pub const BLOCK_BYTES: u64 = 4096;
    /// `restart_interval`: keys between prefix-compression restart points.
    pub const RESTART_INTERVAL: u64 = 16;
    /// `target_file_mb`: size compaction output files are split at.
    pub const TARGET_FILE_MB: u64 = 8;
    /// `l0_trigger`: L0 files that start an L0->L1 compaction (leveled).
    pub const L0_TRIGGER: u64 = 4;
    /// `size_ratio`: of adjacent levels, or of adjacent tiers.
    pub const SIZE_RATIO: u64 = 10;
    /// `tier_runs`: runs of a tier merged together; 0 = `size_ratio`.
    pub const TIER_RUNS: u64 = 0;
    /// `max_space_amp`: percent of extra space that forces a full merge
    /// (tiered).
    pub const MAX_SPACE_AMP: u64 = 200;
    /// `base_mb`: target size of L1; 0 = `l0_trigger x memtable`.
    pub const BASE_MB: u64 = 0;
    /// `max_levels`: levels including L0 (leveled).
    pub const MAX_LEVELS: u64 = 7;
}

/// `ENTRY_OVERHEAD` of `engines/lsm/src/memtable.rs`: bytes charged per put
/// on top of key and value.
pub const MEMTABLE_ENTRY_OVERHEAD: f64 = 64.0;
/// `FOOTER_LEN` of `engines/lsm/src/sstable/mod.rs`.
pub const FOOTER: f64 = 56.0;

/// The engine's settings, as `LsmOptions::parse` reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `compaction=leveled`; false is tiered.
    pub leveled: bool,
    /// Filter bits per key, 0..=64; 0 = no filters.
    pub bloom_bits: u32,
    /// Memtable bytes that trigger a flush (`memtable_bytes`, else
    /// `memtable_mb`), at least 1.
    pub memtable_bytes: f64,
    /// Target data block size, at least 64 bytes.
    pub block_bytes: f64,
    /// Keys between restart points in a block, at least 1.
    pub restart_interval: f64,
    /// Size compaction output files are split at, at least 1 byte.
    pub target_file_bytes: f64,
    /// L0 files that start an L0->L1 compaction, at least 1.
    pub l0_trigger: usize,
    /// Size ratio of adjacent levels (or tiers), at least 2.
    pub size_ratio: f64,
    /// Runs of one tier merged together, at least 2 (`size_ratio` when 0
    /// was given).
    pub tier_runs: usize,
    /// Extra space, in percent of the oldest run, that forces a full merge
    /// (tiered), at least 1.
    pub max_space_amp_pct: f64,
    /// Target size of L1 in bytes (`l0_trigger x memtable` when 0 was given).
    pub base_bytes: f64,
    /// Levels including L0, 2..=20.
    pub max_levels: usize,
    /// Block cache bytes (`cache_mb`).
    pub cache_bytes: f64,
}

impl Config {
    pub(crate) fn from_options(o: &Opts<'_>) -> Result<Config, Error> {
        let leveled =
            o.choice("compaction", defaults::COMPACTION, &["leveled", "tiered"])? == "leveled";
        let memtable_bytes =
            o.bytes_or_mb("memtable_bytes", "memtable_mb", defaults::MEMTABLE_MB)?;
        let size_ratio = o.u64("size_ratio", defaults::SIZE_RATIO)?;
        if size_ratio < 2 {
            return Err(o.bad("size_ratio", "at least 2"));
        }
        let l0_trigger = o.u64("l0_trigger", defaults::L0_TRIGGER)?.max(1);
        let tier_runs = match o.u64("tier_runs", defaults::TIER_RUNS)? {
            0 => size_ratio,
            1 => return Err(o.bad("tier_runs", "0 (= size_ratio) or at least 2")),
            n => n,
        };
        let base_bytes = match o.u64("base_mb", defaults::BASE_MB)? {
            0 => l0_trigger * memtable_bytes,
            n => n << 20,
        };
        let max_levels = o.u64("max_levels", defaults::MAX_LEVELS)?;
        if !(2..=20).contains(&max_levels) {
            return Err(o.bad("max_levels", "2..=20"));
        }
        let bloom_bits = o.u64("bloom_bits", defaults::BLOOM_BITS)?;
        if bloom_bits > 64 {
            return Err(o.bad("bloom_bits", "0..=64"));
        }
        Ok(Config {
            leveled,
            bloom_bits: bloom_bits as u32,
            memtable_bytes: memtable_bytes.max(1) as f64,
            block_bytes: o.u64("block_bytes", defaults::BLOCK_BYTES)?.max(64) as f64,
            restart_interval: o
                .u64("restart_interval", defaults::RESTART_INTERVAL)?
                .max(1) as f64,
            target_file_bytes: o
                .bytes_or_mb(
                    "target_file_bytes",
                    "target_file_mb",
                    defaults::TARGET_FILE_MB,
                )?
                .max(1) as f64,
            l0_trigger: l0_trigger as usize,
            size_ratio: size_ratio as f64,
            tier_runs: tier_runs as usize,
            max_space_amp_pct: o.u64("max_space_amp", defaults::MAX_SPACE_AMP)?.max(1) as f64,
            base_bytes: base_bytes.max(1) as f64,
            max_levels: max_levels as usize,
            cache_bytes: o.cache_bytes()?,
        })
    }
}

// ---------------------------------------------------------------------------
// The closed forms.

/// Monkey's level count `ceil(log_T(data / buffer x (T - 1) / T))`, at
/// least 1: the smallest `L` with `T^L >= data (T - 1) / (buffer T)`.
pub fn monkey_levels(data_bytes: f64, buffer_bytes: f64, size_ratio: f64) -> u32 {
    let x = data_bytes / buffer_bytes * (size_ratio - 1.0) / size_ratio;
    let (mut levels, mut reach) = (1u32, size_ratio);
    while reach < x * (1.0 - 1e-12) {
        reach *= size_ratio;
        levels += 1;
    }
    levels
}

/// Runs per level: 1 under leveling, `T - 1` under tiering.
fn runs_per_level(size_ratio: f64, leveled: bool) -> f64 {
    if leveled {
        1.0
    } else {
        size_ratio - 1.0
    }
}

/// `R`: expected I/Os of a lookup for a key that is nowhere, with
/// false-positive rate `fpr` in every run.
pub fn zero_result_lookup(levels: u32, size_ratio: f64, fpr: f64, leveled: bool) -> f64 {
    f64::from(levels) * runs_per_level(size_ratio, leveled) * fpr
}

/// `V = 1 + R - p`: expected I/Os of a lookup for a key in the last run.
pub fn existing_lookup(levels: u32, size_ratio: f64, fpr: f64, leveled: bool) -> f64 {
    1.0 + zero_result_lookup(levels, size_ratio, fpr, leveled) - fpr
}

/// Bytes written per user byte with `levels` levels: WAL, plus `(T + 1)/2`
/// per level (leveling) or 1 per level (tiering).
pub fn closed_write_amp(levels: u32, size_ratio: f64, leveled: bool) -> f64 {
    let per_level = if leveled {
        (size_ratio + 1.0) / 2.0
    } else {
        1.0
    };
    1.0 + f64::from(levels) * per_level
}

/// `T / (T - 1)`: leveling's space amplification when everything above
/// the last level is obsolete.
pub fn leveled_worst_space_amp(size_ratio: f64) -> f64 {
    size_ratio / (size_ratio - 1.0)
}

// ---------------------------------------------------------------------------
// Table geometry.

fn varint_len(x: f64) -> f64 {
    let (mut n, mut reach) = (1.0, 128.0);
    while x >= reach {
        n += 1.0;
        reach *= 128.0;
    }
    n
}

/// Mean varint length of the tags `seq << 1` for `seq` in `lo..hi`.
fn mean_tag_len(lo: f64, hi: f64) -> f64 {
    if hi <= lo {
        return varint_len(2.0 * lo);
    }
    let mut total = 0.0;
    let mut band_lo = 0.0;
    let mut len = 1.0;
    while band_lo < hi {
        // Tags below 128^len have `len` bytes: seq below 128^len / 2.
        let band_hi = 128f64.powf(len) / 2.0;
        let a = lo.max(band_lo);
        let b = hi.min(band_hi);
        if b > a {
            total += (b - a) * len;
        }
        band_lo = band_hi;
        len += 1.0;
    }
    total / (hi - lo)
}

/// Bytes one entry costs in a table of `table_entries` entries whose
/// sequence numbers lie in `seq_lo..seq_hi`: its block encoding plus its
/// share of the block trailer, index, filter and footer.
pub fn table_entry_bytes(
    cfg: &Config,
    rec: Record,
    table_entries: f64,
    seq_lo: f64,
    seq_hi: f64,
) -> f64 {
    let r = cfg.restart_interval;
    // Neighbours in a sorted table of e hashed keys share "user" and about
    // log10(e) digits; restart points share nothing.
    let shared = (4.0 + table_entries.max(1.0).log10()).min(rec.key) * (1.0 - 1.0 / r);
    let unshared = rec.key - shared;
    let encoded = 1.0
        + varint_len(unshared)
        + varint_len(rec.value)
        + mean_tag_len(seq_lo, seq_hi)
        + unshared
        + rec.value;
    let per_block = entries_per_block(cfg, encoded);
    let trailer = 4.0 * (per_block / r).ceil() + 4.0 + 4.0; // restarts, count, CRC
    let index = varint_len(rec.key) + rec.key + 4.0 + 2.0; // key, offset, length
    let filter = f64::from(cfg.bloom_bits) / 8.0;
    encoded + (trailer + index) / per_block + filter + (FOOTER + 16.0) / table_entries.max(1.0)
}

/// A block is cut once `entries x encoded + 4 x restarts + 4 >=
/// block_bytes` (`BlockBuilder::size_estimate`).
fn entries_per_block(cfg: &Config, encoded: f64) -> f64 {
    let mut n = 1.0;
    while n * encoded + 4.0 * (n / cfg.restart_interval).ceil() + 4.0 < cfg.block_bytes {
        n += 1.0;
    }
    n
}

/// Bytes of one data block as written (for the cache and block counts).
fn block_bytes_actual(cfg: &Config, rec: Record) -> (f64, f64) {
    let encoded = rec.key + rec.value + 8.0;
    let n = entries_per_block(cfg, encoded);
    (
        n,
        n * encoded + 4.0 * (n / cfg.restart_interval).ceil() + 8.0,
    )
}

// ---------------------------------------------------------------------------
// The replay.

/// One sorted run (or level) as byte counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Run {
    bytes: f64,
    /// Bytes of entries whose older version is still in a deeper run.
    shadowing: f64,
}

impl Run {
    fn add(&mut self, o: Run) {
        self.bytes += o.bytes;
        self.shadowing += o.shadowing;
    }

    /// The fraction `f` of this run.
    fn part(&self, f: f64) -> Run {
        Run {
            bytes: self.bytes * f,
            shadowing: self.shadowing * f,
        }
    }
}

/// Merge `upper` (newer) into `lower`, of which `below` bytes are at or
/// beneath `lower`: entries of `upper` that shadow a version in `lower`
/// drop it. Returns the output run.
fn merge(upper: Run, lower: Run, below: f64) -> Run {
    let share = if below > 0.0 {
        (lower.bytes / below).min(1.0)
    } else {
        0.0
    };
    let dropped = upper.shadowing * share;
    Run {
        bytes: upper.bytes + lower.bytes - dropped,
        shadowing: upper.shadowing - dropped + lower.shadowing,
    }
}

/// The tree between flushes.
#[derive(Debug, Clone, Default)]
struct Tree {
    /// Leveled: L0 files, newest first. Tiered: every run, newest first.
    runs: Vec<Run>,
    /// Leveled: L1, L2, ... (index 0 is L1).
    levels: Vec<Run>,
    /// Compaction output bytes so far.
    written: f64,
}

impl Tree {
    fn bytes(&self) -> f64 {
        self.runs.iter().chain(&self.levels).map(|r| r.bytes).sum()
    }

    /// The runs a get searches, newest first.
    fn search_order(&self) -> Vec<Run> {
        self.runs
            .iter()
            .chain(self.levels.iter().filter(|l| l.bytes > 0.0))
            .copied()
            .collect()
    }

    fn flush(&mut self, cfg: &Config, table: Run) {
        self.runs.insert(0, table);
        if cfg.leveled {
            self.compact_leveled(cfg);
        } else {
            self.compact_tiered(cfg);
        }
    }

    fn target(cfg: &Config, level: usize) -> f64 {
        cfg.base_bytes * cfg.size_ratio.powi(level as i32 - 1)
    }

    /// `compaction/leveled.rs`'s `pick`, repeated until nothing is due.
    fn compact_leveled(&mut self, cfg: &Config) {
        let deepest = cfg.max_levels - 1;
        self.levels.resize(deepest, Run::default());
        for _ in 0..100_000 {
            let mut best = (self.runs.len() as f64 / cfg.l0_trigger as f64, 0usize);
            for level in 1..deepest {
                let score = self.levels[level - 1].bytes / Self::target(cfg, level);
                if score > best.0 {
                    best = (score, level);
                }
            }
            if best.0 < 1.0 {
                return;
            }
            let below = |levels: &[Run], from: usize| -> f64 {
                levels.iter().skip(from).map(|r| r.bytes).sum()
            };
            if best.1 == 0 {
                // L0 files overlap each other as well as L1: each file,
                // oldest first, meets everything older in the merge.
                let deeper = below(&self.levels, 1);
                let mut out = self.levels[0];
                for file in self.runs.drain(..).rev() {
                    out = merge(file, out, out.bytes + deeper);
                }
                self.written += out.bytes;
                self.levels[0] = out;
            } else {
                let i = best.1 - 1;
                let src = self.levels[i];
                let f = (cfg.target_file_bytes / src.bytes).min(1.0);
                let file = src.part(f);
                let dst = self.levels[i + 1];
                let overlap = dst.part((file.bytes / src.bytes).min(1.0));
                self.levels[i] = src.part(1.0 - f);
                if dst.bytes == 0.0 {
                    // Nothing below overlaps: a trivial move, no bytes written.
                    self.levels[i + 1] = file;
                    continue;
                }
                let out = merge(file, overlap, below(&self.levels, i + 1));
                self.written += out.bytes;
                let mut rest = dst.part(1.0 - (file.bytes / src.bytes).min(1.0));
                rest.add(out);
                self.levels[i + 1] = rest;
            }
        }
    }

    /// `compaction/tiered.rs`'s `pick`, repeated until nothing is due.
    fn compact_tiered(&mut self, cfg: &Config) {
        let unit = (cfg.memtable_bytes / 4.0).max(1.0);
        let tier = |b: f64| ((b / unit).max(1.0).ln() / cfg.size_ratio.ln()).floor() as i64;
        for _ in 0..100_000 {
            let n = self.runs.len();
            if n < 2 {
                return;
            }
            let oldest = self.runs[n - 1].bytes;
            let newer: f64 = self.runs[..n - 1].iter().map(|r| r.bytes).sum();
            let group = if newer * 100.0 > cfg.max_space_amp_pct * oldest {
                Some((0, n))
            } else {
                let mut best: Option<(i64, usize, usize)> = None;
                let mut start = 0;
                while start < n {
                    let t = tier(self.runs[start].bytes);
                    let mut end = start + 1;
                    while end < n && tier(self.runs[end].bytes) == t {
                        end += 1;
                    }
                    if end - start >= cfg.tier_runs && !matches!(best, Some((b, _, _)) if b <= t) {
                        best = Some((t, start, end));
                    }
                    start = end;
                }
                best.map(|(_, s, e)| (s, e))
            };
            let Some((s, e)) = group else { return };
            // Merge oldest first: each newer run meets all older inputs.
            let beneath = |runs: &[Run], from: usize| -> f64 {
                runs.iter().skip(from).map(|r| r.bytes).sum()
            };
            let mut out = self.runs[e - 1];
            for j in (s..e - 1).rev() {
                let below = out.bytes + beneath(&self.runs, e);
                out = merge(self.runs[j], out, below);
            }
            self.written += out.bytes;
            self.runs.splice(s..e, [out]);
        }
    }
}

/// What one phase cost.
#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    user: f64,
    wal: f64,
    flushed: f64,
    compacted: f64,
}

/// State carried from phase to phase.
struct Replay<'c> {
    cfg: &'c Config,
    rec: Record,
    tree: Tree,
    /// Puts in the active memtable (inserts, overwrites).
    mem_inserts: f64,
    mem_overwrites: f64,
    seq: f64,
    live: f64,
    /// Compaction output of the latest phase.
    compacted_in_phase: f64,
}

impl Replay<'_> {
    fn per_memtable(&self) -> f64 {
        (self.cfg.memtable_bytes / (self.rec.user() + MEMTABLE_ENTRY_OVERHEAD)).ceil()
    }

    /// Flush the active memtable: distinct entries, shadowing ones marked.
    fn flush(&mut self, weights: &[f64]) -> f64 {
        let puts = self.mem_inserts + self.mem_overwrites;
        let overwrites = workload::distinct(weights, self.mem_overwrites).min(self.mem_overwrites);
        let entries = self.mem_inserts + overwrites;
        let entry = table_entry_bytes(self.cfg, self.rec, entries, self.seq - puts, self.seq);
        let table = Run {
            bytes: entries * entry,
            shadowing: overwrites * entry,
        };
        self.tree.flush(self.cfg, table);
        self.mem_inserts = 0.0;
        self.mem_overwrites = 0.0;
        table.bytes
    }

    fn phase(&mut self, work: &PhaseWork) -> Outcome {
        let weights = if work.overwrites > 0.0 {
            workload::record_weights(work.access, self.live.max(1.0) as usize)
        } else {
            Vec::new()
        };
        let per_mem = self.per_memtable();
        let puts = work.puts();
        let insert_share = if puts > 0.0 { work.inserts / puts } else { 0.0 };
        let before = self.tree.written;
        let mut out = Outcome {
            user: puts * self.rec.user(),
            wal: puts * self.rec.logged() + LOG_MARKER, // the phase-end sync
            ..Outcome::default()
        };
        let mut left = puts;
        while left > 0.0 {
            let room = per_mem - (self.mem_inserts + self.mem_overwrites);
            let take = room.min(left);
            self.mem_inserts += take * insert_share;
            self.mem_overwrites += take * (1.0 - insert_share);
            self.seq += take;
            left -= take;
            if take >= room {
                // Rotation: the old WAL sealed, a new one with its header.
                out.wal += LOG_MARKER + LOG_FILE_HEADER;
                out.flushed += self.flush(&weights);
            }
        }
        self.live = work.end_records();
        out.compacted = self.tree.written - before;
        self.compacted_in_phase = out.compacted;
        out
    }

    /// Storage reads per get of an existing key, `lookups` of them from a
    /// cold block cache.
    fn read_ios(&self, work: &PhaseWork) -> f64 {
        let runs = self.tree.search_order();
        let total: f64 = runs.iter().map(|r| r.bytes).sum();
        if work.lookups <= 0.0 || total <= 0.0 {
            return 0.0;
        }
        let p = bloom::engine_false_positive_rate(self.cfg.bloom_bits);
        // The key is in run j with probability its share of the bytes;
        // the runs above it cost a false positive each.
        let blocks_per_get: f64 = runs
            .iter()
            .enumerate()
            .map(|(j, r)| r.bytes / total * (1.0 + p * j as f64))
            .sum();
        let in_memory = ((self.mem_inserts + self.mem_overwrites) / self.live.max(1.0)).min(1.0);
        let (per_block, block) = block_bytes_actual(self.cfg, self.rec);
        let blocks = (total / block).ceil().max(1.0);
        let records = self.live.max(1.0) as usize;
        let weights = workload::group_weights(
            &workload::record_weights(work.access, records),
            (blocks as usize).max(records.div_ceil(per_block as usize)),
        );
        let capacity = (self.cfg.cache_bytes / block).floor();
        let accesses = work.lookups * (1.0 - in_memory) * blocks_per_get;
        // A compaction during the phase replaces the blocks it rewrote with
        // new ones the cache has never seen: taken to happen mid-phase, the
        // rewritten share of the tree warms up again over the second half.
        let rewritten = (self.compacted_in_phase / total).min(1.0);
        let misses = workload::cold_misses(&weights, capacity, accesses)
            + rewritten * workload::cold_misses(&weights, capacity, accesses / 2.0);
        misses / work.lookups
    }

    fn disk_bytes(&self) -> f64 {
        let wal = LOG_FILE_HEADER + (self.mem_inserts + self.mem_overwrites) * self.rec.logged();
        self.tree.bytes() + wal
    }
}

/// Predictions for the load and run phases.
pub fn predict(cfg: &Config, rec: Record, phases: &[PhaseWork; 2]) -> [Figures; 2] {
    let mut replay = Replay {
        cfg,
        rec,
        tree: Tree::default(),
        mem_inserts: 0.0,
        mem_overwrites: 0.0,
        seq: 0.0,
        live: 0.0,
        compacted_in_phase: 0.0,
    };
    phases.each_ref().map(|work| {
        let o = replay.phase(work);
        let live_bytes = work.end_records() * rec.user();
        Figures {
            write_amp: (o.user > 0.0).then(|| (o.wal + o.flushed + o.compacted) / o.user),
            read_ios_per_op: (work.lookups > 0.0).then(|| replay.read_ios(work)),
            space_amp: (live_bytes > 0.0).then(|| replay.disk_bytes() / live_bytes),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn cfg(options: &[(&str, &str)]) -> Config {
        let map: BTreeMap<String, String> = options
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_options(&Opts(&map)).expect("valid options")
    }

    const MIB: f64 = (1u64 << 20) as f64;

    #[test]
    fn monkey_levels_by_hand() {
        // 1 GiB over a 16 MiB buffer: x = 64 (T - 1) / T.
        // T = 10: x = 57.6, 10^1 < 57.6 <= 10^2: 2 levels.
        assert_eq!(monkey_levels(1024.0 * MIB, 16.0 * MIB, 10.0), 2);
        // T = 4: x = 48, 4^2 = 16 < 48 <= 64: 3 levels.
        assert_eq!(monkey_levels(1024.0 * MIB, 16.0 * MIB, 4.0), 3);
        // T = 2: x = 32 = 2^5 exactly: 5 levels (no float rounding up).
        assert_eq!(monkey_levels(1024.0 * MIB, 16.0 * MIB, 2.0), 5);
        // Less than a buffer: one level.
        assert_eq!(monkey_levels(MIB, 16.0 * MIB, 10.0), 1);
    }

    #[test]
    fn lookup_costs_by_hand() {
        let p = bloom::engine_false_positive_rate(10); // 0.0081937
                                                       // Leveling, 2 levels: R = 2p = 0.016387, V = 1 + R - p = 1.008194.
        assert!((zero_result_lookup(2, 10.0, p, true) - 0.016387).abs() < 1e-6);
        assert!((existing_lookup(2, 10.0, p, true) - 1.008194).abs() < 1e-6);
        // Tiering, 2 levels of 9 runs: R = 18p = 0.147487, V = 1.139293.
        assert!((zero_result_lookup(2, 10.0, p, false) - 0.147487).abs() < 1e-6);
        assert!((existing_lookup(2, 10.0, p, false) - 1.139293).abs() < 1e-6);
        // No filters: every run costs an I/O.
        assert_eq!(zero_result_lookup(3, 10.0, 1.0, true), 3.0);
    }

    #[test]
    fn closed_write_and_space_by_hand() {
        // Leveling T = 10, 2 levels: 1 + 2 x 5.5 = 12. Tiering: 1 + 2 = 3.
        assert_eq!(closed_write_amp(2, 10.0, true), 12.0);
        assert_eq!(closed_write_amp(2, 10.0, false), 3.0);
        // T = 10: 10/9 = 1.1111.
        assert!((leveled_worst_space_amp(10.0) - 1.111_111).abs() < 1e-6);
    }

    #[test]
    fn tags_and_entries_by_hand() {
        // Sequence numbers 0..8192 have 2-byte tags from 64 (tag 128) on:
        // (64 x 1 + 8128 x 2) / 8192 = 1.9921875.
        assert!((mean_tag_len(0.0, 8192.0) - 1.992_187_5).abs() < 1e-12);
        assert_eq!(mean_tag_len(10_000.0, 20_000.0), 3.0);
        // 1 000-byte values at 4 KiB blocks: 1 021-byte entries, 4 of them
        // make 4 084 + 4 + 4 = 4 092 < 4 096, so a block takes 5.
        let c = cfg(&[]);
        assert_eq!(entries_per_block(&c, 1021.0), 5.0);
        assert_eq!(entries_per_block(&c, 1030.0), 4.0);
    }

    #[test]
    fn defaults_restate_the_engine() {
        let c = cfg(&[]);
        assert!(c.leveled);
        assert_eq!((c.bloom_bits, c.l0_trigger, c.tier_runs), (10, 4, 10));
        assert_eq!(c.memtable_bytes, 16.0 * MIB);
        assert_eq!(c.base_bytes, 64.0 * MIB);
        assert_eq!(c.cache_bytes, 64.0 * MIB);
        let c = cfg(&[("memtable_mb", "2"), ("memtable_bytes", "4096")]);
        assert_eq!(c.memtable_bytes, 4096.0);
        let map: BTreeMap<String, String> = [("tier_runs".to_string(), "1".to_string())].into();
        let e = Config::from_options(&Opts(&map)).expect_err("tier_runs=1");
        assert!(e.to_string().contains("tier_runs"), "{e}");
    }

    fn rec() -> Record {
        Record {
            key: 23.0,
            value: 1000.0,
        }
    }

    /// The baseline's load (50 000 records of 23 + 1 000 bytes): three
    /// flushes of 16 MiB memtables, no compaction under leveling (three L0
    /// files are below `l0_trigger`). Write amp is the WAL (1036/1023 =
    /// 1.0127) plus about 3 x 15 407 entries of ~1 025 bytes over 51.15 MB:
    /// 0.93 more; a measured 1.9506 in `results/baseline`.
    #[test]
    fn leveled_load_is_wal_plus_flushes() {
        let phases = [
            workload::load(50_000),
            workload::run(&workload::preset("ycsb-c").expect("preset"), 50_000, 50_000),
        ];
        let [load, run] = predict(&cfg(&[]), rec(), &phases);
        let wa = load.write_amp.expect("load writes");
        assert!((wa - 1.95).abs() < 0.02, "{wa}");
        let space = load.space_amp.expect("data");
        assert!((space - 1.0126).abs() < 0.01, "{space}");
        assert_eq!(run.write_amp, None);
        // Three L0 files, all of them (48 MB) fit the 64 MiB cache: only
        // first touches miss; the baseline measured 0.215.
        let reads = run.read_ios_per_op.expect("reads");
        assert!((0.1..0.3).contains(&reads), "{reads}");
    }

    /// Tiered: the third flush's run is a little larger than the first
    /// (its tags are 3 bytes, the first's mostly 2), so the two newer runs
    /// exceed 200% of the oldest and everything merges: one more copy of
    /// the 48 MB, a measured 2.8881.
    #[test]
    fn tiered_load_hits_the_space_bound() {
        let phases = [workload::load(50_000), workload::load(0)];
        let [load, _] = predict(&cfg(&[("compaction", "tiered")]), rec(), &phases);
        let wa = load.write_amp.expect("load writes");
        assert!((wa - 2.89).abs() < 0.03, "{wa}");
    }

    /// Monkey's point, on the tree our engine builds: filters save the
    /// most where a get passes the most runs (tiered, many L0 files), and
    /// with filters a get costs about one block read whatever the runs.
    #[test]
    fn filters_matter_most_with_many_runs() {
        let reads = |options: &[(&str, &str)]| {
            let mix = workload::preset("read-random").expect("preset");
            let phases = [
                workload::load(150_000),
                workload::run(&mix, 150_000, 20_000),
            ];
            predict(&cfg(options), rec(), &phases)[1]
                .read_ios_per_op
                .expect("reads")
        };
        let small_cache = ("cache_mb", "1");
        // Without the space bound's full merges, tiers keep their runs
        // (with it, 150 000 records end up in one or two runs).
        let tiers = ("max_space_amp", "100000");
        let tiered = reads(&[("compaction", "tiered"), tiers, small_cache]);
        let tiered_off = reads(&[
            ("compaction", "tiered"),
            tiers,
            ("bloom_bits", "0"),
            small_cache,
        ]);
        let leveled = reads(&[small_cache]);
        let leveled_off = reads(&[("bloom_bits", "0"), small_cache]);
        // Predicted at the time of writing: tiered 0.95 and 4.60, leveled
        // 0.93 and 2.17 block reads per get.
        assert!(tiered_off > tiered * 3.0, "{tiered_off} vs {tiered}");
        assert!(leveled_off > leveled * 1.5, "{leveled_off} vs {leveled}");
        assert!(tiered_off - tiered > leveled_off - leveled);
        assert!((0.9..1.0).contains(&tiered) && (0.9..1.0).contains(&leveled));
    }

    /// A long leveled fill: write amp grows with the levels the data
    /// reaches, and a larger size ratio costs more per level.
    #[test]
    fn leveled_fill_grows_with_levels_and_ratio() {
        let wa = |records: u64, ratio: &str| {
            let phases = [workload::load(records), workload::load(0)];
            predict(&cfg(&[("size_ratio", ratio)]), rec(), &phases)[0]
                .write_amp
                .expect("writes")
        };
        let (small, big) = (wa(100_000, "10"), wa(1_000_000, "10"));
        assert!(big > small + 2.0, "{small} {big}");
        assert!(wa(1_000_000, "4") < big);
    }
}
