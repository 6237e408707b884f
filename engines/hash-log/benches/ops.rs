//! put and get on real files (sync=never) next to the mem engine, so the
//! figures read as ratios. Gets are one read each whatever the data size,
//! so the data set is 200 000 records of 100 bytes (the naive log's bench
//! must stay at 2 000).

use criterion::{criterion_group, criterion_main, Criterion};
use engine_core::{Engine, OpenFn, Options, Vfs};

const KEYS: u64 = 200_000;

fn key(i: u64) -> Vec<u8> {
    format!("user{i:012}").into_bytes()
}

fn bench(c: &mut Criterion) {
    let engines: [(&str, OpenFn); 2] = [
        ("mem", mem::MemEngine::open_boxed),
        ("hash-log", hash_log::open),
    ];
    for (name, open) in engines {
        let tmp = tempfile::tempdir().expect("tempdir");
        let db: Box<dyn Engine> = open(&Vfs::os(), tmp.path(), &Options::new()).expect("open");
        let value = [7u8; 100];
        for i in 0..KEYS {
            db.put(&key(i), &value).expect("put");
        }
        let mut i = 0u64;
        c.bench_function(&format!("get/{name}"), |b| {
            b.iter(|| {
                i = (i + 7919) % KEYS;
                db.get(&key(i)).expect("get")
            })
        });
        c.bench_function(&format!("put/{name}"), |b| {
            b.iter(|| {
                i = (i + 7919) % KEYS;
                db.put(&key(i), &value).expect("put")
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
