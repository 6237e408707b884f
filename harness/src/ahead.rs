//! Operations drawn before a phase's clock starts.
//!
//! Drawing an operation costs as much as a fast engine call: zipfian's
//! `powf`, two FNV hashes and the key's decimal digits (about 100 ns on
//! the development machine, a fifth of a `mem` operation). For a stream
//! whose next operations do not depend on acknowledgements still to come
//! ([`OpStream::drawable_ahead`]: every load, and every run without
//! inserts) the driver draws them before the phase starts and the timed
//! loop only copies each key out of one flat buffer, so the generator's
//! cost leaves the measurement. A stream with run-phase inserts is drawn
//! one operation at a time inside the loop as before: which inserts a read
//! may see depends on when other threads acknowledge theirs.
//!
//! The buffer is bounded ([`AHEAD_BYTES`] per thread); the operations past
//! it are drawn inside the loop. A phase stopped early (`--max-time`) has
//! drawn operations it never ran: the stream then continues after them,
//! which for these streams is as valid a YCSB sequence as any other.

use workloads::{Op, OpStream};

/// Bytes of drawn operations (keys and their descriptors) one thread keeps.
pub const AHEAD_BYTES: usize = 64 << 20;

/// One drawn operation; its key ends at `key_end` in the key buffer.
struct Drawn {
    op: Op,
    key_end: usize,
}

/// A stream with some of its next operations drawn already.
pub struct Ahead<'s, S: ?Sized> {
    inner: &'s mut S,
    drawn: Vec<Drawn>,
    keys: Vec<u8>,
    next: usize,
    /// The operation returned last came from `inner` (and is acknowledged
    /// to it); drawn ones were acknowledged when drawn.
    last_from_inner: bool,
}

impl<'s, S: OpStream + ?Sized> Ahead<'s, S> {
    /// Draw up to `n` of `stream`'s operations now if it allows it, within
    /// [`AHEAD_BYTES`].
    pub fn draw(stream: &'s mut S, n: u64) -> Self {
        let mut drawn = Vec::new();
        let mut keys = Vec::new();
        if stream.drawable_ahead() {
            let mut key = Vec::new();
            let per_op = std::mem::size_of::<Drawn>();
            while (drawn.len() as u64) < n && keys.len() + drawn.len() * per_op < AHEAD_BYTES {
                let op = stream.next_op(&mut key);
                stream.acknowledge();
                keys.extend_from_slice(&key);
                drawn.push(Drawn {
                    op,
                    key_end: keys.len(),
                });
            }
        }
        Ahead {
            inner: stream,
            drawn,
            keys,
            next: 0,
            last_from_inner: false,
        }
    }

    /// Operations drawn before the loop.
    pub fn drawn(&self) -> usize {
        self.drawn.len()
    }
}

impl<S: OpStream + ?Sized> OpStream for Ahead<'_, S> {
    #[inline]
    fn next_op(&mut self, key: &mut Vec<u8>) -> Op {
        match self.drawn.get(self.next) {
            Some(d) => {
                let start = match self.next {
                    0 => 0,
                    i => self.drawn[i - 1].key_end,
                };
                self.next += 1;
                key.clear();
                key.extend_from_slice(&self.keys[start..d.key_end]);
                d.op
            }
            None => {
                self.last_from_inner = true;
                self.inner.next_op(key)
            }
        }
    }

    #[inline]
    fn acknowledge(&mut self) {
        if std::mem::take(&mut self.last_from_inner) {
            self.inner.acknowledge();
        }
    }

    fn drawable_ahead(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use workloads::{Workload, WorkloadArgs, YcsbWorkload};

    fn workload(preset: &str) -> YcsbWorkload {
        let args = WorkloadArgs {
            workloads: vec![preset.to_string()],
            records: Some(500),
            operations: Some(2_000),
            ..WorkloadArgs::default()
        };
        let (mut w, _) = workloads::resolve(&args).expect("a built-in preset");
        w.remove(0)
    }

    /// Every operation and key the stream would give one at a time.
    fn one_at_a_time<S: OpStream>(s: &mut S, n: usize) -> Vec<(Op, Vec<u8>)> {
        let mut key = Vec::new();
        (0..n)
            .map(|_| {
                let op = s.next_op(&mut key);
                s.acknowledge();
                (op, key.clone())
            })
            .collect()
    }

    #[test]
    fn drawn_ahead_replays_the_same_operations() {
        let w = workload("ycsb-a");
        let mut live = w.run_streams(1).remove(0);
        let mut ahead_src = w.run_streams(1).remove(0);
        let want = one_at_a_time(&mut live, 1_500);
        let mut ahead = Ahead::draw(&mut ahead_src, 1_000);
        assert_eq!(ahead.drawn(), 1_000, "ycsb-a has no inserts: drawable");
        // 1 000 drawn, then 500 more from the stream itself.
        assert_eq!(one_at_a_time(&mut ahead, 1_500), want);
    }

    #[test]
    fn a_stream_with_inserts_is_drawn_inside_the_loop() {
        let w = workload("ycsb-d");
        let mut stream = w.run_streams(2).remove(0);
        let ahead = Ahead::draw(&mut stream, 1_000);
        assert_eq!(ahead.drawn(), 0);
        let mut load = w.load_streams(1).remove(0).0;
        let ahead = Ahead::draw(&mut load, 100);
        assert_eq!(ahead.drawn(), 100, "a load stream is drawable");
    }
}
