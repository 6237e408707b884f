//! RocksDB, through the `rocksdb` crate (compiled from its C++ sources;
//! cargo feature `rocksdb`). A leveled LSM tree with a write-ahead log,
//! background flush and compaction threads and a block cache.
//!
//! Settings the adapter changes from RocksDB's defaults (everything else is
//! RocksDB's own default, as `Options::default()` gives it):
//!
//! | workbench option | RocksDB setting | why |
//! |---|---|---|
//! | (always) | `create_if_missing(true)` | open creates the database, as ours do |
//! | `cache_mb` | a block-based table factory with an LRU block cache of `cache_mb` MiB (default 32 MiB) | the same memory budget for cached blocks as our engines |
//! | `memtable_mb` (16) | `write_buffer_size` (default 64 MiB) | the same write buffer as our LSM's `memtable_mb` default |
//! | `sync=always` | `WriteOptions::set_sync(true)` on every write | the WAL is fsynced before the write returns (RocksDB groups concurrent writers into one sync) |
//! | `sync=never` | RocksDB's default `WriteOptions` (WAL written, not synced) | durable at `sync()` |
//! | `sync=bytes:N` | `set_sync(true)` on the write that brings the unsynced key+value bytes to N | RocksDB's `wal_bytes_per_sync` only starts write-back, it does not make writes durable |
//! | `sync()` | `DB::flush_wal(true)` | writes the WAL buffer and fsyncs it |
//!
//! This build has no compression library (the crate's `snappy`, `lz4`,
//! `zstd`... features are off to keep the C++ build small), so RocksDB
//! writes uncompressed blocks; its default would be Snappy.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ::rocksdb::{BlockBasedOptions, Cache, Direction, IteratorMode, WriteOptions, DB};
use engine_core::{Engine, EngineMetrics, Error, OptionSpec, Options, Result, Vfs, COMMON_OPTIONS};

use crate::common::{check_sizes, foreign, os_dir, SyncPolicy, QUIESCE_WAIT};

/// RocksDB's own options beyond [`COMMON_OPTIONS`].
pub const OPTIONS: &[OptionSpec] = &[OptionSpec {
    name: "memtable_mb",
    default: "16",
    help: "memtable size before a flush, MiB (RocksDB's write_buffer_size)",
}];

/// Open (or recover) RocksDB in `dir`, which must be a real directory.
pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>> {
    options.check("rocksdb", &[COMMON_OPTIONS, OPTIONS])?;
    let durability = options.durability()?;
    let too_big = |key: &str| Error::BadOption {
        key: key.into(),
        value: options.get(key).unwrap_or_default().into(),
        expected: "a size that fits in memory".into(),
    };
    let cache = usize::try_from(options.cache_bytes()?).map_err(|_| too_big("cache_mb"))?;
    let memtable = usize::try_from(options.u64_in("memtable_mb", 16, 1, 4096)? << 20)
        .map_err(|_| too_big("memtable_mb"))?;
    let dir = os_dir(vfs, dir)?;
    let mut opts = ::rocksdb::Options::default();
    opts.create_if_missing(true);
    opts.set_write_buffer_size(memtable);
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(&Cache::new_lru_cache(cache));
    opts.set_block_based_table_factory(&table);
    let db = DB::open(&opts, &dir).map_err(|e| map_err("open", &dir, e))?;
    Ok(Box::new(Rocks {
        db,
        dir,
        policy: SyncPolicy::new(durability),
    }))
}

struct Rocks {
    db: DB,
    dir: PathBuf,
    policy: SyncPolicy,
}

fn map_err(op: &'static str, dir: &Path, e: ::rocksdb::Error) -> Error {
    use ::rocksdb::ErrorKind;
    match e.kind() {
        // RocksDB names the file in its message; the directory is ours.
        ErrorKind::Corruption => Error::corruption(dir, 0, format!("rocksdb: {e}")),
        ErrorKind::InvalidArgument if e.to_string().contains("lock") => Error::Unusable {
            path: dir.into(),
            why: e.to_string(),
        },
        _ => foreign(op, dir, format!("rocksdb: {e}")),
    }
}

impl Rocks {
    fn write_options(&self, bytes: usize) -> WriteOptions {
        let mut w = WriteOptions::default();
        w.set_sync(self.policy.after_write(bytes));
        w
    }

    fn property(&self, name: &str) -> u64 {
        self.db.property_int_value(name).ok().flatten().unwrap_or(0)
    }
}

impl Engine for Rocks {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db.get(key).map_err(|e| map_err("get", &self.dir, e))
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        check_sizes(key, value, usize::MAX)?;
        let w = self.write_options(key.len() + value.len());
        self.db
            .put_opt(key, value, &w)
            .map_err(|e| map_err("put", &self.dir, e))
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        check_sizes(key, b"", usize::MAX)?;
        let w = self.write_options(key.len());
        self.db
            .delete_opt(key, &w)
            .map_err(|e| map_err("delete", &self.dir, e))
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::with_capacity(limit.min(1024));
        if limit == 0 {
            return Ok(out);
        }
        for item in self
            .db
            .iterator(IteratorMode::From(start, Direction::Forward))
        {
            let (k, v) = item.map_err(|e| map_err("scan", &self.dir, e))?;
            out.push((k.into_vec(), v.into_vec()));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    fn sync(&self) -> Result<()> {
        self.db
            .flush_wal(true)
            .map_err(|e| map_err("sync", &self.dir, e))
    }

    fn metrics(&self) -> EngineMetrics {
        EngineMetrics::new()
            .with("l0_files", self.property("rocksdb.num-files-at-level0"))
            .with(
                "block_cache_bytes",
                self.property("rocksdb.block-cache-usage"),
            )
            .with(
                "pending_compaction_bytes",
                self.property("rocksdb.estimate-pending-compaction-bytes"),
            )
    }

    /// Wait (up to a minute) until RocksDB reports no flush or compaction
    /// running or pending.
    fn quiesce(&self) -> Result<()> {
        let deadline = Instant::now() + QUIESCE_WAIT;
        while Instant::now() < deadline {
            let busy = self.property("rocksdb.num-running-flushes")
                + self.property("rocksdb.num-running-compactions")
                + self.property("rocksdb.mem-table-flush-pending")
                + self.property("rocksdb.compaction-pending");
            if busy == 0 {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Never a silent Ok: the harness marks the phase as unsettled.
        Err(Error::StillBusy {
            what: "flushes or compactions running or pending".into(),
            waited_s: QUIESCE_WAIT.as_secs(),
        })
    }
}
