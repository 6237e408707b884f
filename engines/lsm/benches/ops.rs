//! put and get of 100-byte values on real files (sync=never), with and
//! without bloom filters.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use engine_core::{Options, Vfs};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const KEYS: u64 = 200_000;

fn key(i: u64) -> Vec<u8> {
    format!("user{i:012}").into_bytes()
}

fn bench(c: &mut Criterion) {
    for (name, opts) in [("bloom", "bloom_bits=10"), ("nobloom", "bloom_bits=0")] {
        let tmp = tempfile::tempdir().unwrap();
        let opts = Options::parse(&format!("{opts},memtable_mb=4,target_file_mb=4")).unwrap();
        let db = lsm::open(&Vfs::os(), tmp.path(), &opts).unwrap();
        let value = [7u8; 100];
        for i in 0..KEYS {
            db.put(&key(i), &value).unwrap();
        }
        db.quiesce().unwrap();
        let mut rng = SmallRng::seed_from_u64(1);
        c.bench_function(&format!("put/{name}"), |b| {
            b.iter_batched(
                || key(rng.gen_range(0..KEYS)),
                |k| db.put(&k, &value).unwrap(),
                BatchSize::SmallInput,
            )
        });
        db.quiesce().unwrap();
        c.bench_function(&format!("get_hit/{name}"), |b| {
            b.iter_batched(
                || key(rng.gen_range(0..KEYS)),
                |k| db.get(&k).unwrap(),
                BatchSize::SmallInput,
            )
        });
        c.bench_function(&format!("get_miss/{name}"), |b| {
            b.iter_batched(
                || {
                    let mut k = key(rng.gen_range(0..KEYS));
                    k.push(b'x');
                    k
                },
                |k| db.get(&k).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
