//! YCSB's number generators, as its CoreWorkload uses them.
//!
//! - [`Zipfian`]: Gray et al.'s "Quickly generating billion-record
//!   synthetic databases" algorithm as YCSB implements it, with the zeta
//!   constant extended incrementally when the item count grows.
//! - [`ScrambledZipfian`]: a zipfian over 10^10 items (YCSB's precomputed
//!   zeta for constant 0.99; for another constant, zeta from the
//!   Euler-Maclaurin formula instead of YCSB's 10^10-term sum) hashed with
//!   FNV-1a 64 into the key range, so the popular keys are spread over the
//!   key space instead of clustered.
//! - Skewed-latest, uniform, hotspot, sequential and exponential choices are
//!   small enough to live in [`super::stream`] next to their use.

use rand::rngs::SmallRng;
use rand::RngCore;

/// YCSB's zipfian constant.
pub const ZIPFIAN_CONSTANT: f64 = 0.99;
/// Items of the scrambled zipfian's underlying distribution (YCSB's
/// `ITEM_COUNT`; its generator is built over `0..=ITEM_COUNT`).
pub const SCRAMBLED_ITEMS: u64 = 10_000_000_000;
/// zeta(10^10, 0.99), as YCSB hard-codes it (`ZETAN`).
pub const SCRAMBLED_ZETAN: f64 = 26.469_028_201_783_02;

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

/// sum_{i=st}^{n-1} 1 / (i+1)^theta, added to `initial` (YCSB's
/// `zetastatic`).
fn zeta(st: u64, n: u64, theta: f64, initial: f64) -> f64 {
    (st..n).fold(initial, |sum, i| sum + 1.0 / ((i + 1) as f64).powf(theta))
}

/// zeta(n, theta) = sum_{i=1}^{n} 1 / i^theta, summed term by term.
pub fn zeta_sum(n: u64, theta: f64) -> f64 {
    zeta(0, n, theta, 0.0)
}

/// Terms summed exactly by [`zeta_large`] before the Euler-Maclaurin tail.
const EM_HEAD: u64 = 10_000;

/// zeta(n, theta) for any `n` in O(10^4): the first 10^4 terms summed, the
/// rest by the Euler-Maclaurin formula up to the third-derivative term
/// (error below 1e-20 for theta in (0, 1)). YCSB sums all 10^10 terms when
/// a scrambled zipfian has a constant other than 0.99; this gives the same
/// number to within that sum's own rounding.
pub fn zeta_large(n: u64, theta: f64) -> f64 {
    if n <= EM_HEAD {
        return zeta_sum(n, theta);
    }
    let a = EM_HEAD as f64;
    let b = n as f64;
    let f = |x: f64| x.powf(-theta);
    let f1 = |x: f64| -theta * x.powf(-theta - 1.0);
    let f3 = |x: f64| -theta * (theta + 1.0) * (theta + 2.0) * x.powf(-theta - 3.0);
    // integral_a^b x^-theta dx, written with expm1 so theta near 1 keeps
    // its precision.
    let s = 1.0 - theta;
    let integral = a.powf(s) * (s * (b.ln() - a.ln())).exp_m1() / s;
    zeta_sum(EM_HEAD - 1, theta) + integral + (f(a) + f(b)) / 2.0 + (f1(b) - f1(a)) / 12.0
        - (f3(b) - f3(a)) / 720.0
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
    /// Keys `min..=max` with zipfian constant `theta`: YCSB's hard-coded
    /// zeta for 0.99, [`zeta_large`] for any other constant.
    pub fn new(min: u64, max: u64, theta: f64) -> ScrambledZipfian {
        let zetan = if theta == ZIPFIAN_CONSTANT {
            SCRAMBLED_ZETAN
        } else {
            zeta_large(SCRAMBLED_ITEMS + 1, theta)
        };
        ScrambledZipfian {
            min,
            item_count: max - min + 1,
            gen: Zipfian::with_zetan(0, SCRAMBLED_ITEMS, theta, zetan),
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

    /// FNV-1a 64 over bytes, from its definition.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
        })
    }

    #[test]
    fn fnv_is_fnv1a_64_over_the_little_endian_bytes() {
        // The published FNV-1a 64 test vectors pin the offset basis and
        // the prime that `fnv1a` (and so `fnv_hash64`) must use.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
        // YCSB hashes the 8 bytes of the long, low byte first, then takes
        // Math.abs of the signed result.
        for v in [0u64, 1, 255, 256, 1000, 123_456_789, 1 << 40] {
            let h = fnv1a(&v.to_le_bytes()) as i64;
            assert_eq!(fnv_hash64(v), h.unsigned_abs(), "v = {v}");
            assert!(fnv_hash64(v) <= i64::MAX as u64 + 1);
        }
    }

    #[test]
    fn scrambled_stays_in_range_and_is_skewed() {
        let mut z = ScrambledZipfian::new(100, 1099, ZIPFIAN_CONSTANT);
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
