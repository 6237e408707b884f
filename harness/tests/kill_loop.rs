//! Kill loops against the real kernel: a child process writes with
//! `sync=always` and prints every acknowledged write; the parent kills it
//! with SIGKILL at a random moment, checks the directory with the engine's
//! verifier, reopens it, and checks that every acknowledged write is there,
//! the write in flight is there or not, and nothing else changed; then the
//! next child continues on the same directory.
//!
//! `KILL_CYCLES` sets the cycles per engine (default 3, what `make test`
//! runs); `make crash-loop` runs 100. `KILL_ENGINES` (names, comma
//! separated) limits the loop to some engines. Small segment, memtable and file
//! sizes make merges, flushes and compactions happen between kills, so
//! kills land inside them too.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use engine_core::{Options, Vfs};
use harness::crash_child::{op, KEYS};
use harness::registry::{builtin, EngineInfo, EngineSpec};
use rand::{Rng, SeedableRng};

type Model = HashMap<Vec<u8>, Option<Vec<u8>>>;

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

/// Run one child until killed; returns how many writes it acknowledged.
fn one_child(spec: &str, dir: &std::path::Path, seed: u64, kill_after: Duration) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["crash-child", "--engine", spec, "--seed", &seed.to_string()])
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
    let mut acked = 0;
    for line in out.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let i: u64 = line.trim().parse().expect("an index per line");
        assert_eq!(i, acked, "{spec}: acknowledgements out of order");
        acked += 1;
    }
    acked
}

fn check_engine(info: &EngineInfo, cycles: u64) -> u64 {
    let spec_str = small_sizes(info);
    let spec = EngineSpec::parse(&spec_str).expect("registry spec");
    let options = Options::new().with("sync", "always").merged(&spec.options);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("db");
    let mut model: Model = HashMap::new();
    let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
    let mut checked = 0;
    for cycle in 0..cycles {
        let seed = cycle + 1;
        let kill_after = Duration::from_millis(rng.gen_range(50..400));
        let acked = one_child(&spec_str, &dir, seed, kill_after);
        for i in 0..acked {
            let (k, v) = op(seed, i);
            model.insert(k, v);
        }
        let (in_flight_key, in_flight_value) = op(seed, acked);
        if let Some(verify) = info.verify {
            let report = verify(&Vfs::os(), &dir, &options).expect("verify runs");
            assert!(
                report.is_clean(),
                "{spec_str} cycle {cycle}: verify: {report:?}"
            );
        }
        let db = spec
            .open(&Vfs::os(), &dir, &options)
            .expect("reopen after kill");
        for n in 0..KEYS {
            let key = format!("key{n:05}").into_bytes();
            let got = db.get(&key).expect("get after kill");
            let want = model.get(&key).cloned().flatten();
            if key == in_flight_key && got != want {
                assert_eq!(
                    got, in_flight_value,
                    "{spec_str} cycle {cycle}: in-flight key"
                );
                model.insert(key, got);
                continue;
            }
            assert_eq!(
                got.as_deref().map(String::from_utf8_lossy),
                want.as_deref().map(String::from_utf8_lossy),
                "{spec_str} cycle {cycle}: key{n:05} after {acked} acknowledged writes"
            );
        }
        db.put(b"key-after", &cycle.to_le_bytes())
            .expect("accepts writes after recovery");
        drop(db);
        checked += acked;
    }
    checked
}

#[test]
fn every_persistent_engine_survives_sigkill() {
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
        let checked = check_engine(info, cycles);
        eprintln!(
            "kill loop: {}: {cycles} cycles, {checked} acknowledged writes checked, none lost",
            info.name
        );
    }
}
