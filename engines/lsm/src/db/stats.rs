//! Counters the engine keeps and the metrics it reports.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use engine_core::EngineMetrics;

use super::Shared;
use crate::options::Style;

/// Event counters, updated with relaxed atomics.
#[derive(Default)]
pub(crate) struct Stats {
    pub flushes: AtomicU64,
    pub flush_bytes: AtomicU64,
    pub compactions: AtomicU64,
    pub trivial_moves: AtomicU64,
    pub compact_read: AtomicU64,
    pub compact_written: AtomicU64,
    pub bloom_probes: AtomicU64,
    pub bloom_negatives: AtomicU64,
    pub bloom_false_positives: AtomicU64,
    pub stalls: AtomicU64,
    pub stall_nanos: AtomicU64,
}

impl Shared {
    pub(crate) fn metrics(&self) -> EngineMetrics {
        let s = &self.stats;
        let sv = self.current_sv();
        let mut m = EngineMetrics::new();
        let levels = sv.version.level_stats();
        m.set("sorted_runs", sv.version.runs.len());
        if self.opts.style == Style::Tiered {
            for (i, r) in sv.version.runs.iter().enumerate() {
                m.set(format!("run{i}_bytes"), r.bytes());
            }
        }
        for (l, (files, bytes)) in levels.iter().enumerate() {
            m.set(format!("l{l}_files"), *files);
            m.set(format!("l{l}_bytes"), *bytes);
        }
        let table_bytes: u64 = levels.iter().map(|l| l.1).sum();
        m.set("table_bytes", table_bytes);
        m.set("flushes", s.flushes.load(Relaxed));
        m.set("flush_bytes", s.flush_bytes.load(Relaxed));
        m.set("compactions", s.compactions.load(Relaxed));
        m.set("trivial_moves", s.trivial_moves.load(Relaxed));
        m.set("compaction_bytes_read", s.compact_read.load(Relaxed));
        m.set("compaction_bytes_written", s.compact_written.load(Relaxed));
        let probes = s.bloom_probes.load(Relaxed);
        let negatives = s.bloom_negatives.load(Relaxed);
        let fps = s.bloom_false_positives.load(Relaxed);
        m.set("bloom_probes", probes);
        m.set("bloom_negatives", negatives);
        m.set("bloom_false_positives", fps);
        // Of the probes for keys a table did not hold, the share the filter
        // let through.
        let absent = negatives + fps;
        m.set(
            "bloom_fp_rate",
            if absent == 0 {
                0.0
            } else {
                fps as f64 / absent as f64
            },
        );
        m.set("stalls", s.stalls.load(Relaxed));
        m.set("stall_ms", s.stall_nanos.load(Relaxed) as f64 / 1e6);
        let (hits, misses, cached) = self.cache.stats();
        m.set("cache_hits", hits);
        m.set("cache_misses", misses);
        m.set("cache_bytes", cached);
        m.set(
            "pinned_bytes",
            sv.version
                .tables()
                .map(|t| t.pinned_bytes() as u64)
                .sum::<u64>(),
        );
        m.set(
            "memtable_bytes",
            sv.mem.size() + sv.imm.iter().map(|i| i.size()).sum::<u64>(),
        );
        m.set("immutable_memtables", sv.imm.len());
        m
    }
}
