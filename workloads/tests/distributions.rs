//! The generators checked against their definitions, each with a tolerance
//! of five standard deviations of the count being compared (binomial for a
//! frequency, sd/sqrt(n) for a mean), so a correct generator fails with
//! probability below 1e-6 per check and a wrong one is caught. Seeds are
//! fixed, so the tests are also reproducible.

mod common;

use std::collections::HashMap;

use common::{args, assert_binomial, number, one, run_ops};
use rand::rngs::SmallRng;
use rand::SeedableRng;
use workloads::generators::{
    zeta_large, zeta_sum, Zipfian, SCRAMBLED_ITEMS, SCRAMBLED_ZETAN, ZIPFIAN_CONSTANT,
};
use workloads::OpType;

/// Key numbers are readable back from keys with these overrides.
const ORDERED: [&str; 2] = ["insertorder=ordered", "zeropadding=20"];

fn overrides<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    ORDERED
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

#[test]
fn zipfian_rank_frequencies_follow_the_law_and_gray_et_al() {
    // Zipf's law over n items: p(i) = (1 / i^theta) / zeta(n, theta).
    // Gray et al.'s generator (YCSB's) draws ranks 1 and 2 exactly with
    // these probabilities and ranks >= 3 by inverting an approximation of
    // the cumulative distribution: rank v + 1 (v >= 2) is drawn when u lies
    // in [max(F(v), c), F(v + 1)) with F(m) = 1 - (1 - (m/n)^(1-theta))/eta
    // and c = (1 + 0.5^theta) / zeta(n). So ranks 1-2 are checked against
    // the law, ranks 3-10 against the approximation they really follow
    // (17 % above the law at rank 3 for n = 1000, 1.5 % at rank 10).
    let (n, theta, draws) = (1000u64, 0.99, 1_000_000usize);
    let mut z = Zipfian::new(0, n - 1, theta);
    let mut rng = SmallRng::seed_from_u64(7);
    let mut counts = vec![0usize; n as usize];
    for _ in 0..draws {
        let v = z.next_all(&mut rng);
        assert!(v < n, "{v} out of range");
        counts[v as usize] += 1;
    }
    let zn = zeta_sum(n, theta);
    let law = |rank: u64| 1.0 / (rank as f64).powf(theta) / zn;
    let eta = (1.0 - (2.0 / n as f64).powf(1.0 - theta)) / (1.0 - zeta_sum(2, theta) / zn);
    let cdf = |m: u64| 1.0 - (1.0 - (m as f64 / n as f64).powf(1.0 - theta)) / eta;
    let c = (1.0 + 0.5f64.powf(theta)) / zn;
    for rank in 1..=10u64 {
        let v = rank - 1;
        let p = if rank <= 2 {
            law(rank)
        } else {
            (cdf(v + 1) - cdf(v).max(c)).max(0.0)
        };
        assert_binomial(&format!("rank {rank}"), counts[v as usize], draws, p);
        assert!(
            (p / law(rank) - 1.0).abs() < 0.18,
            "rank {rank}: the approximation strays from the law"
        );
    }
}

#[test]
fn zeta_matches_ycsb_constant_and_the_plain_sum() {
    // YCSB hard-codes zeta(10^10, 0.99) = 26.46902820178302 for the
    // scrambled zipfian; the Euler-Maclaurin sum must reproduce it.
    let z = zeta_large(SCRAMBLED_ITEMS, ZIPFIAN_CONSTANT);
    assert!(
        (z / SCRAMBLED_ZETAN - 1.0).abs() < 1e-9,
        "{z} vs {SCRAMBLED_ZETAN}"
    );
    for theta in [0.5, 0.8, 0.99, 0.999] {
        for n in [10_000u64, 10_001, 123_457] {
            let (a, b) = (zeta_large(n, theta), zeta_sum(n, theta));
            assert!(
                (a / b - 1.0).abs() < 1e-12,
                "theta {theta}, n {n}: {a} vs {b}"
            );
        }
    }
}

#[test]
fn zipfian_constant_is_settable() {
    // The hottest key's share under the scrambled zipfian: lower skew,
    // smaller share. 10^4 keys, so uniform would give each 0.01 %.
    let top_share = |theta: &str| {
        let prop = format!("zipfianconstant={theta}");
        let w = one(&args(
            &["ycsb-c"],
            &overrides(&["recordcount=10000", &prop]),
        ));
        let mut counts: HashMap<Vec<u8>, usize> = HashMap::new();
        for (_, key, _, _) in run_ops(&w, 1, 0, 20_000) {
            *counts.entry(key).or_default() += 1;
        }
        *counts.values().max().expect("ops") as f64 / 20_000.0
    };
    let (skewed, mild) = (top_share("0.99"), top_share("0.5"));
    // The hottest item of the underlying zipfian over 10^10 + 1 items:
    // 1/zeta, about 3.8 % at 0.99 and 0.001 % at 0.5 (plus what hashing
    // adds from other items landing on the same key).
    assert!(skewed > 0.03, "theta 0.99: top key {skewed}");
    assert!(mild < 0.005, "theta 0.5: top key {mild}");
    let e = workloads::resolve(&args(&["ycsb-c"], &["zipfianconstant=1.5"]))
        .expect_err("out of range")
        .to_string();
    assert!(e.contains("zipfianconstant"), "{e}");
}

#[test]
fn latest_favours_recent_inserts() {
    // SkewedLatest: a read picks distance d = last - key from a zipfian
    // over the `last` records (last = the newest record's number, growing
    // with every insert), so P(d = 0) = 1 / zeta(last) and P(d = 1) =
    // 0.5^theta / zeta(last), Gray et al.'s two exact ranks.
    let records = 10_000u64;
    let w = one(&args(
        &["ycsb-d"],
        &overrides(&["recordcount=10000", "operationcount=20000"]),
    ));
    let mut last = records - 1;
    let (mut reads, mut newest, mut second, mut near, mut far) = (0, 0, 0, 0, 0);
    for (kind, key, _, _) in run_ops(&w, 1, 0, 20_000) {
        let n = number(&key);
        match kind {
            OpType::Insert => {
                assert_eq!(n, last + 1, "inserts take the next record number");
                last = n;
            }
            OpType::Read => {
                assert!(n <= last, "read of {n}, not inserted yet (last {last})");
                reads += 1;
                match last - n {
                    0 => newest += 1,
                    1 => second += 1,
                    d if d < 10 => near += 1,
                    d if (5000..5010).contains(&d) => far += 1,
                    _ => {}
                }
            }
            other => panic!("ycsb-d has no {other:?}"),
        }
    }
    assert!(last > records + 800, "about 5 % inserts: last {last}");
    // zeta grows with `last`; the expected share lies between its values
    // at the start and the end of the run.
    let theta = ZIPFIAN_CONSTANT;
    let (z_start, z_end) = (zeta_sum(records - 1, theta), zeta_sum(last, theta));
    for (what, hits, weight) in [
        ("d = 0", newest, 1.0),
        ("d = 1", second, 0.5f64.powf(theta)),
    ] {
        let (hi, lo) = (weight / z_start, weight / z_end);
        let inside = |p: f64| {
            let sd = (reads as f64 * p * (1.0 - p)).sqrt();
            (hits as f64 - reads as f64 * p).abs() <= 5.0 * sd
        };
        let h = hits as f64 / reads as f64;
        assert!(
            inside(hi) || inside(lo) || (lo..=hi).contains(&h),
            "{what}: {hits} of {reads}, expected a share in [{lo:.4}, {hi:.4}]"
        );
    }
    // Recent records are read far more often than old ones: d in 2..10
    // against the same number of distances around 5000.
    assert!(near > 20 * far.max(1), "near {near}, far {far}");
}

#[test]
fn hotspot_sends_the_hot_fraction_of_operations_to_the_hot_set() {
    // HotspotIntegerGenerator: the first hotspotdatafraction of the key
    // range is hot; an operation goes there with probability
    // hotspotopnfraction, uniformly within each set.
    for (data, opn, hot) in [(0.2, 0.8, 2000u64), (0.1, 0.6, 1000)] {
        let (d, o) = (
            format!("hotspotdatafraction={data}"),
            format!("hotspotopnfraction={opn}"),
        );
        let w = one(&args(
            &["ycsb-c"],
            &overrides(&["requestdistribution=hotspot", "recordcount=10000", &d, &o]),
        ));
        let ops = run_ops(&w, 1, 0, 50_000);
        let keys: Vec<u64> = ops.iter().map(|o| number(&o.1)).collect();
        assert!(keys.iter().all(|&k| k < 10_000));
        let in_hot = keys.iter().filter(|&&k| k < hot).count();
        assert_binomial(
            &format!("hot share ({data}, {opn})"),
            in_hot,
            keys.len(),
            opn,
        );
        // Within the hot set, uniform: its lower half gets half of it.
        let low_half = keys.iter().filter(|&&k| k < hot / 2).count();
        assert_binomial("lower half of the hot set", low_half, in_hot, 0.5);
    }
}

#[test]
fn exponential_mean_and_percentile_follow_the_definition() {
    // YCSB: d = last - key = floor(X), X ~ Exp(gamma), gamma =
    // -ln(1 - percentile/100) / (recordcount x frac), redrawn while d >
    // last. So P(d = k) is proportional to e^(-gamma k) - e^(-gamma (k+1))
    // for k in 0..=last, and by construction `percentile` % of the
    // untruncated X fall below recordcount x frac.
    let records = 10_000u64;
    let w = one(&args(
        &["ycsb-c"],
        &overrides(&["requestdistribution=exponential", "recordcount=10000"]),
    ));
    let draws = 200_000;
    let d: Vec<f64> = run_ops(&w, 1, 0, draws)
        .iter()
        .map(|o| (records - 1 - number(&o.1)) as f64)
        .collect();
    let range = records as f64 * 0.857_142_857_1;
    let gamma = -(1.0f64 - 0.95).ln() / range;
    let weights: Vec<f64> = (0..records)
        .map(|k| (-gamma * k as f64).exp() - (-gamma * (k + 1) as f64).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    let mean: f64 = weights
        .iter()
        .enumerate()
        .map(|(k, w)| k as f64 * w)
        .sum::<f64>()
        / total;
    let var: f64 = weights
        .iter()
        .enumerate()
        .map(|(k, w)| (k as f64 - mean).powi(2) * w)
        .sum::<f64>()
        / total;
    let got = d.iter().sum::<f64>() / draws as f64;
    let tol = 5.0 * var.sqrt() / (draws as f64).sqrt();
    assert!((got - mean).abs() <= tol, "mean {got} vs {mean} +- {tol}");
    // The percentile: X < range, i.e. d <= floor(range), given d <= last.
    let cut = range.floor() as u64;
    let p = (1.0 - (-gamma * (cut + 1) as f64).exp()) / total;
    let below = d.iter().filter(|&&x| x <= cut as f64).count();
    assert_binomial("95th percentile", below, draws, p);
}

#[test]
fn uniform_covers_the_range_evenly() {
    let w = one(&args(
        &["ycsb-c"],
        &overrides(&["requestdistribution=uniform", "recordcount=1000"]),
    ));
    let mut counts = vec![0usize; 1000];
    for (_, key, _, _) in run_ops(&w, 1, 0, 100_000) {
        let n = number(&key) as usize;
        assert!(n < 1000, "{n} out of range");
        counts[n] += 1;
    }
    for (k, &c) in counts.iter().enumerate() {
        assert_binomial(&format!("key {k}"), c, 100_000, 0.001);
    }
}

#[test]
fn sequential_walks_the_range_and_wraps() {
    let w = one(&args(
        &["ycsb-c"],
        &overrides(&["requestdistribution=sequential", "recordcount=100"]),
    ));
    let got: Vec<u64> = run_ops(&w, 1, 0, 250)
        .iter()
        .map(|o| number(&o.1))
        .collect();
    let want: Vec<u64> = (0..250).map(|i| i % 100).collect();
    assert_eq!(got, want);
}

#[test]
fn field_lengths_follow_fieldlengthdistribution() {
    // One field, so a value's length is one draw.
    let lens = |dist: &str, min: u64, max: u64| -> Vec<usize> {
        let (d, lo, hi) = (
            format!("fieldlengthdistribution={dist}"),
            format!("minfieldlength={min}"),
            format!("fieldlength={max}"),
        );
        let w = one(&args(
            &["ycsb-a"],
            &[
                "fieldcount=1",
                "updateproportion=1",
                "readproportion=0",
                &d,
                &lo,
                &hi,
            ],
        ));
        run_ops(&w, 1, 0, 50_000).iter().map(|o| o.2).collect()
    };
    let uniform = lens("uniform", 10, 20);
    assert!(uniform.iter().all(|l| (10..=20).contains(l)));
    for v in 10..=20 {
        let hits = uniform.iter().filter(|&&l| l == v).count();
        assert_binomial(
            &format!("uniform length {v}"),
            hits,
            uniform.len(),
            1.0 / 11.0,
        );
    }
    // Zipfian over min..=max: the shortest length is the most popular,
    // with Gray et al.'s exact probabilities for the first two.
    let zipf = lens("zipfian", 1, 100);
    assert!(zipf.iter().all(|l| (1..=100).contains(l)));
    let z = zeta_sum(100, ZIPFIAN_CONSTANT);
    let ones = zipf.iter().filter(|&&l| l == 1).count();
    assert_binomial("zipfian length 1", ones, zipf.len(), 1.0 / z);
    let twos = zipf.iter().filter(|&&l| l == 2).count();
    assert_binomial(
        "zipfian length 2",
        twos,
        zipf.len(),
        0.5f64.powf(ZIPFIAN_CONSTANT) / z,
    );
    // Constant: fieldcount x fieldlength.
    assert!(lens("constant", 1, 77).iter().all(|&l| l == 77));
}
