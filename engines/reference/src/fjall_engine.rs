//! fjall: a log-structured merge tree in pure Rust (journal, memtables,
//! leveled compaction in background threads, block cache, bloom filters).
//!
//! Settings the adapter changes from fjall's defaults (everything else is
//! fjall's own default):
//!
//! | workbench option | fjall setting | why |
//! |---|---|---|
//! | `cache_mb` | `DatabaseBuilder::cache_size(cache_mb MiB)` (default 32 MiB) | the same memory budget for cached blocks as our engines |
//! | `memtable_mb` (16) | `KeyspaceCreateOptions::max_memtable_size` (default 64 MiB) | the same write buffer as our LSM's `memtable_mb` default |
//! | `sync=always` | `Database::persist(PersistMode::SyncData)` after every write | fdatasync of the journal before the write returns |
//! | `sync=never` | fjall's default: each write is flushed to the OS (`PersistMode::Buffer`) but not synced | durable at `sync()` |
//! | `sync=bytes:N` | `persist(SyncData)` once N key+value bytes were written since the last | fjall has no byte trigger of its own |
//! | `sync()` | `persist(PersistMode::SyncAll)` | journal contents and metadata durable |
//!
//! fjall refuses the empty key, which the contract allows, so every key is
//! stored behind a one-byte prefix (`0x00`): the same prefix on every key
//! keeps the order, and it adds one byte per key to what fjall stores.
//!
//! All data lives in one keyspace, `kv`. Concurrent `sync=always` writers
//! each pay their own fdatasync: fjall has no group commit on this path.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ::fjall::{Database, KeyspaceCreateOptions, PersistMode};
use engine_core::{Engine, EngineMetrics, Error, OptionSpec, Options, Result, Vfs, COMMON_OPTIONS};

use crate::common::{check_sizes, foreign, os_dir, SyncPolicy, QUIESCE_WAIT};

/// fjall's own options beyond [`COMMON_OPTIONS`].
pub const OPTIONS: &[OptionSpec] = &[OptionSpec {
    name: "memtable_mb",
    default: "16",
    help: "memtable size before a flush, MiB (fjall's max_memtable_size)",
}];

/// fjall stores key lengths in 16 bits; one byte goes to [`PREFIX`].
const MAX_KEY: usize = u16::MAX as usize - 1;

/// Put before every key so that the empty key is a non-empty fjall key.
const PREFIX: u8 = 0;

fn stored(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(PREFIX);
    k.extend_from_slice(key);
    k
}

/// Open (or recover) fjall in `dir`, which must be a real directory.
pub fn open(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>> {
    options.check("fjall", &[COMMON_OPTIONS, OPTIONS])?;
    let durability = options.durability()?;
    let cache = options.cache_bytes()?;
    let memtable = options.u64_in("memtable_mb", 16, 1, 4096)? << 20;
    let dir = os_dir(vfs, dir)?;
    let db = Database::builder(&dir)
        .cache_size(cache)
        .open()
        .map_err(|e| map_err("open", &dir, e))?;
    let kv = db
        .keyspace("kv", || {
            KeyspaceCreateOptions::default().max_memtable_size(memtable)
        })
        .map_err(|e| map_err("open keyspace", &dir, e))?;
    Ok(Box::new(Fjall {
        db,
        kv,
        dir,
        policy: SyncPolicy::new(durability),
    }))
}

struct Fjall {
    db: Database,
    kv: ::fjall::Keyspace,
    dir: PathBuf,
    policy: SyncPolicy,
}

fn map_err(op: &'static str, dir: &Path, e: ::fjall::Error) -> Error {
    match e {
        ::fjall::Error::Io(source) => Error::io(op, dir, source),
        // fjall refuses writes after a failed journal write or sync, as ours do.
        ::fjall::Error::Poisoned => Error::Poisoned { path: dir.into() },
        ::fjall::Error::Locked => Error::Unusable {
            path: dir.into(),
            why: "already open (fjall's lock file is held)".into(),
        },
        ::fjall::Error::InvalidVersion(_)
        | ::fjall::Error::Decompress(_)
        | ::fjall::Error::InvalidTrailer
        | ::fjall::Error::InvalidTag(_)
        | ::fjall::Error::JournalRecovery(_)
        | ::fjall::Error::Unrecoverable => {
            // fjall does not say which file or offset; the directory is the
            // most precise location it gives.
            Error::corruption(dir, 0, format!("fjall during {op}: {e:?}"))
        }
        other => foreign(op, dir, format!("fjall: {other:?}")),
    }
}

impl Fjall {
    fn after_write(&self, bytes: usize) -> Result<()> {
        if self.policy.after_write(bytes) {
            self.db
                .persist(PersistMode::SyncData)
                .map_err(|e| map_err("sync", &self.dir, e))?;
        }
        Ok(())
    }
}

impl Engine for Fjall {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let v = self
            .kv
            .get(stored(key))
            .map_err(|e| map_err("get", &self.dir, e))?;
        Ok(v.map(|v| v.to_vec()))
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<()> {
        check_sizes(key, value, MAX_KEY)?;
        self.kv
            .insert(stored(key), value)
            .map_err(|e| map_err("put", &self.dir, e))?;
        self.after_write(key.len() + value.len())
    }

    fn delete(&self, key: &[u8]) -> Result<()> {
        check_sizes(key, b"", MAX_KEY)?;
        self.kv
            .remove(stored(key))
            .map_err(|e| map_err("delete", &self.dir, e))?;
        self.after_write(key.len())
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::with_capacity(limit.min(1024));
        if limit == 0 {
            return Ok(out);
        }
        for guard in self.kv.range(stored(start)..) {
            let (k, v) = guard
                .into_inner()
                .map_err(|e| map_err("scan", &self.dir, e))?;
            match k.split_first() {
                Some((&PREFIX, user)) => out.push((user.to_vec(), v.to_vec())),
                _ => {
                    return Err(Error::corruption(
                        &self.dir,
                        0,
                        "fjall returned a key without the adapter's prefix",
                    ))
                }
            }
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    fn sync(&self) -> Result<()> {
        self.db
            .persist(PersistMode::SyncAll)
            .map_err(|e| map_err("sync", &self.dir, e))
    }

    fn metrics(&self) -> EngineMetrics {
        EngineMetrics::new()
            .with("tables", self.kv.table_count())
            .with("l0_tables", self.kv.l0_table_count())
            .with("journals", self.db.journal_count())
            .with("compactions", self.db.compactions_completed())
            .with("outstanding_flushes", self.db.outstanding_flushes())
            .with("write_buffer_bytes", self.db.write_buffer_size())
    }

    /// Wait (up to a minute) until fjall has no flush or compaction running
    /// or queued. fjall schedules compactions itself after each flush; there
    /// is no call that waits for them, so this polls its counters.
    fn quiesce(&self) -> Result<()> {
        let deadline = Instant::now() + QUIESCE_WAIT;
        let mut idle_polls = 0;
        while Instant::now() < deadline {
            if self.db.outstanding_flushes() == 0 && self.db.active_compactions() == 0 {
                // A flush finishing can enqueue a compaction a moment later:
                // settled means idle on several consecutive polls.
                idle_polls += 1;
                if idle_polls >= 5 {
                    return Ok(());
                }
            } else {
                idle_polls = 0;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Never a silent Ok: the harness marks the phase as unsettled.
        Err(Error::StillBusy {
            what: "flushes outstanding or compactions active".into(),
            waited_s: QUIESCE_WAIT.as_secs(),
        })
    }
}
