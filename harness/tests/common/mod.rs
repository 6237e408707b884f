//! A small, fully deterministic workload for the harness's own tests, so
//! they do not depend on the generators of the `workloads` crate: keys
//! `key00000123`, load inserts them in order (split over threads), the run
//! phase mixes reads, updates, inserts, scans, read-modify-writes and
//! deletes, choosing keys with a fixed LCG.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use harness::driver::{Op, OpStream};
use harness::measure::OpType;
use harness::workload::Workload;

pub struct Toy {
    pub name: String,
    pub records: u64,
    pub operations: u64,
    pub value_len: usize,
    pub seed: u64,
    pub mix: Mix,
}

/// What the run phase does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// Every operation type (the default).
    All,
    /// Reads of loaded keys only.
    Reads,
    /// Reads of keys never inserted only.
    Misses,
    /// Updates of loaded keys only.
    Updates,
}

impl Toy {
    pub fn new(records: u64, operations: u64) -> Toy {
        Toy {
            name: "toy".into(),
            records,
            operations,
            value_len: 100,
            seed: 7,
            mix: Mix::All,
        }
    }
}

pub struct ToyStream {
    next: u64,
    end: u64,
    load: bool,
    rng: u64,
    inserted: Arc<AtomicU64>,
    value_len: usize,
    mix: Mix,
}

fn key_of(n: u64, key: &mut Vec<u8>) {
    use std::io::Write;
    key.clear();
    // Writing into a Vec cannot fail.
    let _ = write!(key, "key{n:08}");
}

impl OpStream for ToyStream {
    fn next_op(&mut self, key: &mut Vec<u8>) -> Op {
        if self.load {
            let n = self.next.min(self.end);
            self.next += 1;
            key_of(n, key);
            return Op {
                kind: OpType::Insert,
                value_len: self.value_len,
                scan_len: 0,
                read_first: false,
            };
        }
        self.rng = self
            .rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = self.rng >> 33;
        let count = self.inserted.load(Ordering::Relaxed).max(1);
        let kind = match (self.mix, r % 20) {
            (Mix::Reads | Mix::Misses, _) => OpType::Read,
            (Mix::Updates, _) => OpType::Update,
            (Mix::All, 0..=7) => OpType::Read,
            (Mix::All, 8..=13) => OpType::Update,
            (Mix::All, 14) => OpType::Insert,
            (Mix::All, 15 | 16) => OpType::Scan,
            (Mix::All, 17 | 18) => OpType::Rmw,
            (Mix::All, _) => OpType::Delete,
        };
        let n = if kind == OpType::Insert {
            self.inserted.fetch_add(1, Ordering::Relaxed)
        } else {
            (r >> 8) % count
        };
        key_of(n, key);
        if self.mix == Mix::Misses {
            // Between two loaded keys, so misses scatter over the key space.
            key.push(b'!');
        }
        Op {
            kind,
            value_len: self.value_len,
            scan_len: 1 + (r as usize >> 4) % 10,
            read_first: false,
        }
    }
}

impl Workload for Toy {
    type Stream = ToyStream;

    fn name(&self) -> &str {
        &self.name
    }

    fn records(&self) -> u64 {
        self.records
    }

    fn operations(&self) -> u64 {
        self.operations
    }

    fn properties(&self) -> BTreeMap<String, String> {
        [
            ("recordcount".to_string(), self.records.to_string()),
            ("operationcount".to_string(), self.operations.to_string()),
        ]
        .into_iter()
        .collect()
    }

    fn load_streams(&self, threads: usize) -> Vec<(ToyStream, u64)> {
        let inserted = Arc::new(AtomicU64::new(self.records));
        let per = harness::driver::split(self.records, threads);
        let mut start = 0;
        per.into_iter()
            .map(|n| {
                let s = ToyStream {
                    next: start,
                    end: start + n,
                    load: true,
                    rng: 0,
                    inserted: inserted.clone(),
                    value_len: self.value_len,
                    mix: self.mix,
                };
                start += n;
                (s, n)
            })
            .collect()
    }

    fn run_streams(&self, threads: usize) -> Vec<ToyStream> {
        let inserted = Arc::new(AtomicU64::new(self.records));
        (0..threads as u64)
            .map(|t| ToyStream {
                next: 0,
                end: 0,
                load: false,
                rng: self.seed ^ (t + 1).wrapping_mul(0x9E3779B97F4A7C15),
                inserted: inserted.clone(),
                value_len: self.value_len,
                mix: self.mix,
            })
            .collect()
    }
}

/// A registry entry for an engine defined by a test.
pub fn custom(name: &'static str, open: engine_core::OpenFn) -> harness::registry::EngineSpec {
    harness::registry::EngineSpec {
        spec: name.into(),
        info: harness::registry::EngineInfo {
            name,
            about: "test engine",
            preset: "",
            open,
            options: &[],
            default: false,
            persistent: false,
            verify: None,
            io_source: harness::kernel_io::IoSource::Vfs,
            model: name,
        },
        options: engine_core::Options::new(),
    }
}

/// An engine call, as a test engine's hooks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Get,
    Put,
    Delete,
    Scan,
    Sync,
}

/// Behaviour a test injects into an in-memory engine: run before each
/// call (an error is returned instead of the call), and its quiesce.
pub trait Hooks: Send + Sync + 'static {
    fn before(&self, _call: Call) -> engine_core::Result<()> {
        Ok(())
    }
    fn quiesce(&self) -> engine_core::Result<()> {
        Ok(())
    }
}

/// `mem` with [`Hooks`] around every call.
pub struct Hooked<H: Hooks> {
    inner: Box<dyn engine_core::Engine>,
    hooks: H,
}

/// Open `mem` in `dir` wrapped in `hooks`.
pub fn open_hooked<H: Hooks>(
    vfs: &engine_core::Vfs,
    dir: &std::path::Path,
    o: &engine_core::Options,
    hooks: H,
) -> engine_core::Result<Box<dyn engine_core::Engine>> {
    let inner = mem::MemEngine::open_boxed(vfs, dir, o)?;
    Ok(Box::new(Hooked { inner, hooks }))
}

impl<H: Hooks> engine_core::Engine for Hooked<H> {
    fn get(&self, key: &[u8]) -> engine_core::Result<Option<Vec<u8>>> {
        self.hooks.before(Call::Get)?;
        self.inner.get(key)
    }
    fn put(&self, key: &[u8], value: &[u8]) -> engine_core::Result<()> {
        self.hooks.before(Call::Put)?;
        self.inner.put(key, value)
    }
    fn delete(&self, key: &[u8]) -> engine_core::Result<()> {
        self.hooks.before(Call::Delete)?;
        self.inner.delete(key)
    }
    fn scan(&self, start: &[u8], limit: usize) -> engine_core::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.hooks.before(Call::Scan)?;
        self.inner.scan(start, limit)
    }
    fn sync(&self) -> engine_core::Result<()> {
        self.hooks.before(Call::Sync)?;
        self.inner.sync()
    }
    fn metrics(&self) -> engine_core::EngineMetrics {
        engine_core::EngineMetrics::new()
    }
    fn quiesce(&self) -> engine_core::Result<()> {
        self.hooks.quiesce()
    }
}
