//! # The conformance and crash test kit
//!
//! One definition of "correct" for every engine in the workbench. An engine
//! crate runs all of it with one line in its tests:
//!
//! ```ignore
//! engine_kit::conformance_suite!(kit, engine_kit::KitConfig {
//!     name: "my-engine",
//!     open: my_engine::open,
//!     persistent: true,
//!     options: "memtable_bytes=4096",
//!     option_table: my_engine::OPTIONS,
//!     option_values: &["compaction=tiered"],
//!     background: "background=true",
//!     known_failures: &[],
//! });
//! ```
//!
//! which expands to a module of `#[test]` functions, one per check, so a
//! failure names the check. Each check is also a plain function taking a
//! [`KitConfig`] and returning a [`Report`] or a [`KitFailure`]; the kit's own
//! self-test calls them directly on deliberately broken engines.
//!
//! ## The checks and what each proves
//!
//! | check | proves |
//! |---|---|
//! | [`check_model_sim`], [`check_model_os`] | seeded random puts, overwrites, deletes, gets and scans (random start and limit, `0` and `usize::MAX` included) return exactly what a `BTreeMap` does, with empty values, the empty key, binary keys with `0x00`/`0xff`, prefix keys and ~100 KB values, on the simulated and on the real filesystem |
//! | [`check_threads`] | several threads writing disjoint key ranges at once each read their own writes, and the final state is the union |
//! | [`check_reopen`] | (persistent) after `sync` and a clean close, a reopen sees exactly the state, over several cycles |
//! | [`check_crash_sync_always`] | (persistent) a crash at every storage mutation (`KIT_LONG=1`; a spread sample of 500+ otherwise) of a `sync=always` workload of thousands of operations, in every crash mode, loses no acknowledged write, invents nothing and leaves no hole; the engine then takes writes and reopens again |
//! | [`check_crash_sync_never`] | the same with `sync=never` and a `sync()` every few dozen writes |
//! | [`check_double_crash`] | (persistent) a crash at each mutation of *recovery* itself, then a second recovery, satisfies the same oracle |
//! | [`check_torn_tail`] | (persistent) a power loss with unsynced writes torn at a random byte, zero-filled or turned to garbage never costs a synced write |
//! | [`check_bit_flips`] | (persistent) a bit flipped anywhere in any file of a cleanly closed engine makes reads return the right data or [`Error::Corruption`](engine_core::Error::Corruption), never wrong data, a panic or an endless loop of I/O |
//! | [`check_io_errors`] | (persistent) an I/O error injected at the N-th storage call reaches the caller; the engine keeps answering correctly or refuses; after a reopen every acknowledged write is there |
//! | [`check_failed_sync`] | (persistent) after a failed fsync, `sync()` and `sync=always` writes fail and later writes are refused until a reopen, which loses nothing acknowledged |
//! | [`check_page_drops`] | (persistent) a crash at spread points of a `sync=always` and a `sync=never` workload that keeps or drops each unsynced 4 KiB page of each file independently ([`CrashMode::DropPages`](engine_core::vfs::CrashMode::DropPages): zeros or old bytes before pages that survived) loses nothing synced, leaves no hole, and the engine opens: refusing to open after a power loss is a failure even at `sync=never` |
//! | [`check_option_reopen`] | (persistent) reopened with each option of `COMMON_OPTIONS` (but `sync`) and of [`KitConfig::option_table`] changed, one at a time (bools flipped, numbers doubled and halved, [`KitConfig::option_values`]), the engine serves the same data and takes writes, or refuses with an error naming the option; either way a reopen with the original options shows the data intact and takes writes |
//! | [`check_crashed_bit_flips`] | (persistent) a bit flipped anywhere in a directory left by a crash (kill -9: synced data, an unsynced tail, no clean close) at spread points of a `sync=never` workload is reported as corruption, or the engine reads a state the crash oracle allows; the one tolerance is a flip no engine can tell from a torn tail (see below) |
//! | [`check_crash_background`] | (persistent, [`KitConfig::background`] set) the `sync=always` and `sync=never` sweeps with the engine's background threads on; not deterministic, so points past a replay's end are skipped |
//! | [`check_contract`] | an unknown option is [`Error::UnknownOption`](engine_core::Error::UnknownOption) naming it; an oversized key is [`Error::TooLarge`](engine_core::Error::TooLarge) (persistent engines; an in-memory engine may accept it); an unwritable directory is a clear error naming it |
//!
//! Checks that need a disk report themselves as skipped for an engine with
//! `persistent: false`.
//!
//! ## The oracle
//!
//! See [`oracle`]: the acknowledged-durable state plus the writes in flight;
//! after recovery the state must be that after some prefix of the writes that
//! includes every durable one. Reads are checked both by a full scan and by a
//! point read of every key the workload touched.
//!
//! ## Crash points and modes
//!
//! A crash point is the N-th mutating call of the simulated filesystem
//! ([`SimFs::crash_at_mutation`](engine_core::vfs::SimFs::crash_at_mutation)):
//! writes, truncations, file and directory syncs, renames, removals and
//! creating opens. Creating the engine counts, so early points crash inside
//! the first open. Each point replays the workload from scratch on a fresh
//! filesystem (the workload is generated up front from a seed, so a replay
//! makes the same calls) and crashes in the next of the four
//! [`CrashMode`](engine_core::vfs::CrashMode)s in rotation (drop, tear, zero-fill,
//! garbage). [`check_page_drops`] crashes in `DropPages` only, and
//! [`check_crashed_bit_flips`] in `ProcessKill`; neither joins the rotation,
//! so each failure names the mode that found it.
//!
//! ## Modes: normal and `KIT_LONG=1`
//!
//! Replaying the workload for every point costs time quadratic in its length.
//! Normally each sweep takes the first few dozen points (creation) and then a
//! fixed number spread evenly over the rest, so an engine's whole kit stays
//! within a minute or so at opt-level 2 (measured: about 11 s of one core
//! per LSM preset, 6 s for the self-test's toy log). With `KIT_LONG=1` in the environment
//! (`make test-long`) every sweep visits every point, double crashes crash at
//! every point of recovery, and the fault checks take many more offsets. The
//! reports print how many points were visited.
//!
//! | variable | effect |
//! |---|---|
//! | `KIT_LONG=1` | every crash point of the same workloads, every point of recovery in double crashes, more seeds, flip offsets and fault points |
//! | `KIT_CRASH_POINTS=N` | spread N crash points per sweep instead of 500 (normal mode) |
//!
//! Every sweep fails if fewer than half its planned points were reached (a
//! workload that stopped touching storage would otherwise pass vacuously),
//! and a `sync=always` sweep fails if its writes made fewer storage
//! mutations than there are writes.
//!
//! ## What an engine needs to pass
//!
//! Beyond the obvious (checksums on everything read back, fsync before
//! acknowledging, refuse writes after a failed fsync, ordered file-set
//! changes), one thing is easy to miss. After a crash, a log's damaged last
//! record is indistinguishable from an unsynced tail, and dropping it is
//! right. After a *sync* it is not: it was durable, and dropping it loses
//! an acknowledged write, which the bit-flip checks catch. So a log must
//! leave evidence of what it made durable: the shared
//! [`LogWriter`](engine_core::log::LogWriter) writes a sync marker after each of
//! its fsyncs and seals a log it closes (see [`engine_core::log`]), and its
//! reader calls a damaged record corruption exactly when a later marker
//! vouches for it, a torn tail otherwise (zeros followed by valid records
//! included: that is what a dropped unsynced page leaves). The self-test's
//! toy engine (`engines/kit/tests/kit_selftest.rs`) shows the smallest
//! engine that passes everything.
//!
//! ## Known failures
//!
//! When a check finds a real bug in an engine that cannot be fixed at once,
//! the engine's kit line lists it in [`KitConfig::known_failures`] as
//! `"check_name: cause"`. That check's test then passes only while the check
//! fails (printing the failure); once the bug is fixed it turns red and asks
//! for the entry's removal. An entry naming no check is refused. A listed
//! check that passes is run again, up to five times in all, before its
//! passing counts: with background threads a check is not deterministic.
//!
//! ## Flips in crashed directories
//!
//! After a crash, a damaged last record of a log with nothing valid after
//! it is indistinguishable from a write the crash cut, and dropping it is
//! what recovery must do. [`check_crashed_bit_flips`] tolerates such a flip
//! only if (a) the writes lost are at most those of the last completed
//! `sync()` batch, and (b) the engine reads exactly the same state when the
//! file is cut at the flipped byte instead: it took the damage for a torn
//! tail at that point, not for the end of everything after it. The report
//! counts these flips.
//!
//! ## Bit flips and what they cannot prove
//!
//! A flip in bytes the engine never reads (padding, an unused tail, a
//! superseded copy of a value, an obsolete file) goes unnoticed, and that is
//! fine: the check demands right data or a corruption error, not detection.
//! A loop that burns CPU without doing I/O cannot be bounded by a test; the
//! check bounds storage calls.

mod contract;
mod crash;
mod faults;
mod model;
pub mod oracle;
mod wider;
pub mod workload;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use engine_core::engine::{Engine, OpenFn};
use engine_core::error::Result;
use engine_core::options::{OptionSpec, Options};
use engine_core::vfs::Vfs;

pub use contract::check_contract;
pub use crash::{
    check_crash_background, check_crash_sync_always, check_crash_sync_never, check_double_crash,
    check_page_drops, check_torn_tail,
};
pub use faults::{check_bit_flips, check_failed_sync, check_io_errors};
pub use model::{check_model_direct, check_model_os, check_model_sim, check_reopen, check_threads};
pub use wider::{check_crashed_bit_flips, check_option_reopen};

/// What the kit needs to know about an engine.
#[derive(Clone, Copy)]
pub struct KitConfig {
    /// Name used in messages.
    pub name: &'static str,
    /// How to open (or recover) the engine.
    pub open: OpenFn,
    /// Whether the engine keeps its data across a reopen. Checks about
    /// durability, crashes and files skip engines that do not.
    pub persistent: bool,
    /// Extra `key=value,...` options applied to every open, e.g. small
    /// buffers so that short workloads reach flushes and compactions. The
    /// kit's own `sync=...` settings are applied after these.
    pub options: &'static str,
    /// The engine's own option table (its `OPTIONS`, without
    /// [`COMMON_OPTIONS`](engine_core::options::COMMON_OPTIONS), which the kit adds):
    /// [`check_option_reopen`] changes each of them, one at a time.
    pub option_table: &'static [OptionSpec],
    /// `key=value` changes to try besides the ones the kit derives (a bool
    /// flipped, a number doubled and halved); an option whose value the kit
    /// cannot derive (an enum such as `compaction`) must have one here. A
    /// value equal to the configured one is skipped.
    pub option_values: &'static [&'static str],
    /// Options that move the engine's work onto background threads
    /// (`"background=true"`) for [`check_crash_background`]; empty when the
    /// engine has none, or `options` already turns them on.
    pub background: &'static str,
    /// Checks this engine is known to fail, each `"check_name: cause"`
    /// (the name without `check_`). Their tests assert that the check still
    /// fails, so a fix turns them red until the entry is removed.
    pub known_failures: &'static [&'static str],
}

impl fmt::Debug for KitConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KitConfig")
            .field("name", &self.name)
            .field("persistent", &self.persistent)
            .field("options", &self.options)
            .field("background", &self.background)
            .field("known_failures", &self.known_failures)
            .finish_non_exhaustive()
    }
}

impl KitConfig {
    /// Open the engine with its configured options plus `extra`.
    pub fn open_with(&self, vfs: &Vfs, dir: &Path, extra: &str) -> Result<Box<dyn Engine>> {
        (self.open)(vfs, dir, &self.options_with(extra))
    }

    /// The configured options overridden by `extra`. A malformed string is a
    /// bug in the engine's test, so it panics naming it.
    pub fn options_with(&self, extra: &str) -> Options {
        let base = Options::parse(self.options)
            .unwrap_or_else(|e| panic!("KitConfig.options of {}: {e}", self.name));
        let extra = Options::parse(extra).unwrap_or_else(|e| panic!("kit options {extra}: {e}"));
        base.merged(&extra)
    }
}

/// What a passing check did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The check's function name (`check_reopen`, ...), as in the test name.
    pub check: &'static str,
    /// False when the check does not apply to the engine.
    pub ran: bool,
    /// Crash points (or fault points, flips, cycles) visited and survived.
    pub points: u64,
    /// Engine operations issued.
    pub ops: u64,
    /// Free-form detail for the log.
    pub detail: String,
}

impl Report {
    fn new(check: &'static str) -> Report {
        Report {
            check,
            ran: true,
            ..Report::default()
        }
    }

    fn skipped(check: &'static str, why: &str) -> Report {
        Report {
            check,
            ran: false,
            detail: why.into(),
            ..Report::default()
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.ran {
            return write!(f, "{}: skipped ({})", self.check, self.detail);
        }
        write!(
            f,
            "{}: {} points survived, {} operations",
            self.check, self.points, self.ops
        )?;
        if !self.detail.is_empty() {
            write!(f, "; {}", self.detail)?;
        }
        Ok(())
    }
}

/// A failed check: which, and what went wrong, with enough context (seed,
/// crash point, mode, key) to replay it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KitFailure {
    /// The check that failed, by its function name.
    pub check: &'static str,
    /// What went wrong, with the seed and point needed to replay it.
    pub message: String,
}

impl fmt::Display for KitFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kit check `{}` failed: {}", self.check, self.message)
    }
}

impl std::error::Error for KitFailure {}

/// The signature of every check.
pub type Check = fn(&KitConfig) -> std::result::Result<Report, KitFailure>;

/// The name every check reports under (`check_` dropped), which is what
/// [`KitConfig::known_failures`] entries start with.
pub const CHECK_NAMES: &[&str] = &[
    "model_sim",
    "model_os",
    "threads",
    "reopen",
    "crash_sync_always",
    "crash_sync_never",
    "double_crash",
    "torn_tail",
    "bit_flips",
    "io_errors",
    "failed_sync",
    "contract",
    "page_drops",
    "option_reopen",
    "crashed_bit_flips",
    "crash_background",
];

/// Runs of a check listed as a known failure before its passing counts as
/// "fixed" (checks with background threads are not deterministic).
const KNOWN_FAILURE_TRIES: usize = 5;

/// The cause listed for `check` in `cfg.known_failures`, if any. A malformed
/// entry or one naming no check is a bug in the engine's test: it panics.
fn known_failure<'a>(cfg: &'a KitConfig, check: &str) -> Option<&'a str> {
    let mut found = None;
    for entry in cfg.known_failures {
        let (name, cause) = entry
            .split_once(':')
            .filter(|(n, c)| CHECK_NAMES.contains(&n.trim()) && !c.trim().is_empty())
            .unwrap_or_else(|| {
                panic!(
                    "[{}] known_failures entry {entry:?} is not `check_name: cause` with a check among {CHECK_NAMES:?}",
                    cfg.name
                )
            });
        if name.trim() == check {
            found = Some(cause.trim());
        }
    }
    found
}

/// Run a check as a test: print its report, panic with its failure. A check
/// listed in [`KitConfig::known_failures`] must fail: then its failure is
/// printed and the test passes; if it passes (or is skipped), the test
/// panics, asking for the entry to be removed.
pub fn run(check: Check, cfg: &KitConfig) -> Report {
    let mut outcome = check(cfg);
    let name = match &outcome {
        Ok(report) => report.check,
        Err(failure) => failure.check,
    };
    // With background threads a check is not deterministic: a known
    // failure may pass by chance, so it gets a few more tries before the
    // entry counts as stale (a deterministic one just fails again).
    if known_failure(cfg, name).is_some() {
        for _ in 1..KNOWN_FAILURE_TRIES {
            if outcome.is_err() {
                break;
            }
            outcome = check(cfg);
        }
    }
    match (outcome, known_failure(cfg, name)) {
        (Ok(report), None) => {
            eprintln!("kit [{}] {report}", cfg.name);
            report
        }
        (Err(failure), None) => panic!("[{}] {failure}", cfg.name),
        (Ok(report), Some(cause)) => panic!(
            "[{}] `{name}` is listed as a known failure ({cause}) but now gives: {report}; remove the entry from known_failures",
            cfg.name
        ),
        (Err(failure), Some(cause)) => {
            eprintln!(
                "kit [{}] KNOWN FAILURE ({cause}), still failing as expected: {failure}",
                cfg.name
            );
            Report {
                check: name,
                ran: true,
                detail: format!("known failure: {failure}"),
                ..Report::default()
            }
        }
    }
}

/// `KIT_LONG=1`: visit every crash point.
pub fn long_mode() -> bool {
    std::env::var("KIT_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Run a check body, turning an engine panic into a failure of the check.
fn guarded(
    check: &'static str,
    body: impl FnOnce(&mut Report) -> std::result::Result<(), String>,
) -> std::result::Result<Report, KitFailure> {
    let mut report = Report::new(check);
    let outcome = catch_unwind(AssertUnwindSafe(|| body(&mut report)));
    let message = match outcome {
        Ok(Ok(())) => return Ok(report),
        Ok(Err(message)) => message,
        Err(panic) => format!("panicked: {}", panic_message(&*panic)),
    };
    Err(KitFailure { check, message })
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".into()
    }
}

/// Expand to a module of `#[test]` functions, one per kit check, for the
/// engine described by a [`KitConfig`] expression.
#[macro_export]
macro_rules! conformance_suite {
    ($module:ident, $config:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            fn __kit_config() -> $crate::KitConfig {
                $config
            }

            $crate::conformance_suite!(@tests
                check_model_sim, check_model_os, check_model_direct, check_threads, check_reopen,
                check_crash_sync_always, check_crash_sync_never, check_double_crash,
                check_torn_tail, check_bit_flips, check_io_errors, check_failed_sync,
                check_contract, check_page_drops, check_option_reopen,
                check_crashed_bit_flips, check_crash_background);
        }
    };
    (@tests $($check:ident),*) => {
        $(
            #[test]
            fn $check() {
                $crate::run($crate::$check, &__kit_config());
            }
        )*
    };
}
