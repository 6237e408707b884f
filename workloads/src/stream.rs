//! The operation streams of YCSB's CoreWorkload, one per client thread.
//!
//! **Keys.** Record number `n` is named `user` + `n` zero-padded to
//! `zeropadding` digits, where `n` is first hashed with FNV-1a 64 unless
//! `insertorder=ordered` (so that hashed inserts land all over the key
//! space, as in YCSB).
//!
//! **Load.** Records `insertstart .. insertstart + recordcount` are split
//! into one contiguous range per thread and inserted in order.
//!
//! **Run.** Each operation picks its type from the proportions, then its
//! key: `uniform`, `zipfian` (scrambled, over the loaded records plus
//! YCSB's allowance of `2 x operationcount x insertproportion` expected new
//! ones), `latest` (skewed towards the most recent insert), `hotspot`,
//! `sequential` or `exponential`, redrawing a key not yet inserted as YCSB
//! does. Inserts take the next number of a counter shared by all threads.
//! Scans are `minscanlength..=maxscanlength` long, uniform or zipfian.

use std::sync::Arc;

use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::counter::AckCounter;
use crate::generators::{fnv_hash64, unit, ScrambledZipfian, Zipfian, ZIPFIAN_CONSTANT};
use crate::op::{Op, OpStream, OpType};
use crate::spec::{Distribution, FieldLength, Spec};

/// How the run phase picks a record.
#[derive(Debug, Clone)]
enum Chooser {
    Uniform {
        lb: u64,
        count: u64,
    },
    Zipfian(ScrambledZipfian),
    Latest(Zipfian),
    Hotspot {
        lb: u64,
        hot: u64,
        cold: u64,
        opn: f64,
    },
    Sequential {
        lb: u64,
        count: u64,
        next: u64,
    },
    Exponential {
        gamma: f64,
    },
}

/// One thread's operations.
#[derive(Debug, Clone)]
pub struct Stream {
    spec: Arc<Spec>,
    rng: SmallRng,
    /// Load: the next record and the end of this thread's range.
    load: Option<(u64, u64)>,
    chooser: Chooser,
    scan_zipf: Option<Zipfian>,
    field_zipf: Option<Zipfian>,
    /// Record numbers of run-phase inserts and the acknowledged bound
    /// reads are drawn under (shared by the phase's threads).
    inserts: Arc<AckCounter>,
    /// The insert this stream handed out last and has not acknowledged.
    pending_insert: Option<u64>,
}

impl Stream {
    /// Thread `t`'s load stream over records `start..end`.
    pub fn load(spec: Arc<Spec>, seed: u64, t: usize, start: u64, end: u64) -> Stream {
        let inserts = Arc::new(AckCounter::new(end));
        let mut s = Stream::new(spec, seed ^ 0x4C4F_4144, t, inserts);
        s.load = Some((start, end));
        s
    }

    /// Thread `t`'s run stream; `inserts` is the shared insert counter,
    /// starting after the loaded records.
    pub fn run(spec: Arc<Spec>, seed: u64, t: usize, inserts: Arc<AckCounter>) -> Stream {
        Stream::new(spec, seed, t, inserts)
    }

    fn new(spec: Arc<Spec>, seed: u64, t: usize, inserts: Arc<AckCounter>) -> Stream {
        let thread_seed = seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = SmallRng::seed_from_u64(thread_seed);
        let (lb, count) = (spec.insert_start, spec.insert_count.max(1));
        let chooser = match spec.distribution {
            Distribution::Uniform => Chooser::Uniform { lb, count },
            Distribution::Zipfian => {
                // YCSB's allowance for keys inserted during the run (its
                // "fudge factor" 2), and its inclusive upper bound
                // `insertstart + insertcount + expectednewkeys`: a key not
                // inserted yet is redrawn.
                let expected_new = (spec.operations as f64 * spec.insert * 2.0) as u64;
                Chooser::Zipfian(ScrambledZipfian::new(
                    lb,
                    lb + count + expected_new,
                    spec.zipfian_constant,
                ))
            }
            Distribution::Latest => {
                // YCSB's SkewedLatestGenerator builds its zipfian over
                // `lastValue()` items, the newest loaded record's number
                // (recordcount - 1).
                let items = spec.records.saturating_sub(1).max(1);
                Chooser::Latest(Zipfian::new(0, items - 1, spec.zipfian_constant))
            }
            Distribution::Hotspot { data, opn } => {
                let hot = ((count as f64 * data) as u64).clamp(1, count);
                Chooser::Hotspot {
                    lb,
                    hot,
                    cold: count - hot,
                    opn,
                }
            }
            Distribution::Sequential => Chooser::Sequential { lb, count, next: 0 },
            Distribution::Exponential { percentile, frac } => Chooser::Exponential {
                gamma: -(1.0 - percentile / 100.0).ln() / (spec.records.max(1) as f64 * frac),
            },
        };
        let scan_zipf = spec
            .scan_zipfian
            .then(|| Zipfian::new(spec.min_scan, spec.max_scan, ZIPFIAN_CONSTANT));
        let field_zipf = match spec.field_length {
            FieldLength::Zipfian => Some(Zipfian::new(
                spec.min_field,
                spec.field_len,
                ZIPFIAN_CONSTANT,
            )),
            _ => None,
        };
        // Draw once so threads with adjacent seeds diverge at once.
        let _ = unit(&mut rng);
        Stream {
            spec,
            rng,
            load: None,
            chooser,
            scan_zipf,
            field_zipf,
            inserts,
            pending_insert: None,
        }
    }

    /// The highest record number whose insert, and every one before it,
    /// was acknowledged.
    #[inline]
    fn last_inserted(&self) -> u64 {
        self.inserts.last()
    }

    fn next_key_number(&mut self) -> u64 {
        let last = self.last_inserted();
        let rng = &mut self.rng;
        loop {
            let n = match &mut self.chooser {
                Chooser::Uniform { lb, count } => *lb + (unit(rng) * *count as f64) as u64,
                Chooser::Zipfian(z) => z.next(rng),
                Chooser::Latest(z) => return last - z.next(rng, last).min(last),
                Chooser::Hotspot { lb, hot, cold, opn } => {
                    if unit(rng) < *opn {
                        *lb + (unit(rng) * *hot as f64) as u64
                    } else {
                        *lb + *hot + (unit(rng) * *cold as f64) as u64
                    }
                }
                Chooser::Sequential { lb, count, next } => {
                    let n = *lb + *next % *count;
                    *next += 1;
                    n
                }
                Chooser::Exponential { gamma } => {
                    let back = (-unit(rng).ln() / *gamma) as u64;
                    match last.checked_sub(back) {
                        Some(n) => return n,
                        None => continue,
                    }
                }
            };
            if n <= last {
                return n;
            }
        }
    }

    fn value_len(&mut self) -> usize {
        let s = &self.spec;
        let per_field = match s.field_length {
            FieldLength::Constant => return (s.field_count * s.field_len) as usize,
            FieldLength::Uniform => (0..s.field_count)
                .map(|_| {
                    s.min_field
                        + (unit(&mut self.rng) * (s.field_len - s.min_field + 1) as f64) as u64
                })
                .sum::<u64>(),
            FieldLength::Zipfian => {
                let z = self.field_zipf.as_mut();
                match z {
                    Some(z) => (0..s.field_count).map(|_| z.next_all(&mut self.rng)).sum(),
                    None => s.field_count * s.field_len,
                }
            }
        };
        per_field as usize
    }

    fn scan_len(&mut self) -> usize {
        let s = &self.spec;
        match &mut self.scan_zipf {
            Some(z) => z.next_all(&mut self.rng) as usize,
            None => {
                (s.min_scan + (unit(&mut self.rng) * (s.max_scan - s.min_scan + 1) as f64) as u64)
                    as usize
            }
        }
    }

    fn op_type(&mut self) -> OpType {
        let s = &self.spec;
        let mut u = unit(&mut self.rng) * s.total;
        for (w, kind) in [
            (s.read, OpType::Read),
            (s.update, OpType::Update),
            (s.insert, OpType::Insert),
            (s.scan, OpType::Scan),
            (s.rmw, OpType::Rmw),
            (s.delete, OpType::Delete),
        ] {
            if u < w {
                return kind;
            }
            u -= w;
        }
        OpType::Read
    }
}

/// "00" to "99": two decimal digits per division when formatting keys.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// `user` + the (hashed) record number, zero-padded, into `key`.
#[inline]
pub fn key_name(spec: &Spec, n: u64, key: &mut Vec<u8>) {
    let mut v = if spec.ordered { n } else { fnv_hash64(n) };
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        digits[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        i -= 1;
        digits[i] = b'0' + v as u8;
    }
    key.clear();
    key.extend_from_slice(b"user");
    let len = digits.len() - i;
    for _ in len..spec.zero_padding {
        key.push(b'0');
    }
    key.extend_from_slice(&digits[i..]);
}

impl OpStream for Stream {
    fn next_op(&mut self, key: &mut Vec<u8>) -> Op {
        if let Some((next, end)) = &mut self.load {
            let n = (*next).min(end.saturating_sub(1));
            *next += 1;
            key_name(&self.spec, n, key);
            let value_len = self.value_len();
            return Op {
                kind: OpType::Insert,
                value_len,
                scan_len: 0,
                read_first: false,
            };
        }
        let kind = self.op_type();
        let n = if kind == OpType::Insert {
            let n = self.inserts.next();
            self.pending_insert = Some(n);
            n
        } else {
            self.next_key_number()
        };
        key_name(&self.spec, n, key);
        let (value_len, scan_len) = match kind {
            OpType::Insert | OpType::Update | OpType::Rmw => (self.value_len(), 0),
            OpType::Scan => (0, self.scan_len()),
            OpType::Read | OpType::Delete => (0, 0),
        };
        Op {
            kind,
            value_len,
            scan_len,
            read_first: matches!(kind, OpType::Update | OpType::Rmw) && !self.spec.write_all_fields,
        }
    }

    fn acknowledge(&mut self) {
        if let Some(n) = self.pending_insert.take() {
            self.inserts.acknowledge(n);
        }
    }

    /// A load stream inserts its own range in order; a run stream without
    /// inserts draws under a bound that never moves. Either way no
    /// acknowledgement changes what comes next. A run stream with inserts
    /// is not: with several threads, which reads see which inserts depends
    /// on the order the threads finish them in.
    fn drawable_ahead(&self) -> bool {
        self.load.is_some() || self.spec.insert <= 0.0
    }
}
