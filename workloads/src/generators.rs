//! YCSB's number generators, as its CoreWorkload uses them.
//!
//! - [`Zipfian`]: Gray et al.'s "Quickly generating billion-record
//!   synthetic databases" algorithm as YCSB implements it, with the zeta
//!   constant extended incrementally when the item count grows.
//! - [`ScrambledZipfian`]: a zipfian over 10^10 items (precomputed zeta,
//!   constant 0.99) hashed with FNV-1a 64 into the key range, so the
//!   popular keys are spread over the key space instead of clustered.
//! - Skewed-latest, uniform, hotspot, sequential and exponential choices are
//!   small enough to live in [`super::stream`] next to their use.

use rand::rngs::SmallRng;
use rand::RngCore;

/// YCSB's zipfian constant.
pub const ZIPFIAN_CONSTANT: f64 = 0.99;
/// Items of the scrambled zipfian's underlying distribution.
const SCRAMBLED_ITEMS: u64 = 10_000_000_000;
/// zeta(10^10, 0.99), as YCSB hard-codes it.
const SCRAMBLED_ZETAN: f64 = 26.469_028_201_783_02;

/// A uniform double in [0, 1) from 53 random bits.
#[inline]
pub fn unit(rng: &mut SmallRng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// YCSB's `Utils.fnvhash64`: FNV-1a over the 8 bytes of `v`, low byte
/// first, made non-negative as Java's `Math.abs` on a long does.
#[inline]
pub fn fnv_hash64(mut v: u64) -> u64 {
    const OFFSET: u64 = 0xCBF2_9CE4_8422_2325;
    const PRIME: u64 = 1_099_511_628_211;
    let mut h = OFFSET;
    for _ in 0..8 {
        h ^= v & 0xff;
        v >>= 8;
        h = h.wrapping_mul(PRIME);
    }
    (h as i64).wrapping_abs() as u64
}

/// sum_{i=st}^{n-1} 1 / (i+1)^theta, added to `initial`.
fn zeta(st: u64, n: u64, theta: f64, initial: f64) -> f64 {
    (st..n).fold(initial, |sum, i| sum + 1.0 / ((i + 1) as f64).powf(theta))
}

/// Zipfian over `[base, base + items)`: item `base` is the most popular.
#[derive(Debug, Clone)]
pub struct Zipfian {
    items: u64,
    base: u64,
    theta: f64,
    zeta2: f64,
    /// 1 + 0.5^theta: below it (times zeta) the second item is drawn.
    second: f64,
    alpha: f64,
    zetan: f64,
    eta: f64,
    count_for_zeta: u64,
}

impl Zipfian {
    /// Items `min..=max` with constant `theta`; computes zeta (O(items)).
    pub fn new(min: u64, max: u64, theta: f64) -> Zipfian {
        let items = max - min + 1;
        Zipfian::with_zetan(min, max, theta, zeta(0, items, theta, 0.0))
    }

    /// As [`Zipfian::new`] with a precomputed zeta(items, theta).
    pub fn with_zetan(min: u64, max: u64, theta: f64, zetan: f64) -> Zipfian {
        let items = max - min + 1;
        let zeta2 = zeta(0, 2, theta, 0.0);
        Zipfian {
            items,
            base: min,
            theta,
            zeta2,
            second: 1.0 + 0.5f64.powf(theta),
            alpha: 1.0 / (1.0 - theta),
            zetan,
            eta: (1.0 - (2.0 / items as f64).powf(1.0 - theta)) / (1.0 - zeta2 / zetan),
            count_for_zeta: items,
        }
    }

    /// The next value over the first `item_count` items (YCSB's
    /// `nextLong(itemcount)`): zeta grows with the count, never shrinks.
    pub fn next(&mut self, rng: &mut SmallRng, item_count: u64) -> u64 {
        if item_count > self.count_for_zeta {
            self.zetan = zeta(self.count_for_zeta, item_count, self.theta, self.zetan);
            self.count_for_zeta = item_count;
            self.eta = (1.0 - (2.0 / self.items as f64).powf(1.0 - self.theta))
                / (1.0 - self.zeta2 / self.zetan);
        }
        let u = unit(rng);
        let uz = u * self.zetan;
        if uz < 1.0 {
            return self.base;
        }
        if uz < self.second {
            return self.base + 1;
        }
        self.base + (item_count as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64
    }

    /// The next value over all items.
    pub fn next_all(&mut self, rng: &mut SmallRng) -> u64 {
        let n = self.items;
        self.next(rng, n)
    }
}

/// YCSB's ScrambledZipfianGenerator over `min..=max`.
#[derive(Debug, Clone)]
pub struct ScrambledZipfian {
    min: u64,
    item_count: u64,
    gen: Zipfian,
}

impl ScrambledZipfian {
    /// Keys `min..=max`, zipfian constant 0.99 (any other constant pays an
    /// O(10^10) zeta computation in YCSB; here it is refused by the caller).
    pub fn new(min: u64, max: u64) -> ScrambledZipfian {
        ScrambledZipfian {
            min,
            item_count: max - min + 1,
            gen: Zipfian::with_zetan(0, SCRAMBLED_ITEMS, ZIPFIAN_CONSTANT, SCRAMBLED_ZETAN),
        }
    }

    /// The next key number.
    #[inline]
    pub fn next(&mut self, rng: &mut SmallRng) -> u64 {
        let v = self.gen.next_all(rng);
        self.min + fnv_hash64(v) % self.item_count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn fnv_matches_ycsb_reference_values() {
        // FNV-1a 64 of eight zero bytes, then made non-negative.
        let mut h: u64 = 0xCBF2_9CE4_8422_2325;
        for _ in 0..8 {
            h = h.wrapping_mul(1_099_511_628_211);
        }
        assert_eq!(fnv_hash64(0), (h as i64).wrapping_abs() as u64);
        assert_ne!(fnv_hash64(1), fnv_hash64(256));
    }

    #[test]
    fn zipfian_rank_frequencies_follow_the_law() {
        // P(rank i) = (1/i^theta) / zeta(n). Gray et al.'s method is exact
        // for the two most popular items and approximates the rest, so the
        // check is exact-ish for those and on the mass of the head.
        let n = 1000;
        let mut z = Zipfian::new(0, n - 1, ZIPFIAN_CONSTANT);
        let mut rng = SmallRng::seed_from_u64(1);
        let draws = 200_000;
        let mut counts = vec![0u32; n as usize];
        for _ in 0..draws {
            counts[z.next_all(&mut rng) as usize] += 1;
        }
        let zn = zeta(0, n, ZIPFIAN_CONSTANT, 0.0);
        let p = |rank: u64| 1.0 / ((rank + 1) as f64).powf(ZIPFIAN_CONSTANT) / zn;
        for (rank, &count) in counts.iter().enumerate().take(2) {
            let expected = draws as f64 * p(rank as u64);
            let got = f64::from(count);
            assert!(
                (got - expected).abs() < expected * 0.05,
                "rank {rank}: {got} vs {expected}"
            );
        }
        let head: f64 = counts.iter().take(100).map(|&c| f64::from(c)).sum();
        let expected: f64 = draws as f64 * (0..100).map(p).sum::<f64>();
        assert!(
            (head - expected).abs() < expected * 0.1,
            "top 100: {head} vs {expected}"
        );
    }

    #[test]
    fn scrambled_stays_in_range_and_is_skewed() {
        let mut z = ScrambledZipfian::new(100, 1099);
        let mut rng = SmallRng::seed_from_u64(2);
        let mut counts = std::collections::HashMap::new();
        for _ in 0..100_000 {
            let v = z.next(&mut rng);
            assert!((100..=1099).contains(&v));
            *counts.entry(v).or_insert(0u32) += 1;
        }
        let max = counts.values().max().copied().unwrap_or(0);
        // Uniform would give ~100 per key; the hottest key gets far more.
        assert!(max > 1000, "hottest key drawn {max} times");
    }
}
