//! The oracle: what an engine may hold after a crash.
//!
//! The kit numbers writes in issue order. A write is *durable* once the
//! engine acknowledged it as such: a `sync=always` write that returned `Ok`,
//! or any write issued before a `sync()` that returned `Ok`. Writes issued
//! after the last durable point are *pending*: a crash may keep or lose them.
//! The oracle holds the state after the last durable write plus the list of
//! pending writes, and accepts a recovered state only if it equals the state
//! after *some* prefix of the writes that includes every durable one:
//!
//! - every durable write is there with its value (unless a later write to the
//!   same key replaced it, and that write is there);
//! - a pending write is either there or not;
//! - nothing else appears: no key that was never written, no value that was
//!   never written for its key;
//! - no holes: a later write never survived while an earlier one was lost.
//!
//! The last rule is the DESIGN's prefix property. An engine whose writes are
//! applied through a log gets it for free; an engine that writes pages in
//! place must make unsynced page writes invisible after a crash (a journal or
//! copy-on-write), or it fails the crash sweep with a message naming the hole.
//!
//! The recovered state is read twice, by a full scan and by a point read of
//! every key the workload touched; the two must agree.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use engine_core::engine::Engine;

/// A key-value state.
pub type State = BTreeMap<Vec<u8>, Vec<u8>>;

/// Acknowledged-durable state plus writes in flight.
#[derive(Debug, Clone, Default)]
pub struct Oracle {
    writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    durable: usize,
    durable_state: State,
    keys: BTreeSet<Vec<u8>>,
}

impl Oracle {
    /// Nothing written yet.
    pub fn new() -> Oracle {
        Oracle::default()
    }

    /// Start from a state that is known to be durable (after a recovery).
    pub fn from_state(state: State) -> Oracle {
        Oracle {
            keys: state.keys().cloned().collect(),
            durable_state: state,
            ..Oracle::default()
        }
    }

    /// Record a write about to be issued (`None` is a delete). It is pending
    /// until [`Oracle::all_durable`].
    pub fn issue(&mut self, key: &[u8], value: Option<&[u8]>) {
        self.keys.insert(key.to_vec());
        self.writes.push((key.to_vec(), value.map(<[u8]>::to_vec)));
    }

    /// Every write issued so far is acknowledged durable.
    pub fn all_durable(&mut self) {
        for (k, v) in self.writes.drain(self.durable..) {
            match v {
                Some(v) => self.durable_state.insert(k, v),
                None => self.durable_state.remove(&k),
            };
        }
        self.writes.clear();
        self.durable = 0;
    }

    /// Writes issued but not acknowledged durable.
    pub fn pending(&self) -> usize {
        self.writes.len() - self.durable
    }

    /// The state if every issued write survived.
    pub fn latest(&self) -> State {
        let mut s = self.durable_state.clone();
        for (k, v) in &self.writes[self.durable..] {
            match v {
                Some(v) => s.insert(k.clone(), v.clone()),
                None => s.remove(k),
            };
        }
        s
    }

    /// Every key any write named.
    pub fn keys(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.keys.iter()
    }

    /// Check a recovered engine; returns the state it holds.
    pub fn check(&self, engine: &dyn Engine) -> Result<State, String> {
        let got = read_state(engine, self.keys.iter(), SAMPLED_GETS)?;
        self.check_state(&got)?;
        Ok(got)
    }

    /// Check a recovered state against the rules in the module docs.
    pub fn check_state(&self, got: &State) -> Result<(), String> {
        let pending = &self.writes[self.durable..];
        let touched: BTreeSet<&[u8]> = pending.iter().map(|(k, _)| k.as_slice()).collect();
        for (k, v) in got {
            if !self.keys.contains(k) {
                return Err(format!(
                    "key {} was never written but holds {}",
                    show(k),
                    show_val(Some(v))
                ));
            }
        }
        // Keys no pending write touches must hold their durable value.
        for k in &self.keys {
            if touched.contains(k.as_slice()) {
                continue;
            }
            let want = self.durable_state.get(k);
            let have = got.get(k);
            if want != have && want.is_none() {
                return Err(format!(
                    "key {} should be absent (durably deleted), found {}: a stale or invented value",
                    show(k),
                    show_val(have.map(Vec::as_slice))
                ));
            }
            if want != have {
                return Err(format!(
                    "acknowledged durable write lost: key {} should be {}, found {}",
                    show(k),
                    show_val(want.map(Vec::as_slice)),
                    show_val(have.map(Vec::as_slice))
                ));
            }
        }
        // Each touched key must hold its durable value or a pending one.
        for k in &touched {
            let have = got.get(*k).map(Vec::as_slice);
            let durable = self.durable_state.get(*k).map(Vec::as_slice);
            let ok = have == durable
                || pending
                    .iter()
                    .any(|(pk, pv)| pk == k && pv.as_deref() == have);
            if !ok {
                return Err(format!(
                    "key {} holds {}, which is neither its durable value {} nor a pending write",
                    show(k),
                    show_val(have),
                    show_val(durable)
                ));
            }
        }
        // Prefix property: some number of pending writes, applied in order,
        // explains every touched key at once. Walk the prefixes keeping a
        // count of touched keys that disagree.
        let mut current: BTreeMap<&[u8], Option<&[u8]>> = touched
            .iter()
            .map(|k| (*k, self.durable_state.get(*k).map(Vec::as_slice)))
            .collect();
        let agrees = |k: &[u8], v: Option<&[u8]>| got.get(k).map(Vec::as_slice) == v;
        let mut disagree = current.iter().filter(|(k, v)| !agrees(k, **v)).count();
        if disagree == 0 {
            return Ok(());
        }
        for (k, v) in pending {
            let slot = current
                .get_mut(k.as_slice())
                .expect("every pending key is in `current` by construction");
            let before = agrees(k, *slot);
            *slot = v.as_deref();
            let after = agrees(k, *slot);
            match (before, after) {
                (true, false) => disagree += 1,
                (false, true) => disagree -= 1,
                _ => {}
            }
            if disagree == 0 {
                return Ok(());
            }
        }
        let mut msg = format!(
            "hole in the recovered writes: no prefix of the {} pending writes explains the state; keys:",
            pending.len()
        );
        for k in touched.iter().take(8) {
            let _ = write!(
                msg,
                " {}={}",
                show(k),
                show_val(got.get(*k).map(Vec::as_slice))
            );
        }
        Err(msg)
    }
}

/// Point reads per recovery check. A crash sweep checks hundreds of
/// recoveries; the full scan proves the state, and point reads of a spread
/// sample prove that `get` agrees with it without making an engine whose
/// `get` is a linear search (the naive log) pay keys x log per point.
pub const SAMPLED_GETS: usize = 48;

/// Read an engine's whole state by a full scan, and check that point reads
/// agree with it: of every key in `keys` and every scanned key, or of an
/// evenly spread sample of at most `max_gets` of them.
pub fn read_state<'a>(
    engine: &dyn Engine,
    keys: impl Iterator<Item = &'a Vec<u8>>,
    max_gets: usize,
) -> Result<State, String> {
    let all = engine
        .scan(b"", usize::MAX)
        .map_err(|e| format!("full scan failed: {e}"))?;
    let mut state = State::new();
    for (k, v) in all {
        if let Some((last, _)) = state.last_key_value() {
            if *last >= k {
                return Err(format!(
                    "scan out of order or repeated: {} after {}",
                    show(&k),
                    show(last)
                ));
            }
        }
        state.insert(k, v);
    }
    let mut named: BTreeSet<&Vec<u8>> = keys.collect();
    named.extend(state.keys());
    let stride = named.len().div_ceil(max_gets.max(1)).max(1);
    for k in named.into_iter().step_by(stride) {
        let got = engine
            .get(k)
            .map_err(|e| format!("get {} failed: {e}", show(k)))?;
        if got.as_ref() != state.get(k) {
            return Err(format!(
                "get {} returned {} but a scan shows {}",
                show(k),
                show_val(got.as_deref()),
                show_val(state.get(k).map(Vec::as_slice))
            ));
        }
    }
    Ok(state)
}

/// What `scan(start, limit)` must return for `state`.
pub fn expected_scan(state: &State, start: &[u8], limit: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    state
        .range::<[u8], _>((std::ops::Bound::Included(start), std::ops::Bound::Unbounded))
        .take(limit)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A key for messages: printable bytes as is, others escaped, cut at 40.
pub fn show(b: &[u8]) -> String {
    let mut s: String = b
        .iter()
        .take(40)
        .flat_map(|c| std::ascii::escape_default(*c))
        .map(char::from)
        .collect();
    if b.len() > 40 {
        let _ = write!(s, "...({} bytes)", b.len());
    }
    format!("\"{s}\"")
}

/// A value for messages: absent, or its length and first bytes.
pub fn show_val(v: Option<&[u8]>) -> String {
    match v {
        None => "absent".into(),
        Some(v) if v.len() >= 8 => format!(
            "write #{} ({} bytes)",
            u64::from_le_bytes(v[..8].try_into().expect("slice of 8 bytes")),
            v.len()
        ),
        Some(v) => format!("{} ({} bytes)", show(v), v.len()),
    }
}
