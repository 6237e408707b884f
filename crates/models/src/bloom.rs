//! Bloom filter false positives.
//!
//! Source: B. H. Bloom, "Space/time trade-offs in hash coding with
//! allowable errors", CACM 13(7), 1970, and the standard approximation of
//! its false-positive probability: after `n` keys are inserted into `m`
//! bits with `k` independent hash functions, a given bit is still zero
//! with probability `(1 - 1/m)^(kn) ~ e^(-kn/m)`, and an absent key is
//! reported present when all its `k` bits are set:
//!
//! ```text
//! fpr = (1 - e^(-k n / m))^k = (1 - e^(-k / b))^k,   b = m / n bits per key
//! ```
//!
//! which is smallest at `k = b ln 2`, where it is `(1/2)^k ~ 0.6185^b`.
//!
//! Assumptions: the hashes behave as independent and uniform (the engine
//! derives its `k` probes from one 64-bit hash by double hashing, Kirsch
//! and Mitzenmacher 2006, which keeps this rate); `b` is the filter's
//! actual bits per key (the engine rounds the bit array up to whole bytes
//! and at least 64 bits, which only matters for tiny tables). The engine
//! picks `k = round(b ln 2)` clamped to `1..=30` (`engines/lsm/src/bloom.rs`,
//! `probes_for`), restated in [`probes_for`].

/// The engine's probe count for `bits_per_key`: `round(b ln 2)`, in `1..=30`
/// (restated from `engines/lsm/src/bloom.rs`).
pub fn probes_for(bits_per_key: u32) -> u32 {
    ((f64::from(bits_per_key) * std::f64::consts::LN_2).round() as u32).clamp(1, 30)
}

/// `(1 - e^(-k/b))^k`: the false-positive rate at `b` bits per key and `k`
/// probes. `b = 0` means no filter: every probe says "maybe", rate 1.
pub fn false_positive_rate(bits_per_key: f64, probes: u32) -> f64 {
    if bits_per_key <= 0.0 {
        return 1.0;
    }
    let k = f64::from(probes);
    (1.0 - (-k / bits_per_key).exp()).powi(probes as i32)
}

/// The rate the engine's filters have at `bits_per_key` (its own `k`); 1
/// with filters off (`bloom_bits=0`).
pub fn engine_false_positive_rate(bits_per_key: u32) -> f64 {
    if bits_per_key == 0 {
        return 1.0;
    }
    false_positive_rate(f64::from(bits_per_key), probes_for(bits_per_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values computed by hand from the formula (0.0082 at 10 bits per key
    /// is the figure LevelDB and RocksDB quote for their 10-bit filters).
    #[test]
    fn rates_match_hand_computed_values() {
        // b = 10, k = 7: e^-0.7 = 0.496585, (1 - 0.496585)^7 = 0.503415^7
        // = 0.0081937.
        assert!((false_positive_rate(10.0, 7) - 0.0081937).abs() < 1e-6);
        // b = 5, k = 3: e^-0.6 = 0.548812, 0.451188^3 = 0.0918488.
        assert!((false_positive_rate(5.0, 3) - 0.0918488).abs() < 1e-6);
        // b = 16, k = 11: e^-0.6875 = 0.502798, 0.497202^11 = 0.00045871.
        assert!((false_positive_rate(16.0, 11) - 0.00045871).abs() < 1e-7);
        // One probe, one bit per key: 1 - e^-1 = 0.632121.
        assert!((false_positive_rate(1.0, 1) - 0.632121).abs() < 1e-6);
    }

    #[test]
    fn engine_probes_and_no_filter() {
        assert_eq!(probes_for(10), 7);
        assert_eq!(probes_for(5), 3);
        assert_eq!(probes_for(1), 1);
        assert_eq!(probes_for(64), 30);
        assert_eq!(engine_false_positive_rate(0), 1.0);
        assert!((engine_false_positive_rate(10) - 0.0081937).abs() < 1e-6);
    }

    /// At the optimal k = b ln 2 the rate is about 0.6185^b.
    #[test]
    fn optimal_k_is_about_0_6185_to_the_b() {
        for b in [8u32, 12, 20] {
            let k = probes_for(b);
            let approx = 0.6185f64.powi(b as i32);
            let got = false_positive_rate(f64::from(b), k);
            assert!(
                (got / approx - 1.0).abs() < 0.05,
                "b={b}: {got} vs {approx}"
            );
        }
    }
}
