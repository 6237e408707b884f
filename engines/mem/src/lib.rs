//! # mem: a sorted in-memory map behind the engine trait
//!
//! No I/O, no durability, no recovery: a `BTreeMap` under a reader-writer
//! lock. It exists as the yardstick. Whatever the harness measures on `mem`
//! is the cost of the harness itself (workload generation, latency
//! histograms, accounting) plus the cheapest possible ordered map, so the
//! share of an operation's time that belongs to the harness can be read off
//! it, and every other engine's throughput can be stated as a ratio to it.
//!
//! `sync` succeeds trivially and a "reopen" starts empty: there is nothing on
//! disk. The crash kit therefore does not apply; the model-checked
//! conformance suite does.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::Path;

use engine_core::{Engine, EngineMetrics, OptionSpec, Options, Result, Vfs, COMMON_OPTIONS};
use parking_lot::RwLock;

/// `mem` takes no options of its own; it accepts the common ones (and
/// ignores them) so the harness can pass the same `sync`/`cache_mb` to all.
pub const OPTIONS: &[OptionSpec] = &[];

/// The in-memory engine.
#[derive(Default)]
pub struct MemEngine {
    map: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl MemEngine {
    /// Open an empty map; `vfs` and `dir` are unused.
    pub fn open(_vfs: &Vfs, _dir: &Path, options: &Options) -> Result<Self> {
        options.check("mem", &[COMMON_OPTIONS, OPTIONS])?;
        options.durability()?;
        Ok(Self::default())
    }

    /// [`MemEngine::open`] boxed, for registries.
    pub fn open_boxed(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>> {
        Ok(Box::new(Self::open(vfs, dir, options)?))
    }
}

impl Engine for MemEngine {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.read().get(key).cloned())
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        let mut map = self.map.write();
        match map.get_mut(key) {
            // Reuse the existing allocation on overwrite: updates dominate
            // YCSB A and F, and an allocation per update would be measured as
            // the harness's cost.
            Some(v) => {
                v.clear();
                v.extend_from_slice(value);
            }
            None => {
                map.insert(key.to_vec(), value.to_vec());
            }
        }
        Ok(())
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        self.map.write().remove(key);
        Ok(())
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let map = self.map.read();
        Ok(map
            .range::<[u8], _>((Bound::Included(start), Bound::Unbounded))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn metrics(&self) -> EngineMetrics {
        let map = self.map.read();
        let bytes: usize = map.iter().map(|(k, v)| k.len() + v.len()).sum();
        EngineMetrics::new()
            .with("keys", map.len())
            .with("live_bytes", bytes)
    }
}
