//! The latency clock: nanoseconds since a process-wide epoch, as cheap to
//! read as the hardware allows.
//!
//! Every operation is timed with two clock reads, so on an in-memory engine
//! the clock is a visible part of the harness's own cost. `Instant::now()`
//! (`clock_gettime` through the vDSO) costs about 30 ns here; the CPU's
//! time-stamp counter read directly costs about 13 ns. Where the TSC is
//! invariant (`constant_tsc` and `nonstop_tsc` in /proc/cpuinfo: it ticks at
//! a fixed rate in every power state, and the kernel keeps cores in sync)
//! the clock reads it and converts ticks to nanoseconds with a rate
//! calibrated once against `Instant` over 20 ms (a relative error of about
//! 10^-6). Anywhere else it falls back to `Instant`.
//!
//! A thread that migrates between cores mid-operation could in principle
//! see a slightly smaller reading; differences saturate at zero rather than
//! wrap.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A calibrated clock. Cheap to copy; get the process's with [`Clock::get`].
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    source: Source,
    /// How long before a deadline [`Clock::wait_until`] stops sleeping and
    /// spins: the OS's measured sleep overshoot (see [`sleep_slack_ns`]).
    slack_ns: u64,
}

#[derive(Debug, Clone, Copy)]
enum Source {
    /// Time-stamp counter: ns = (tsc - base) * ns_per_tick, with
    /// ns_per_tick in 32.32 fixed point (`ns_per_tick_q32` / 2^32): one
    /// integer multiply per read instead of two float conversions.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    Tsc { base: u64, ns_per_tick_q32: u64 },
    /// The operating system's monotonic clock.
    Os { base: Instant },
}

static CLOCK: OnceLock<Clock> = OnceLock::new();

impl Clock {
    /// The process-wide clock (calibrated on first use, ~20 ms).
    pub fn get() -> Clock {
        *CLOCK.get_or_init(Clock::calibrate)
    }

    /// The OS clock, never the TSC (for comparison and tests).
    pub fn os() -> Clock {
        Clock {
            source: Source::Os {
                base: Instant::now(),
            },
            slack_ns: sleep_slack_ns(),
        }
    }

    /// Which source is in use: `tsc` or `os`.
    pub fn source_name(&self) -> &'static str {
        match self.source {
            Source::Tsc { .. } => "tsc",
            Source::Os { .. } => "os",
        }
    }

    fn calibrate() -> Clock {
        #[cfg(target_arch = "x86_64")]
        {
            if tsc_is_invariant() {
                let (i0, t0) = (Instant::now(), rdtsc());
                std::thread::sleep(Duration::from_millis(20));
                let (t1, ns) = (rdtsc(), i0.elapsed().as_nanos() as f64);
                let ticks = t1.wrapping_sub(t0) as f64;
                let q32 = ns / ticks * 4_294_967_296.0;
                // Any real TSC ticks at well over 1 tick per 2^32 ns and
                // below 2^32 ns per tick, so q32 is in range; anything else
                // (a broken counter) falls back to the OS clock.
                if ticks > 0.0 && ns > 0.0 && (1.0..1.8e19).contains(&q32) {
                    return Clock {
                        source: Source::Tsc {
                            base: t0,
                            ns_per_tick_q32: q32 as u64,
                        },
                        slack_ns: sleep_slack_ns(),
                    };
                }
            }
        }
        Clock::os()
    }

    /// Nanoseconds since this clock's epoch.
    #[inline(always)]
    pub fn now_ns(&self) -> u64 {
        match self.source {
            #[cfg(target_arch = "x86_64")]
            Source::Tsc {
                base,
                ns_per_tick_q32,
            } => tsc_to_ns(rdtsc().saturating_sub(base), ns_per_tick_q32),
            #[cfg(not(target_arch = "x86_64"))]
            Source::Tsc { .. } => 0,
            Source::Os { base } => base.elapsed().as_nanos() as u64,
        }
    }

    /// Sleep until [`Clock::now_ns`] reaches `due_ns`: sleeps to within the
    /// measured slack of the deadline, then spins only that slack. A
    /// client thread at thousands of operations per second therefore
    /// sleeps nearly all its idle time instead of spinning it (the old
    /// fixed 0.5 ms spin window kept it on a core continuously above
    /// 2,000 ops/s), leaving the cores to the engines' background threads.
    /// What the slack costs: a sleep that overshoots by more than the slack
    /// (a preempted wake-up) starts the operation late by the difference,
    /// which shows in `<op>_intended` latency as it should, since the
    /// schedule is what the latency is measured from.
    pub fn wait_until(&self, due_ns: u64) {
        loop {
            let now = self.now_ns();
            match next_wait(due_ns.saturating_sub(now), self.slack_ns) {
                Wait::Done => return,
                Wait::Sleep(ns) => std::thread::sleep(Duration::from_nanos(ns)),
                Wait::Spin => std::hint::spin_loop(),
            }
        }
    }

    /// The spin window [`Clock::wait_until`] uses, nanoseconds.
    pub fn slack_ns(&self) -> u64 {
        self.slack_ns
    }
}

/// What [`Clock::wait_until`] does with `left` ns to go.
#[derive(Debug, PartialEq, Eq)]
enum Wait {
    Done,
    /// Sleep this long: all but the slack, which the overshoot will eat.
    Sleep(u64),
    Spin,
}

fn next_wait(left: u64, slack: u64) -> Wait {
    if left == 0 {
        Wait::Done
    } else if left > slack {
        Wait::Sleep(left - slack)
    } else {
        Wait::Spin
    }
}

/// The spin window never goes below this (a wake-up's own cost) ...
const MIN_SLACK_NS: u64 = 10_000;
/// ... nor above the old fixed window, so a machine with coarse timers
/// is no worse off than before.
const MAX_SLACK_NS: u64 = 500_000;

/// The OS's sleep overshoot, measured once per clock: nine 100 us sleeps,
/// the second-largest overshoot (one preempted sample does not set it),
/// clamped to [MIN_SLACK_NS, MAX_SLACK_NS]. On Linux it is about the
/// timer slack (50 us for a normal thread) plus the wake-up latency.
fn sleep_slack_ns() -> u64 {
    let asked = Duration::from_micros(100);
    let mut over: Vec<u64> = (0..9)
        .map(|_| {
            let t = Instant::now();
            std::thread::sleep(asked);
            t.elapsed().saturating_sub(asked).as_nanos() as u64
        })
        .collect();
    slack_from_samples(&mut over)
}

fn slack_from_samples(over: &mut [u64]) -> u64 {
    over.sort_unstable();
    let pick = over.len().saturating_sub(2);
    over.get(pick)
        .copied()
        .unwrap_or(MAX_SLACK_NS)
        .clamp(MIN_SLACK_NS, MAX_SLACK_NS)
}

/// `ticks * ns_per_tick_q32 / 2^32`, saturating (after 2^64 ns, some
/// 580 years, it stays there).
#[inline(always)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn tsc_to_ns(ticks: u64, ns_per_tick_q32: u64) -> u64 {
    let ns = (u128::from(ticks) * u128::from(ns_per_tick_q32)) >> 32;
    u64::try_from(ns).unwrap_or(u64::MAX)
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no preconditions on x86_64; it reads a counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(target_arch = "x86_64")]
fn tsc_is_invariant() -> bool {
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return false;
    };
    let Some(flags) = info.lines().find(|l| l.starts_with("flags")) else {
        return false;
    };
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    has("constant_tsc") && has("nonstop_tsc")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_is_monotonic_and_tracks_the_os_clock() {
        let c = Clock::get();
        let i0 = Instant::now();
        let a = c.now_ns();
        std::thread::sleep(Duration::from_millis(50));
        let b = c.now_ns();
        let os = i0.elapsed().as_nanos() as f64;
        assert!(b > a, "{} clock went backwards", c.source_name());
        // Both clocks measured the same sleep. The bounds are loose (the
        // two pairs of reads are not simultaneous); a wrong calibration is
        // off by orders of magnitude.
        let ratio = (b - a) as f64 / os;
        assert!(
            (0.5..2.0).contains(&ratio),
            "{} ratio {ratio}",
            c.source_name()
        );
    }

    #[test]
    fn fixed_point_conversion_matches_the_float_rate() {
        // 0.37 ns per tick (a 2.7 GHz TSC).
        let q = (0.37 * 4_294_967_296.0) as u64;
        for ticks in [0u64, 1, 1_000, 2_700_000_000, 1 << 50] {
            let want = ticks as f64 * 0.37;
            let got = tsc_to_ns(ticks, q) as f64;
            assert!(
                (got - want).abs() <= 1.0 + want * 1e-9,
                "{ticks}: {got} vs {want}"
            );
        }
        assert_eq!(tsc_to_ns(u64::MAX, u64::MAX), u64::MAX);
    }

    #[test]
    fn waits_sleep_all_but_the_slack_and_spin_the_rest() {
        assert_eq!(next_wait(0, 50_000), Wait::Done);
        assert_eq!(next_wait(400_000, 50_000), Wait::Sleep(350_000));
        assert_eq!(next_wait(50_001, 50_000), Wait::Sleep(1));
        assert_eq!(next_wait(50_000, 50_000), Wait::Spin);
        assert_eq!(next_wait(1, 50_000), Wait::Spin);
    }

    #[test]
    fn slack_is_the_second_largest_overshoot_clamped() {
        let mut s = [60_000, 55_000, 3_000_000, 58_000, 57_000];
        assert_eq!(slack_from_samples(&mut s), 60_000);
        assert_eq!(slack_from_samples(&mut [1_000, 2_000]), MIN_SLACK_NS);
        assert_eq!(slack_from_samples(&mut [9_000_000; 3]), MAX_SLACK_NS);
        assert_eq!(slack_from_samples(&mut []), MAX_SLACK_NS);
        let c = Clock::os();
        assert!((MIN_SLACK_NS..=MAX_SLACK_NS).contains(&c.slack_ns()));
    }

    #[test]
    fn wait_until_reaches_the_deadline() {
        let c = Clock::os();
        let due = c.now_ns() + 2_000_000;
        c.wait_until(due);
        assert!(c.now_ns() >= due);
    }
}
