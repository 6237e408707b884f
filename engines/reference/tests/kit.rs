//! The conformance part of the kit that runs on real files, for each
//! reference engine, plus the checks the kit runs only on the simulated
//! filesystem, redone here on a temporary directory: several threads,
//! reopen cycles and the contract errors (an unwritable directory is not
//! checked: the tests may run as root, who can write anywhere). The simulated crash, torn-write
//! and fault checks cannot apply: these engines bypass our Vfs.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use engine_core::{Engine, Error, OpenFn, Options, Vfs};
use engine_kit::{self as kit, KitConfig};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn configs() -> Vec<KitConfig> {
    #[allow(unused_mut)] // pushed to only with the `rocksdb` feature
    let mut v = vec![
        KitConfig {
            name: "fjall",
            open: reference::fjall_engine::open,
            persistent: true,
            // A small memtable so the model workload reaches flushes.
            options: "memtable_mb=1,cache_mb=1",
            option_table: reference::fjall_engine::OPTIONS,
            option_values: &[],
            background: "",
            known_failures: &[],
        },
        KitConfig {
            name: "redb",
            open: reference::redb_engine::open,
            persistent: true,
            options: "cache_mb=1",
            option_table: reference::redb_engine::OPTIONS,
            option_values: &[],
            background: "",
            known_failures: &[],
        },
    ];
    #[cfg(feature = "rocksdb")]
    v.push(KitConfig {
        name: "rocksdb",
        open: reference::rocksdb_engine::open,
        persistent: true,
        options: "memtable_mb=1,cache_mb=1",
        option_table: reference::rocksdb_engine::OPTIONS,
        option_values: &[],
        background: "",
        known_failures: &[],
    });
    v
}

fn opts(s: &str) -> Options {
    Options::parse(s).expect("valid options")
}

#[test]
fn kit_model_os() {
    for cfg in configs() {
        let report = kit::run(kit::check_model_os, &cfg);
        assert!(report.ran, "{}: model_os did not run", cfg.name);
    }
}

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Random puts, overwrites and deletes over a small key space, mirrored in
/// `model`.
fn write_some(db: &dyn Engine, model: &mut Model, rng: &mut SmallRng, n: usize, tag: u8) {
    for _ in 0..n {
        let key = format!("k{:04}", rng.gen_range(0..300)).into_bytes();
        if rng.gen_bool(0.2) {
            db.delete(&key).expect("delete");
            model.remove(&key);
        } else {
            let len = rng.gen_range(0..200);
            let value: Vec<u8> = (0..len).map(|i| tag ^ (i as u8)).collect();
            db.put(&key, &value).expect("put");
            model.insert(key, value);
        }
    }
}

/// The whole state, by a full scan and by a point read of every model key
/// and of keys that must be absent.
fn assert_state(db: &dyn Engine, model: &Model, context: &str) {
    let all = db.scan(b"", usize::MAX).expect("scan");
    let want: Vec<_> = model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(all, want, "{context}: full scan differs");
    for (k, v) in model {
        assert_eq!(db.get(k).expect("get").as_ref(), Some(v), "{context}");
    }
    for i in 0..300 {
        let k = format!("k{i:04}").into_bytes();
        if !model.contains_key(&k) {
            assert_eq!(db.get(&k).expect("get"), None, "{context}: {i} present");
        }
    }
}

/// Several reopen cycles with every durability mode; each reopen sees
/// exactly the synced state, and an idle reopen changes nothing.
#[test]
fn reopen_cycles_keep_exact_state() {
    for cfg in configs() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("db");
        let mut model = Model::new();
        let mut rng = SmallRng::seed_from_u64(7);
        for (cycle, sync) in ["never", "always", "bytes:2000", "never"]
            .iter()
            .enumerate()
        {
            let o = opts(&format!("{},sync={sync}", cfg.options));
            let db = (cfg.open)(&Vfs::os(), &dir, &o).expect("open");
            assert_state(&*db, &model, &format!("{} cycle {cycle}", cfg.name));
            write_some(&*db, &mut model, &mut rng, 400, cycle as u8);
            db.sync().expect("sync");
            drop(db);
            let db = (cfg.open)(&Vfs::os(), &dir, &o).expect("idle reopen");
            assert_state(&*db, &model, &format!("{} idle reopen {cycle}", cfg.name));
        }
    }
}

/// Writers on disjoint key ranges at once read their own writes; the
/// union survives a reopen.
#[test]
fn threads_on_disjoint_ranges() {
    for cfg in configs() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("db");
        let open: OpenFn = cfg.open;
        let db: Arc<dyn Engine> =
            Arc::from(open(&Vfs::os(), &dir, &opts(cfg.options)).expect("open"));
        let handles: Vec<_> = (0..4u8)
            .map(|t| {
                let db = db.clone();
                std::thread::spawn(move || {
                    let mut mine = Model::new();
                    for i in 0..300u32 {
                        let k = [b'T', t, (i >> 8) as u8, i as u8].to_vec();
                        let v = vec![t; (i % 50) as usize];
                        db.put(&k, &v).expect("put");
                        if i % 7 == 0 {
                            db.delete(&k).expect("delete");
                        } else {
                            mine.insert(k, v);
                        }
                        if i % 10 == 0 {
                            for (k, v) in &mine {
                                assert_eq!(db.get(k).expect("get").as_ref(), Some(v));
                            }
                        }
                    }
                    mine
                })
            })
            .collect();
        let mut all = Model::new();
        for h in handles {
            all.extend(h.join().expect("writer thread"));
        }
        let got = db.scan(b"", usize::MAX).expect("scan");
        assert_eq!(got.len(), all.len(), "{}", cfg.name);
        db.sync().expect("sync");
        drop(db);
        let db = open(&Vfs::os(), &dir, &opts(cfg.options)).expect("reopen");
        let got: Model = db
            .scan(b"", usize::MAX)
            .expect("scan")
            .into_iter()
            .collect();
        assert_eq!(got, all, "{}: after reopen", cfg.name);
    }
}

/// Unknown options, oversized keys and the simulated filesystem are clear
/// errors; a zero-limit scan and a missing key are empty answers.
#[test]
fn contract_errors() {
    for cfg in configs() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("db");
        match (cfg.open)(&Vfs::os(), &dir, &opts("kit_no_such_option=1")) {
            Err(Error::UnknownOption { key, .. }) => assert_eq!(key, "kit_no_such_option"),
            Err(e) => panic!("{}: wrong error {e}", cfg.name),
            Ok(_) => panic!("{}: unknown option accepted", cfg.name),
        }
        let sim = engine_core::vfs::SimFs::new(1);
        let e = (cfg.open)(&sim.vfs(), Path::new("/db"), &opts("")).err();
        assert!(
            matches!(e, Some(Error::Unsupported(_))),
            "{}: simulated Vfs gave {e:?}",
            cfg.name
        );
        let db = (cfg.open)(&Vfs::os(), &dir, &opts(cfg.options)).expect("open");
        let big = vec![b'k'; engine_core::record::MAX_KEY_LEN + 1];
        let e = db.put(&big, b"v").err();
        assert!(
            matches!(e, Some(Error::TooLarge { what: "key", .. })),
            "{}: {e:?}",
            cfg.name
        );
        assert_eq!(db.get(b"absent").expect("get"), None);
        assert!(db.scan(b"", 0).expect("scan").is_empty());
        drop(db);
    }
}
