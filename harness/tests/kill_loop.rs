//! Kill loops against the real kernel: a child process writes and prints
//! every acknowledged write; the parent kills it with SIGKILL at a random
//! moment, checks the directory with the engine's verifier, reopens it, and
//! checks that the writes that survived are a prefix of the write order (no
//! holes) that contains every durable one, and nothing else changed; then
//! the next child continues on the same directory. Two loops: with
//! `sync=always` every acknowledged write is durable (the write in flight
//! may or may not be there); with `sync=never` and a `sync()` every
//! [`SYNC_EVERY`] writes, every write before the last completed `sync()` is
//! durable and any prefix of the later ones may survive.
//!
//! `KILL_CYCLES` sets the cycles per engine (default 3, what `make test`
//! runs); `make crash-loop` runs 100. `KILL_ENGINES` (names, comma
//! separated) limits the loop to some engines. Small segment, memtable and file
//! sizes make merges, flushes and compactions happen between kills, so
//! kills land inside them too.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use engine_core::{Options, Vfs};
use harness::crash_child::{op, KEYS};
use harness::registry::{builtin, EngineInfo, EngineSpec};
use rand::{Rng, SeedableRng};

type Model = HashMap<Vec<u8>, Option<Vec<u8>>>;

/// Writes between two `sync()` calls in the `sync=never` loop.
const SYNC_EVERY: u64 = 16;

/// What a killed child told us: writes acknowledged, and of those, how many
/// a completed `sync()` made durable.
struct Acked {
    writes: u64,
    durable: u64,
}

/// Options that make the engine's background work frequent.
fn small_sizes(info: &EngineInfo) -> String {
    let mut opts = Vec::new();
    for (name, value) in [
        ("segment_bytes", "8192"),
        ("memtable_bytes", "8192"),
        ("target_file_bytes", "8192"),
        ("cache_pages", "64"),
        ("checkpoint_bytes", "8192"),
    ] {
        if info.has_option(name) {
            opts.push(format!("{name}={value}"));
        }
    }
    if opts.is_empty() {
        info.name.to_string()
    } else {
        format!("{}:{}", info.name, opts.join(","))
    }
}

/// Run one child until killed; returns what it acknowledged.
fn one_child(
    spec: &str,
    dir: &std::path::Path,
    seed: u64,
    sync_every: u64,
    kill_after: Duration,
) -> Acked {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["crash-child", "--engine", spec, "--seed", &seed.to_string()])
        .args(["--sync-every", &sync_every.to_string()])
        .arg("--data-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the crash child");
    std::thread::sleep(kill_after);
    // Child::kill sends SIGKILL on Unix: no destructor, no flush, no close.
    let _ = child.kill();
    let status = child.wait().expect("wait for the child");
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("piped stdout")
        .read_to_string(&mut out)
        .expect("read the child's output");
    let mut err = String::new();
    let _ = child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut err);
    assert!(
        status.code().is_none() || status.success(),
        "{spec}: child failed before the kill: {err}"
    );
    // Only whole lines count: a line cut by the kill was not acknowledged
    // to us (the write itself may have happened, like any in-flight write).
    let mut acked = Acked {
        writes: 0,
        durable: 0,
    };
    for line in out.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        if let Some(n) = line.trim().strip_prefix("S ") {
            acked.durable = n.parse().expect("a count after S");
            assert_eq!(
                acked.durable, acked.writes,
                "{spec}: sync line out of order"
            );
            continue;
        }
        let i: u64 = line.trim().parse().expect("an index per line");
        assert_eq!(i, acked.writes, "{spec}: acknowledgements out of order");
        acked.writes += 1;
    }
    if sync_every == 0 {
        acked.durable = acked.writes;
    }
    acked
}

/// The length `p` in `from..=to` of the prefix of stream `seed` that,
/// applied to `base`, gives `got` on every key; `None` if no prefix does
/// (a durable write lost, a hole, or a value never written).
fn surviving_prefix(base: &Model, got: &Model, seed: u64, from: u64, to: u64) -> Option<u64> {
    let mut cur = base.clone();
    for i in 0..from {
        let (k, v) = op(seed, i);
        cur.insert(k, v);
    }
    let holds = |cur: &Model, k: &Vec<u8>| cur.get(k).cloned().flatten() == got[k];
    let mut wrong: HashSet<Vec<u8>> = got.keys().filter(|k| !holds(&cur, k)).cloned().collect();
    for p in from..=to {
        if wrong.is_empty() {
            return Some(p);
        }
        let (k, v) = op(seed, p);
        cur.insert(k.clone(), v);
        if holds(&cur, &k) {
            wrong.remove(&k);
        } else {
            wrong.insert(k);
        }
    }
    None
}

/// Kill cycles on one engine; returns (writes acknowledged, durable ones)
/// over all cycles.
fn check_engine(info: &EngineInfo, cycles: u64, sync_every: u64) -> (u64, u64) {
    let spec_str = small_sizes(info);
    let spec = EngineSpec::parse(&spec_str).expect("registry spec");
    let sync = if sync_every == 0 { "always" } else { "never" };
    let options = Options::new().with("sync", sync).merged(&spec.options);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("db");
    let mut model: Model = HashMap::new();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    let (mut writes, mut durable) = (0, 0);
    for cycle in 0..cycles {
        let seed = cycle + 1;
        let kill_after = Duration::from_millis(rng.gen_range(50..400));
        let acked = one_child(&spec_str, &dir, seed, sync_every, kill_after);
        let ctx = format!(
            "{spec_str} sync={sync} cycle {cycle} (seed {seed}): {} writes acknowledged, {} durable",
            acked.writes, acked.durable
        );
        if let Some(verify) = info.verify {
            let report = verify(&Vfs::os(), &dir, &options).expect("verify runs");
            assert!(report.is_clean(), "{ctx}: verify: {report:?}");
        }
        let db = spec
            .open(&Vfs::os(), &dir, &options)
            .unwrap_or_else(|e| panic!("{ctx}: reopen after kill: {e}"));
        let got: Model = (0..KEYS)
            .map(|n| {
                let key = format!("key{n:05}").into_bytes();
                let v = db
                    .get(&key)
                    .unwrap_or_else(|e| panic!("{ctx}: get after kill: {e}"));
                (key, v)
            })
            .collect();
        // The write after the last acknowledged one may have been in flight.
        let survived = surviving_prefix(&model, &got, seed, acked.durable, acked.writes + 1)
            .unwrap_or_else(|| {
                panic!("{ctx}: no prefix of at least the durable writes explains the state after the kill: a durable write lost, a hole, or an invented value")
            });
        eprintln!("{ctx}: the first {survived} writes survived");
        model = got;
        db.put(b"key-after", &cycle.to_le_bytes())
            .and_then(|()| db.sync())
            .unwrap_or_else(|e| panic!("{ctx}: a write after recovery: {e}"));
        drop(db);
        writes += acked.writes;
        durable += acked.durable;
    }
    (writes, durable)
}

/// `KILL_CYCLES` (default 3) and the engines `KILL_ENGINES` chooses.
fn kill_loop(sync_every: u64) {
    let cycles: u64 = std::env::var("KILL_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let only: Option<Vec<String>> = std::env::var("KILL_ENGINES")
        .ok()
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect());
    let chosen = |name: &str| only.as_ref().map_or(true, |o| o.iter().any(|n| n == name));
    for info in builtin()
        .iter()
        .filter(|e| e.persistent && e.default && chosen(e.name))
    {
        let (writes, durable) = check_engine(info, cycles, sync_every);
        eprintln!(
            "kill loop: {} (sync_every {sync_every}): {cycles} cycles, {writes} acknowledged writes, {durable} durable, none lost, no holes",
            info.name
        );
    }
}

#[test]
fn every_persistent_engine_survives_sigkill() {
    kill_loop(0);
}

/// `sync=never` with a `sync()` every [`SYNC_EVERY`] writes.
#[test]
fn every_persistent_engine_survives_sigkill_at_sync_never() {
    kill_loop(SYNC_EVERY);
}

/// The prefix check itself: a state after some prefix passes (and says
/// which), a lost durable write or a hole does not.
#[test]
fn surviving_prefix_finds_prefixes_and_refuses_holes() {
    let base = Model::new();
    let state_after = |p: u64| {
        let mut m: Model = (0..KEYS)
            .map(|n| (format!("key{n:05}").into_bytes(), None))
            .collect();
        for i in 0..p {
            let (k, v) = op(9, i);
            m.insert(k, v);
        }
        m
    };
    assert_eq!(
        surviving_prefix(&base, &state_after(30), 9, 20, 40),
        Some(30)
    );
    // Fewer than the durable writes survived.
    assert_eq!(surviving_prefix(&base, &state_after(10), 9, 20, 40), None);
    // A hole: write 25 lost while the later ones survived.
    let mut hole = state_after(40);
    let (k, _) = op(9, 25);
    let earlier = (0..25).rev().map(|i| op(9, i)).find(|(key, _)| *key == k);
    let later = (26..40).any(|i| op(9, i).0 == k);
    if !later {
        hole.insert(k, earlier.and_then(|(_, v)| v));
        assert_eq!(surviving_prefix(&base, &hole, 9, 20, 40), None);
    }
}
