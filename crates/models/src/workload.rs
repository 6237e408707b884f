//! What a workload preset asks of an engine, phase by phase: how many
//! puts (new keys or overwrites), how many lookups, which keys they hit.
//!
//! The proportions are read from the presets themselves
//! (`workloads::presets`, YCSB's published `workloads/workload[a-f]` files
//! and the db_bench-style presets, with `workloads`' property defaults:
//! `writeallfields=false`, `requestdistribution=uniform`). How the
//! harness turns an operation into engine calls restates
//! `harness/src/driver.rs`:
//!
//! - an insert is one put of a new key;
//! - an update with `writeallfields=false` (every preset) is a get, then a
//!   put of the whole record (YCSB's key-value bindings), so it is one
//!   lookup and one overwrite;
//! - a read-modify-write with `writeallfields=false` is two gets (the read,
//!   then the update's own read) and one overwrite;
//! - a scan is one lookup; a delete writes a tombstone.
//!
//! Every user byte is a key or value byte (`user_bytes_written` is key +
//! value per put, DESIGN.md), so per-record sizes come from the cell.

/// How the run phase picks the record an operation touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Every loaded record equally likely.
    Uniform,
    /// YCSB's scrambled zipfian, constant 0.99: a few hot records,
    /// scattered over the key space.
    Zipfian,
    /// YCSB's `latest`: skewed towards the most recent inserts (modelled as
    /// zipfian, its skew, over the same records).
    Latest,
}

/// Fractions of the run phase's operations, as the preset states them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mix {
    /// Share of gets; the six shares sum to 1.
    pub read: f64,
    /// Share of updates of loaded records.
    pub update: f64,
    /// Share of inserts of new records.
    pub insert: f64,
    /// Share of scans.
    pub scan: f64,
    /// Share of read-modify-writes (a get, then a put of the same key).
    pub rmw: f64,
    /// Share of deletes.
    pub delete: f64,
    /// How the run phase picks the records it reads and updates.
    pub access: Access,
}

/// The run-phase mix of preset `name`, read from the preset itself
/// (`workloads::presets`, parsed as the harness parses it), so the models
/// cannot drift from what the harness runs. `None` for a name that is no
/// preset, for `insertorder=ordered` (`fill-seq`: inserts in key order,
/// which none of the models assume) and for a request distribution the
/// models do not cover (hotspot, sequential, exponential).
pub fn preset(name: &str) -> Option<Mix> {
    let (_, text) = workloads::presets::find(name)?;
    let mut props = workloads::Properties::defaults();
    props.apply_text(name, text).ok()?;
    let spec = workloads::Spec::from_properties(&props).ok()?;
    if spec.ordered || spec.total <= 0.0 {
        return None;
    }
    let access = match spec.distribution {
        workloads::spec::Distribution::Uniform => Access::Uniform,
        workloads::spec::Distribution::Zipfian => Access::Zipfian,
        workloads::spec::Distribution::Latest => Access::Latest,
        _ => return None,
    };
    let share = |p: f64| p / spec.total;
    Some(Mix {
        read: share(spec.read),
        update: share(spec.update),
        insert: share(spec.insert),
        scan: share(spec.scan),
        rmw: share(spec.rmw),
        delete: share(spec.delete),
        access,
    })
}

/// What one phase does, in records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseWork {
    /// Live records when the phase starts.
    pub start_records: f64,
    /// Puts of keys not yet stored.
    pub inserts: f64,
    /// Puts of keys already stored.
    pub overwrites: f64,
    /// Gets and scans (every get of an update or rmw included).
    pub lookups: f64,
    /// Of the lookups, scans (the models leave read costs of scans out).
    pub scans: f64,
    /// Tombstones written.
    pub deletes: f64,
    /// How the phase picks the records it reads and updates (`Uniform` for
    /// a load, which touches each record once).
    pub access: Access,
}

impl PhaseWork {
    /// Live records when the phase ends.
    pub fn end_records(&self) -> f64 {
        (self.start_records + self.inserts - self.deletes).max(0.0)
    }

    /// Puts of either kind.
    pub fn puts(&self) -> f64 {
        self.inserts + self.overwrites
    }
}

/// The load phase: `records` inserts of distinct keys into an empty store.
pub fn load(records: u64) -> PhaseWork {
    PhaseWork {
        start_records: 0.0,
        inserts: records as f64,
        overwrites: 0.0,
        lookups: 0.0,
        scans: 0.0,
        deletes: 0.0,
        access: Access::Uniform,
    }
}

/// The run phase: `operations` drawn from `mix` over `records` loaded.
pub fn run(mix: &Mix, records: u64, operations: u64) -> PhaseWork {
    let ops = operations as f64;
    PhaseWork {
        start_records: records as f64,
        inserts: ops * mix.insert,
        overwrites: ops * (mix.update + mix.rmw),
        // writeallfields=false: an update reads first, an rmw reads twice.
        lookups: ops * (mix.read + mix.scan + mix.update + 2.0 * mix.rmw),
        scans: ops * mix.scan,
        deletes: ops * mix.delete,
        access: mix.access,
    }
}

/// YCSB's zipfian constant (`zipfianconstant`, `workloads/src/properties.rs`).
pub const ZIPFIAN_CONSTANT: f64 = 0.99;
/// `zeta(10^10, 0.99)`: YCSB's scrambled zipfian draws a rank among 10^10
/// items with this normaliser, then hashes it onto the records
/// (`SCRAMBLED_ZETAN`, `workloads/src/generators.rs`).
pub const SCRAMBLED_ZETAN: f64 = 26.469_028_201_783_02;

/// The probability of each of `n` records being the one an operation
/// picks, most popular first.
///
/// - Uniform: `1/n` each.
/// - Zipfian (YCSB's *scrambled* zipfian): rank `r` of 10^10 has
///   probability `r^-0.99 / zeta(10^10)`, and the rank is hashed onto a
///   record. The `n` most popular ranks are taken to land on distinct
///   records and every other rank (most of the mass when `n` is small:
///   55% at 50 000 records) to spread evenly, so record `r` gets
///   `r^-0.99 / zeta(10^10) + (1 - zeta(n) / zeta(10^10)) / n`.
/// - Latest: YCSB's plain zipfian over the records (no scrambling), by
///   recency: `r^-0.99 / zeta(n)`.
pub fn record_weights(access: Access, n: usize) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let zipf = || (1..=n).map(|r| (r as f64).powf(-ZIPFIAN_CONSTANT));
    match access {
        Access::Uniform => vec![1.0 / n as f64; n],
        Access::Zipfian => {
            let hot: Vec<f64> = zipf().map(|w| w / SCRAMBLED_ZETAN).collect();
            let rest = (1.0 - hot.iter().sum::<f64>()).max(0.0) / n as f64;
            hot.into_iter().map(|w| w + rest).collect()
        }
        Access::Latest => {
            let total: f64 = zipf().sum();
            zipf().map(|w| w / total).collect()
        }
    }
}

/// The access probabilities of `groups` pages or blocks holding the
/// records of `weights` (most popular first), when record placement is
/// independent of popularity (hashed keys): the `groups` most popular
/// records are taken to sit in distinct groups, each group also getting an
/// even share of all the other records' mass. Uniform records give
/// uniform groups, `1/groups` each.
pub fn group_weights(weights: &[f64], groups: usize) -> Vec<f64> {
    let g = groups.clamp(1, weights.len().max(1));
    let top: f64 = weights.iter().take(g).sum();
    let rest = (1.0 - top).max(0.0) / g as f64;
    (0..g)
        .map(|i| weights.get(i).copied().unwrap_or(0.0) + rest)
        .collect()
}

/// Expected number of distinct items among `draws` independent draws with
/// probabilities `weights`: `sum_i 1 - (1 - p_i)^draws` (the occupancy
/// formula; `n (1 - (1 - 1/n)^draws)` for uniform items).
pub fn distinct(weights: &[f64], draws: f64) -> f64 {
    if draws <= 0.0 {
        return 0.0;
    }
    weights.iter().map(|p| 1.0 - (1.0 - p).powf(draws)).sum()
}

/// Che's approximation of an LRU cache of `capacity` items (Che, Tung,
/// Wang, IEEE JSAC 2002): the cache's characteristic time `t` solves
/// `sum_i (1 - e^(-p_i t)) = capacity`, item `i` is in the cache with
/// probability `1 - e^(-p_i t)`, and the steady-state miss rate is
/// `sum_i p_i e^(-p_i t)`.
pub fn lru_miss_rate(weights: &[f64], capacity: f64) -> f64 {
    if capacity >= weights.len() as f64 {
        return 0.0;
    }
    if capacity <= 0.0 {
        return 1.0;
    }
    let filled = |t: f64| weights.iter().map(|p| 1.0 - (-p * t).exp()).sum::<f64>();
    let t = solve_increasing(filled, capacity);
    weights.iter().map(|p| p * (-p * t).exp()).sum()
}

/// Misses of `accesses` draws against an LRU cache of `capacity` items
/// that starts empty: every first touch misses until the cache is full
/// (after `t_fill` draws, where `distinct(t_fill) = capacity`), then the
/// steady-state rate of [`lru_miss_rate`] applies.
pub fn cold_misses(weights: &[f64], capacity: f64, accesses: f64) -> f64 {
    let touched = distinct(weights, accesses);
    if touched <= capacity {
        return touched;
    }
    let t_fill = solve_increasing(|t| distinct(weights, t), capacity);
    capacity + (accesses - t_fill).max(0.0) * lru_miss_rate(weights, capacity)
}

/// The `x >= 0` where the increasing `f` reaches `target` (bisection; `f(0)
/// = 0`, and `f` must reach `target` somewhere).
fn solve_increasing(f: impl Fn(f64) -> f64, target: f64) -> f64 {
    let mut hi = 1.0;
    while f(hi) < target && hi < 1e30 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-9 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ycsb_a_reads_before_it_updates() {
        let w = run(&preset("ycsb-a").expect("known preset"), 1000, 100);
        assert_eq!((w.overwrites, w.inserts, w.lookups), (50.0, 0.0, 100.0));
        let f = run(&preset("ycsb-f").expect("known preset"), 1000, 100);
        assert_eq!((f.overwrites, f.lookups), (50.0, 150.0));
        assert_eq!(w.end_records(), 1000.0);
        assert!(preset("ycsb-z").is_none());
    }

    #[test]
    fn occupancy_by_hand() {
        // 2 draws from 2 uniform items: 2 (1 - 1/4) = 1.5 distinct.
        let u = record_weights(Access::Uniform, 2);
        assert!((distinct(&u, 2.0) - 1.5).abs() < 1e-12);
        // Latest over 2 records, theta 0.99: 2^-0.99 = 0.50347, so
        // p1 = 1/1.50347 = 0.66512, p2 = 0.33488. Two draws:
        // (1 - 0.33488^2) + (1 - 0.66512^2) = 1.44547.
        let z = record_weights(Access::Latest, 2);
        assert!((distinct(&z, 2.0) - 1.44547).abs() < 1e-4);
    }

    #[test]
    fn scrambled_zipfian_has_an_even_floor() {
        // 1 record: all the mass. 2 records: rank 1 gets 1/26.469 = 0.037780,
        // rank 2 gets 2^-0.99/26.469 = 0.019021; the other 0.943199 is split.
        let w = record_weights(Access::Zipfian, 2);
        assert!((w[0] - (0.037780 + 0.471600)).abs() < 1e-5, "{w:?}");
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Groups of uniform records are uniform.
        let g = group_weights(&record_weights(Access::Uniform, 12), 4);
        assert!(g.iter().all(|q| (q - 0.25).abs() < 1e-12), "{g:?}");
    }

    #[test]
    fn lru_by_hand() {
        // Uniform over 4 items, capacity 2: e^(-t/4) = 1/2 at the fill
        // point, so the miss rate is 4 x 1/4 x 1/2 = 0.5 (= 1 - 2/4).
        let u = record_weights(Access::Uniform, 4);
        assert!((lru_miss_rate(&u, 2.0) - 0.5).abs() < 1e-9);
        assert_eq!(lru_miss_rate(&u, 4.0), 0.0);
        // Cold start with room for everything: only first touches miss,
        // 4 (1 - (3/4)^4) = 2.734375 of 4 draws.
        assert!((cold_misses(&u, 8.0, 4.0) - 2.734375).abs() < 1e-9);
        // A skewed load misses less than a uniform one in the same cache.
        let z = group_weights(&record_weights(Access::Zipfian, 10_000), 1000);
        let flat = record_weights(Access::Uniform, 1000);
        assert!(lru_miss_rate(&z, 250.0) < lru_miss_rate(&flat, 250.0));
    }

    #[test]
    fn mixes_come_from_the_presets() {
        let a = preset("ycsb-a").expect("ycsb-a");
        assert_eq!((a.read, a.update, a.access), (0.5, 0.5, Access::Zipfian));
        let d = preset("ycsb-d").expect("ycsb-d");
        assert_eq!((d.read, d.insert, d.access), (0.95, 0.05, Access::Latest));
        let e = preset("ycsb-e").expect("ycsb-e");
        assert_eq!((e.scan, e.insert), (0.95, 0.05));
        let f = preset("ycsb-f").expect("ycsb-f");
        assert_eq!((f.read, f.rmw), (0.5, 0.5));
        let del = preset("delete-heavy").expect("delete-heavy");
        assert_eq!((del.read, del.insert, del.delete), (0.3, 0.3, 0.4));
        let fill = preset("fill-random").expect("fill-random");
        assert_eq!((fill.insert, fill.access), (1.0, Access::Uniform));
        assert_eq!(
            preset("fill-seq"),
            None,
            "key-order inserts are not modelled"
        );
        assert_eq!(preset("no-such-preset"), None);
    }
}
