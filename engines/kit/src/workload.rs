//! Deterministic workloads: the keys, values and operation sequences every
//! check replays.
//!
//! A crash sweep replays the same workload once per crash point, so a
//! workload is a [`Plan`] generated up front from a seed: the same seed gives
//! the same steps, byte for byte, and (for a single-threaded engine) the same
//! storage calls, which is what makes "crash at mutation N" name the same
//! instant in every replay.
//!
//! Keys come from a pool built to hit the edge cases of ordered maps and
//! length-prefixed encodings: the empty key, `0x00`, `0xff`, keys that are
//! prefixes of each other, keys that differ only in a trailing `0x00`, and
//! short random binary keys over an alphabet rich in `0x00`/`0xff`. Values are
//! mostly small, sometimes empty (legal and distinct from absent) and rarely
//! about 100 KB, large enough to span blocks, pages and write buffers.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A key the workloads never generate: written after recovery to prove the
/// engine accepts writes again. Longer than any pool key, so never in it.
pub const MARKER_KEY: &[u8] = b"\xffkit: written after recovery\x00";

/// Size of the "large" values, a little under 100 KiB.
pub const LARGE_VALUE: usize = 100_000;

/// One step of a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write the value under the key; the oracle records it as pending.
    Put(Vec<u8>, Vec<u8>),
    /// Remove the key; the oracle records a pending tombstone.
    Delete(Vec<u8>),
    /// Read the key and compare with what the oracle allows.
    Get(Vec<u8>),
    /// Scan up to `usize` entries from the key, checked against the model.
    Scan(Vec<u8>, usize),
    /// `Engine::sync`; after it returns `Ok` every earlier write is durable.
    Sync,
}

/// How a plan mixes its steps.
#[derive(Debug, Clone, Copy)]
pub struct Mix {
    /// Number of steps.
    pub steps: usize,
    /// Distinct keys in the pool (besides the fixed edge-case keys).
    pub keys: usize,
    /// Percent of steps that are reads (gets and scans).
    pub read_pct: u32,
    /// A `Sync` step after every this many steps (0: never).
    pub sync_every: usize,
    /// Per-mille of puts with a large value.
    pub large_per_mille: u32,
    /// Largest small value.
    pub max_value: usize,
}

impl Mix {
    /// A write-heavy mix for crash sweeps.
    pub fn writes(steps: usize, sync_every: usize) -> Mix {
        Mix {
            steps,
            keys: 160,
            read_pct: 5,
            sync_every,
            large_per_mille: 1,
            max_value: 120,
        }
    }

    /// A read/write mix for the model check.
    pub fn model(steps: usize) -> Mix {
        Mix {
            steps,
            keys: 300,
            read_pct: 40,
            sync_every: 97,
            large_per_mille: 5,
            max_value: 300,
        }
    }
}

/// A workload, generated up front from a seed.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The steps, in the order the driver issues them.
    pub steps: Vec<Step>,
    /// Every key a step may write, for verification by point reads.
    pub keys: Vec<Vec<u8>>,
}

/// The key pool: fixed edge cases first, then random binary keys, each
/// prefixed with `prefix` (threads use disjoint prefixes).
pub fn key_pool(rng: &mut SmallRng, prefix: &[u8], n: usize) -> Vec<Vec<u8>> {
    let fixed: [&[u8]; 10] = [
        b"",
        b"\x00",
        b"\x00\x00",
        b"\xff",
        b"\xff\xff",
        b"\x00\xff",
        b"a",
        b"a\x00",
        b"ab",
        b"\x7f\x80",
    ];
    const ALPHABET: &[u8] = b"\x00\x01\x7f\x80\xfe\xffabz";
    let mut keys: Vec<Vec<u8>> = fixed.iter().map(|k| [prefix, k].concat()).collect();
    while keys.len() < fixed.len() + n {
        let len = rng.gen_range(1..=12);
        let mut k = prefix.to_vec();
        k.extend((0..len).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())]));
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

/// A value unique to write number `seq` (so a recovered value names the
/// write it came from), of a random length: empty now and then, large
/// rarely.
pub fn value(rng: &mut SmallRng, seq: u64, mix: &Mix) -> Vec<u8> {
    if rng.gen_ratio(1, 20) {
        return Vec::new();
    }
    let len = if rng.gen_range(0..1000) < mix.large_per_mille {
        LARGE_VALUE
    } else {
        rng.gen_range(0..=mix.max_value)
    };
    let mut v = seq.to_le_bytes().to_vec();
    // Cheap, seq-dependent filler: a wrong byte anywhere is visible.
    v.extend((0..len).map(|i| (seq as usize).wrapping_mul(31).wrapping_add(i) as u8));
    v
}

/// Generate a plan. Writes are numbered from 1 in issue order; the number is
/// in the value.
pub fn plan(seed: u64, prefix: &[u8], mix: &Mix) -> Plan {
    let mut rng = SmallRng::seed_from_u64(seed);
    let keys = key_pool(&mut rng, prefix, mix.keys);
    let mut steps = Vec::with_capacity(mix.steps + mix.steps / mix.sync_every.max(1));
    let mut seq = 0u64;
    for i in 0..mix.steps {
        let key = keys[rng.gen_range(0..keys.len())].clone();
        let roll = rng.gen_range(0..100);
        if roll < mix.read_pct {
            if rng.gen_ratio(1, 4) {
                let limit = match rng.gen_range(0..10) {
                    0 => 0,
                    1 => 1,
                    2 => usize::MAX,
                    _ => rng.gen_range(2..40),
                };
                steps.push(Step::Scan(key, limit));
            } else {
                steps.push(Step::Get(key));
            }
        } else if roll < mix.read_pct + (100 - mix.read_pct) / 4 {
            steps.push(Step::Delete(key));
            seq += 1;
        } else {
            seq += 1;
            steps.push(Step::Put(key, value(&mut rng, seq, mix)));
        }
        if mix.sync_every > 0 && i % mix.sync_every == mix.sync_every - 1 {
            steps.push(Step::Sync);
        }
    }
    Plan { steps, keys }
}

/// A seeded generator for the checks' own random choices.
pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}
