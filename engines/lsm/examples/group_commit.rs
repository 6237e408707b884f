//! How many writes one WAL fsync covers with concurrent `sync=always`
//! writers, on the real filesystem: a measurement, not a test (the sharing
//! depends on scheduling and on the disk's fsync latency).
//!
//! `cargo run --release -p lsm --example group_commit -- [threads] [puts per thread]`

use std::sync::Arc;
use std::time::Instant;

use engine_core::{Options, Purpose, Vfs};

fn main() {
    let mut args = std::env::args().skip(1);
    let threads: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(4);
    let puts: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let vfs = Vfs::os();
    let opts = Options::parse("sync=always,background=false").expect("valid options");
    let db: Arc<dyn engine_core::Engine> =
        Arc::from(lsm::open(&vfs, dir.path(), &opts).expect("open"));
    let before = vfs.stats().snapshot();
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let db = Arc::clone(&db);
            std::thread::spawn(move || {
                for i in 0..puts {
                    let key = format!("t{t}-k{i:08}");
                    db.put(key.as_bytes(), &[b'v'; 100]).expect("put");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a writer thread");
    }
    let secs = start.elapsed().as_secs_f64();
    let io = vfs.stats().snapshot().since(&before).purpose(Purpose::Wal);
    let total = u64::from(threads) * u64::from(puts);
    println!(
        "threads={threads} puts={total} wal_syncs={} puts_per_sync={:.2} wal_bytes={} puts_per_s={:.0}",
        io.syncs,
        total as f64 / io.syncs.max(1) as f64,
        io.write_bytes,
        total as f64 / secs
    );
}
