//! The writer side of the kill loop (`harness crash-child`, hidden): open an
//! engine with `sync=always` (or `sync=never` with a `sync()` every N
//! writes) and write a deterministic stream of puts and deletes, printing
//! one line per acknowledged write, until killed.
//!
//! Output, one line each, flushed: `I` (a decimal index) when write `I` was
//! acknowledged; `S N` when a `sync()` returned Ok after the first `N`
//! writes, so that those are durable.
//!
//! The parent (`harness/tests/kill_loop.rs`, `make crash-loop`) kills it
//! with SIGKILL at a random moment, then checks the directory with the
//! engine's verifier and by reopening it: every acknowledged write must be
//! there, the one write in flight may or may not be, nothing else may. The
//! stream is a pure function of (seed, index) ([`op`]), so the parent knows
//! every write without parsing values, and knows which write was in flight.

use std::io::Write;
use std::path::Path;

use engine_core::{Options, Vfs};

use crate::error::{Error, Result, Stage};
use crate::registry::EngineSpec;

/// Distinct keys the stream touches: few enough that overwrites and
/// deletes are common (merge and compaction have dead data to drop).
pub const KEYS: u64 = 2_000;

/// The `i`-th write of stream `seed`: a key and `Some(value)` for a put,
/// `None` for a delete. Values carry the seed and index, so a value from
/// the wrong write can never pass for the right one.
pub fn op(seed: u64, i: u64) -> (Vec<u8>, Option<Vec<u8>>) {
    // SplitMix64 of (seed, i): cheap, stateless, well mixed.
    let mut z = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i.wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let key = format!("key{:05}", z % KEYS).into_bytes();
    if z % 10 == 0 {
        return (key, None);
    }
    let pad = (z >> 20) as usize % 300;
    let mut value = format!("{seed}:{i}:").into_bytes();
    value.resize(value.len() + pad, b'v');
    (key, Some(value))
}

/// Open `spec` in `dir` and write stream `seed` from index 0, printing each
/// acknowledged index, up to `limit` writes. With `sync_every` 0 every write
/// is `sync=always`; otherwise the engine runs `sync=never` and syncs after
/// every `sync_every` writes, printing `S N` after each sync.
pub fn run(spec: &str, dir: &Path, seed: u64, limit: u64, sync_every: u64) -> Result<()> {
    let spec = EngineSpec::parse(spec)?;
    let sync = if sync_every == 0 { "always" } else { "never" };
    let options = Options::new().with("sync", sync).merged(&spec.options);
    let db = spec.open(&Vfs::os(), dir, &options)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let engine_error = |source| Error::engine(&spec.spec, Stage::Write, source);
    let stdout_error =
        |e: std::io::Error| Error::Usage(format!("crash-child cannot write to stdout: {e}"));
    for i in 0..limit {
        let (key, value) = op(seed, i);
        let result = match &value {
            Some(v) => db.put(&key, v),
            None => db.delete(&key),
        };
        result.map_err(engine_error)?;
        // One line per acknowledged write, flushed, so the parent sees
        // exactly what was acknowledged before the kill.
        writeln!(out, "{i}")
            .and_then(|_| out.flush())
            .map_err(stdout_error)?;
        if sync_every > 0 && (i + 1) % sync_every == 0 {
            db.sync().map_err(engine_error)?;
            writeln!(out, "S {}", i + 1)
                .and_then(|_| out.flush())
                .map_err(stdout_error)?;
        }
    }
    Ok(())
}
