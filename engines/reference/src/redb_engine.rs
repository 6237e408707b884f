//! redb: a copy-on-write B+tree in one file, in pure Rust. A commit writes
//! the changed pages to free space and then flips the header to the new root
//! (two fsyncs per durable commit, or one with its checksummed "1PC" header).
//!
//! Settings the adapter changes from redb's defaults (everything else is
//! redb's own default, including 4 KiB pages):
//!
//! | workbench option | redb setting | why |
//! |---|---|---|
//! | `cache_mb` | `Builder::set_cache_size(cache_mb MiB)` (default 1 GiB) | the same memory budget for cached pages as our engines |
//! | `sync=always` | each write is one transaction committed with `Durability::Immediate` (redb's default) | durable when `put` returns |
//! | `sync=never` | each write is one transaction committed with `Durability::None` | durable at `sync()`, as the contract says; redb's default (`Immediate`) would fsync every write |
//! | `sync=bytes:N` | `Durability::None`, and `Immediate` on the write that brings the unsynced key+value bytes to N | redb has no byte trigger of its own |
//! | `sync()` | an empty transaction committed with `Durability::Immediate` | makes every earlier non-durable commit durable |
//!
//! Every `put` and `delete` is its own transaction because the contract
//! acknowledges each one separately; redb allows one writer at a time, so
//! concurrent writers queue on `begin_write`. Pages freed by non-durable
//! commits are only reused after the next durable one, so under
//! `sync=never` the file grows between syncs (visible in `disk_bytes`).

use std::path::{Path, PathBuf};

use ::redb::{Database, Durability as RedbDurability, ReadableDatabase, TableDefinition};
use engine_core::{Engine, EngineMetrics, Error, OptionSpec, Options, Result, Vfs, COMMON_OPTIONS};

use crate::common::{check_sizes, foreign, os_dir, SyncPolicy};

/// redb takes no options beyond [`COMMON_OPTIONS`].
pub const OPTIONS: &[OptionSpec] = &[];

/// The one table holding every pair.
const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("kv");

/// The database file inside the engine's directory.
pub const FILE_NAME: &str = "data.redb";

/// Open (or recover) redb in `dir`, which must be a real directory.
pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>> {
    options.check("redb", &[COMMON_OPTIONS, OPTIONS])?;
    let durability = options.durability()?;
    let cache = usize::try_from(options.cache_bytes()?).map_err(|_| Error::BadOption {
        key: "cache_mb".into(),
        value: options.get("cache_mb").unwrap_or_default().into(),
        expected: "a size that fits in memory".into(),
    })?;
    let dir = os_dir(vfs, dir)?;
    let path = dir.join(FILE_NAME);
    let db = Database::builder()
        .set_cache_size(cache)
        .create(&path)
        .map_err(|e| map_err("open", &path, e))?;
    let engine = Redb {
        db,
        path,
        policy: SyncPolicy::new(durability),
    };
    // Create the table durably up front, so reads never meet a missing table.
    engine.write(RedbDurability::Immediate, |_| Ok(()))?;
    Ok(Box::new(engine))
}

struct Redb {
    db: Database,
    path: PathBuf,
    policy: SyncPolicy,
}

/// Any redb error (each call has its own type; all convert into
/// `redb::Error`) as one of ours.
fn map_err(op: &'static str, path: &Path, e: impl Into<::redb::Error>) -> Error {
    match e.into() {
        ::redb::Error::Io(source) => Error::io(op, path, source),
        ::redb::Error::Corrupted(what) => Error::corruption(path, 0, what),
        // redb refuses further work after an I/O error until a reopen.
        ::redb::Error::PreviousIo => Error::Poisoned { path: path.into() },
        ::redb::Error::DatabaseAlreadyOpen => Error::Unusable {
            path: path.into(),
            why: "already open".into(),
        },
        other => foreign(op, path, format!("redb: {other}")),
    }
}

impl Redb {
    /// One write transaction with `durability`, running `body` on the table.
    fn write(
        &self,
        durability: RedbDurability,
        body: impl FnOnce(&mut ::redb::Table<&[u8], &[u8]>) -> Result<()>,
    ) -> Result<()> {
        let mut txn = self
            .db
            .begin_write()
            .map_err(|e| map_err("begin write", &self.path, e))?;
        txn.set_durability(durability)
            .map_err(|e| foreign("set durability", &self.path, e))?;
        {
            let mut table = txn
                .open_table(TABLE)
                .map_err(|e| map_err("open table", &self.path, e))?;
            body(&mut table)?;
        }
        txn.commit().map_err(|e| map_err("commit", &self.path, e))
    }

    fn durability_for(&self, bytes: usize) -> RedbDurability {
        if self.policy.after_write(bytes) {
            RedbDurability::Immediate
        } else {
            RedbDurability::None
        }
    }

    fn read_table(&self) -> Result<::redb::ReadOnlyTable<&'static [u8], &'static [u8]>> {
        let txn = self
            .db
            .begin_read()
            .map_err(|e| map_err("begin read", &self.path, e))?;
        txn.open_table(TABLE)
            .map_err(|e| map_err("open table", &self.path, e))
    }
}

impl Engine for Redb {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let table = self.read_table()?;
        let v = table.get(key).map_err(|e| map_err("get", &self.path, e))?;
        Ok(v.map(|g| g.value().to_vec()))
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        check_sizes(key, value, usize::MAX)?;
        let durability = self.durability_for(key.len() + value.len());
        let path = &self.path;
        self.write(durability, |t| {
            t.insert(key, value)
                .map(drop)
                .map_err(|e| map_err("put", path, e))
        })
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        check_sizes(key, b"", usize::MAX)?;
        let durability = self.durability_for(key.len());
        let path = &self.path;
        self.write(durability, |t| {
            t.remove(key)
                .map(drop)
                .map_err(|e| map_err("delete", path, e))
        })
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::with_capacity(limit.min(1024));
        if limit == 0 {
            return Ok(out);
        }
        let table = self.read_table()?;
        let range = table
            .range::<&[u8]>(start..)
            .map_err(|e| map_err("scan", &self.path, e))?;
        for item in range {
            let (k, v) = item.map_err(|e| map_err("scan", &self.path, e))?;
            out.push((k.value().to_vec(), v.value().to_vec()));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    fn sync(&self) -> Result<()> {
        self.write(RedbDurability::Immediate, |_| Ok(()))
    }

    fn metrics(&self) -> EngineMetrics {
        let c = self.db.cache_stats();
        EngineMetrics::new()
            .with("cache_evictions", c.evictions())
            .with("cache_used_bytes", c.used_bytes())
    }
}
