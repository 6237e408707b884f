//! put and get on real files (sync=never) next to the mem engine, in one
//! group each, so the figures read as ratios. 20 000 records of 100 bytes
//! fit the default cache: this measures the in-memory path (tree descent,
//! one buffered log append per put, checkpoints amortised).

use criterion::{criterion_group, criterion_main, Criterion};
use engine_core::{Engine, OpenFn, Options, Vfs};

const KEYS: u64 = 20_000;

fn key(i: u64) -> Vec<u8> {
    format!("user{i:012}").into_bytes()
}

fn bench(c: &mut Criterion) {
    let engines: [(&str, OpenFn); 2] =
        [("mem", mem::MemEngine::open_boxed), ("btree", btree::open)];
    let mut dbs = Vec::new();
    for (name, open) in engines {
        let tmp = tempfile::tempdir().expect("tempdir");
        let db: Box<dyn Engine> = open(&Vfs::os(), tmp.path(), &Options::new()).expect("open");
        for i in 0..KEYS {
            db.put(&key(i), &[7u8; 100]).expect("put");
        }
        dbs.push((name, db, tmp));
    }
    let value = [9u8; 100];
    let mut g = c.benchmark_group("get");
    for (name, db, _) in &dbs {
        let mut i = 0u64;
        g.bench_function(*name, |b| {
            b.iter(|| {
                i = (i + 7919) % KEYS;
                db.get(&key(i)).expect("get")
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("put");
    for (name, db, _) in &dbs {
        let mut i = 0u64;
        g.bench_function(*name, |b| {
            b.iter(|| {
                i = (i + 7919) % KEYS;
                db.put(&key(i), &value).expect("put")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
