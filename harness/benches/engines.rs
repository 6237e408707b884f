//! get and put of every built-in engine on real files (`sync=never`), one
//! criterion group per operation so the figures read as ratios to `mem`.
//!
//! The engines come from the registry, so a new engine is benched without a
//! line here. Keys and values are made before the measurement: the timed
//! closure is the engine call and an index step, nothing else. Each engine
//! is loaded with its own record count (the naive log scans its whole log
//! per get, so it gets fewer records), which is part of the benchmark's id.
//!
//! `cargo bench -p harness --bench engines`; `-- get/btree` for one.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use engine_core::{Engine, Options, Vfs};
use harness::registry::{default_specs, EngineSpec};

/// Records per engine: everything fits the default caches, so this is the
/// in-memory path (the harness measures the device-bound one).
fn records(engine: &str) -> usize {
    match engine {
        "naive-log" => 2_000,
        _ => 20_000,
    }
}

/// Visits every key once per pass in a scattered order (a step coprime to
/// the key count).
struct Cursor {
    at: usize,
    step: usize,
    n: usize,
}

impl Cursor {
    fn new(n: usize) -> Cursor {
        let step = (7_919..).find(|s| gcd(*s, n) == 1).unwrap_or(1);
        Cursor { at: 0, step, n }
    }

    fn next(&mut self) -> usize {
        self.at = (self.at + self.step) % self.n;
        self.at
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

struct Loaded {
    spec: String,
    db: Box<dyn Engine>,
    keys: Vec<Vec<u8>>,
    _dir: tempfile::TempDir,
}

fn load(spec: &str) -> Loaded {
    let parsed = EngineSpec::parse(spec).expect("a registered spec");
    let dir = tempfile::tempdir().expect("tempdir");
    let options = parsed.effective_options(&Options::parse("sync=never").expect("valid"), false);
    let db = parsed.open(&Vfs::os(), dir.path(), &options).expect("open");
    let keys: Vec<Vec<u8>> = (0..records(parsed.info.name))
        .map(|i| format!("user{i:012}").into_bytes())
        .collect();
    for k in &keys {
        db.put(k, &[7u8; 100]).expect("put");
    }
    db.quiesce().expect("quiesce");
    Loaded {
        spec: spec.to_string(),
        db,
        keys,
        _dir: dir,
    }
}

fn bench(c: &mut Criterion) {
    let engines: Vec<Loaded> = default_specs().iter().map(|s| load(s)).collect();
    let value = [9u8; 100];
    let mut g = c.benchmark_group("get");
    for e in &engines {
        let mut cursor = Cursor::new(e.keys.len());
        let id = BenchmarkId::new(&e.spec, e.keys.len());
        g.bench_function(id, |b| {
            b.iter(|| e.db.get(&e.keys[cursor.next()]).expect("get"))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("put");
    for e in &engines {
        let mut cursor = Cursor::new(e.keys.len());
        let id = BenchmarkId::new(&e.spec, e.keys.len());
        g.bench_function(id, |b| {
            b.iter(|| e.db.put(&e.keys[cursor.next()], &value).expect("put"))
        });
    }
    g.finish();
}

// `criterion_group!` defines a `pub fn benches` that cannot carry a doc
// comment, hence the allow.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, bench);
}
use group::benches;

criterion_main!(benches);
