//! `harness overhead` on a small toy workload: the loops run the same
//! operations and the figures are consistent. (The real figure is printed
//! by `harness overhead`; timings are never asserted.)

mod common;

use common::Toy;

#[test]
fn overhead_measures_both_loops() {
    let n: u64 = std::env::var("OVERHEAD_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let o = harness::overhead::measure(&Toy::new(10_000, n), 2).expect("measured");
    println!("{}", o.render());
    assert_eq!(o.operations, n);
    assert!(o.bare_ns > 0.0 && o.replay_ns > 0.0 && o.full_ns > 0.0);
    assert!(o.generator_ns > 0.0 && o.timing_ns > 0.0 && o.live_ns > 0.0);
    assert!((0.0..1.0).contains(&o.share()));
    assert!(o.render().contains("harness share"));
}
