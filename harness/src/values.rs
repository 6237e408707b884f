//! Value bytes for the client threads: fresh random bytes for every value,
//! incompressible unless a compression ratio is asked for on purpose.
//!
//! ## Why fresh bytes
//!
//! A value generator decides how much entropy the data set holds, and an
//! engine that compresses its blocks (fjall's LZ4, RocksDB's Snappy) is
//! measured on exactly that. Windows of one small random buffer, shifted a
//! few bytes per value, hold only that buffer's few KiB of entropy however
//! many gigabytes are written: LZ4 finds each window in the block before it
//! and a compressing engine writes, reads and stores a fraction of what
//! the user wrote, so its amplification looks better than it would on real
//! data. Here every value's bytes come from a PRNG that is never rewound,
//! so no value repeats another's bytes and a compressor gains nothing
//! unless a ratio below 1 asks it to.
//!
//! ## Compressible on purpose
//!
//! `compression_ratio` means what db_bench's does: compressed size / raw
//! size, 1.0 incompressible, 0.5 compresses to half. A value of `len`
//! bytes is a fresh random chunk of about `len * ratio` bytes repeated to
//! fill `len` (db_bench's scheme, written anew here). LZ4 stores the chunk
//! as literals and the repetitions as one back-reference, so its output is
//! the chunk plus a few bytes of framing: the token, length bytes, a
//! 2-byte offset and, at the end of a block, 5 trailing literals. The chunk
//! is made [`LZ4_FRAMING`] bytes shorter than `len * ratio` to pay for that
//! framing, so a value compressed on its own comes out at the asked ratio
//! rather than a little above it (at 0.25 and 1,000 bytes the framing
//! alone would be 5 % of the output). At 1.0 there is no repetition and
//! nothing to pay for: LZ4's output is then slightly larger than its input.
//! The tests in this module check the ratio with `lz4_flex`, per value and
//! over 4 KiB blocks of whole values as an engine's block builder packs
//! them. A compressor that cuts values mid-way (fixed windows over a
//! stream) compresses less than asked: the cut-off part of a value lacks the
//! chunk its repetitions refer to (about 0.56 instead of 0.5 for 1,000-byte
//! values in 4,096-byte windows).
//!
//! The ratio is only meaningful for values well above the framing: a
//! 16-byte value cannot compress to 4 bytes, and a chunk is never shorter
//! than 8 bytes (one PRNG word), so that consecutive values differ.
//!
//! ## Cost
//!
//! The generator sits in the client's hot loop, whose cost `harness
//! overhead` measures against a bare loop. It allocates nothing per value
//! (one buffer, grown only when a longer value than any before is asked
//! for), draws 8 bytes per PRNG step (one 64-bit multiply, the multiplies
//! independent of each other so the CPU overlaps them) and fills the
//! repetitions with `copy_within`, doubling the copied span each time.
//! Measured (the ignored `cost_per_value` test, release): about 6.5 ns per
//! 100-byte and 44 ns per 1,000-byte incompressible value.

/// Bytes taken off the random chunk of a compressible value to pay for
/// LZ4's framing of a literal run plus one match (token, length bytes,
/// 2-byte offset, trailing literals); measured with `lz4_flex` on 1,000-
/// and 4,000-byte values (see the tests).
pub const LZ4_FRAMING: usize = 8;

/// The shortest random chunk: one PRNG word, so two values differ (with
/// probability 1 - 2^-64) however small the ratio.
const MIN_CHUNK: usize = 8;

/// Generates value bytes; one per client thread (it is not shared).
#[derive(Debug, Clone)]
pub struct ValueGen {
    /// The value last returned is `buf[..len]`; the length is kept a
    /// multiple of 8 so the PRNG fills whole words.
    buf: Vec<u8>,
    /// PRNG state: a counter advanced by an odd constant each step.
    state: u64,
    /// Compressed size / raw size asked for, in (0, 1].
    ratio: f64,
}

/// The PRNG's step (odd, so the counter visits every u64 before repeating).
const STEP: u64 = 0xa076_1d64_78bd_642f;
/// XOR'd into the counter to make the multiply's second operand.
const MIX: u64 = 0xe703_7ed1_a0b4_28db;

impl ValueGen {
    /// A generator whose values are determined by `seed`. A ratio outside
    /// (0, 1] (which [`check_ratio`] rejects, so a caller validates first)
    /// is clamped rather than panicking: NaN and values above 1 mean
    /// incompressible, zero and below the most compressible (8-byte chunk).
    pub fn new(seed: u64, compression_ratio: f64) -> ValueGen {
        let ratio = if compression_ratio.is_nan() {
            1.0
        } else {
            compression_ratio.clamp(f64::MIN_POSITIVE, 1.0)
        };
        ValueGen {
            buf: Vec::new(),
            // The seed goes through one mixing step so nearby seeds (thread
            // 0, 1, 2...) start at unrelated counters.
            state: mix(seed ^ MIX),
            ratio,
        }
    }

    /// The next value, `len` bytes. The slice lives until the next call.
    #[inline]
    pub fn value(&mut self, len: usize) -> &[u8] {
        if self.buf.len() < len {
            // Round up to whole PRNG words; the only allocation, amortised
            // over every later value up to this length.
            self.buf.resize(len.next_multiple_of(8), 0);
        }
        let chunk = self.chunk_len(len);
        self.fill_random(chunk);
        repeat_prefix(&mut self.buf[..len], chunk);
        &self.buf[..len]
    }

    /// How many fresh bytes a value of `len` bytes gets (at most `len`).
    #[inline]
    fn chunk_len(&self, len: usize) -> usize {
        if self.ratio >= 1.0 {
            return len;
        }
        let asked = (len as f64 * self.ratio).round() as usize;
        asked.saturating_sub(LZ4_FRAMING).max(MIN_CHUNK).min(len)
    }

    /// Overwrites at least the first `n` bytes of `buf` with fresh bytes
    /// (whole 8-byte words; `buf.len()` is a multiple of 8 and >= n).
    #[inline]
    fn fill_random(&mut self, n: usize) {
        let words = n.div_ceil(8);
        let base = self.state;
        let mut s = base;
        for word in self.buf.chunks_exact_mut(8).take(words) {
            // A Weyl sequence through one 64-bit multiply and an xor-shift
            // (the shift folds the product's well-mixed high bits into its
            // weak low ones): no 8-byte word repeats within 2^64 steps, so
            // LZ4 finds nothing, and the add chain costs one cycle a word;
            // the 128-bit `mix` here cost three times as much (measured).
            s = s.wrapping_add(STEP);
            let x = s.wrapping_mul(MIX);
            word.copy_from_slice(&(x ^ (x >> 29)).to_le_bytes());
        }
        self.state = base.wrapping_add(STEP.wrapping_mul(words as u64));
    }
}

/// A 64-bit output from a counter value: the two halves of a 128-bit
/// product of the counter with a scrambled copy of itself, XOR'd (the
/// wyrand construction). Used once, to spread the seed; the per-word
/// step in `fill_random` is cheaper.
#[inline(always)]
fn mix(s: u64) -> u64 {
    let t = u128::from(s) * u128::from(s ^ MIX);
    (t >> 64) as u64 ^ t as u64
}

/// Fills `value[chunk..]` with repetitions of `value[..chunk]`, doubling
/// the copied span so a long value costs a few `memcpy`s, not a byte loop.
#[inline]
fn repeat_prefix(value: &mut [u8], chunk: usize) {
    let mut filled = chunk.min(value.len());
    if filled == 0 {
        return;
    }
    while filled < value.len() {
        // Copying the first `n` bytes to `filled` keeps the period `chunk`
        // because `filled` is always a multiple of it.
        let n = filled.min(value.len() - filled);
        value.copy_within(..n, filled);
        filled += n;
    }
}

/// Validates a `compression_ratio` option: compressed size / raw size, in
/// (0, 1]. Returns the ratio, or a message naming the option.
pub fn check_ratio(r: f64) -> Result<f64, String> {
    if r > 0.0 && r <= 1.0 {
        Ok(r)
    } else {
        Err(format!(
            "compression_ratio must be in (0, 1] (compressed size / raw size, \
             1.0 = incompressible, 0.5 = compresses to half), got {r}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// LZ4 (block format, as fjall uses) output size / input size over
    /// `inputs`, each compressed on its own.
    fn lz4_ratio<'a>(inputs: impl Iterator<Item = &'a [u8]>) -> f64 {
        let (mut raw, mut packed) = (0usize, 0usize);
        for input in inputs {
            raw += input.len();
            packed += lz4_flex::block::compress(input).len();
        }
        packed as f64 / raw as f64
    }

    fn sample(seed: u64, ratio: f64, count: usize, len: usize) -> Vec<Vec<u8>> {
        let mut g = ValueGen::new(seed, ratio);
        (0..count).map(|_| g.value(len).to_vec()).collect()
    }

    fn assert_within_5_percent(what: &str, asked: f64, got: f64) {
        // Shown with --nocapture: how close, not just that it passed.
        println!("{what}: asked {asked}, LZ4 gave {got:.4}");
        assert!(
            (got - asked).abs() <= 0.05 * asked,
            "{what}: asked compression_ratio {asked}, LZ4 gave {got:.4}"
        );
    }

    #[test]
    fn lz4_compresses_each_value_to_the_asked_ratio() {
        for asked in [1.0, 0.5, 0.25] {
            for len in [1000, 4000] {
                let values = sample(7, asked, 1000, len);
                let got = lz4_ratio(values.iter().map(Vec::as_slice));
                assert_within_5_percent(&format!("{len}-byte values"), asked, got);
            }
        }
    }

    /// Whole values packed into blocks of at most `block` bytes (at least
    /// one value each), as an SST's block builder packs entries: an engine
    /// never splits an entry across data blocks.
    fn pack_blocks(values: &[Vec<u8>], block: usize) -> Vec<Vec<u8>> {
        let mut blocks: Vec<Vec<u8>> = vec![Vec::new()];
        for v in values {
            // The vec starts with one block and only grows, so last exists.
            let last = blocks.last_mut().unwrap();
            if !last.is_empty() && last.len() + v.len() > block {
                blocks.push(v.clone());
            } else {
                last.extend_from_slice(v);
            }
        }
        blocks
    }

    #[test]
    fn lz4_compresses_4k_blocks_of_values_to_the_asked_ratio() {
        for asked in [1.0, 0.5, 0.25] {
            let blocks = pack_blocks(&sample(11, asked, 1000, 1000), 4096);
            let got = lz4_ratio(blocks.iter().map(Vec::as_slice));
            assert_within_5_percent("4 KiB blocks", asked, got);
        }
    }

    #[test]
    fn incompressible_values_do_not_compress_across_values() {
        // The old generator's flaw: values sharing bytes with earlier ones.
        // One 64 KiB block (LZ4's whole window) of 100-byte values must not
        // shrink either.
        let stream: Vec<u8> = sample(3, 1.0, 655, 100).concat();
        let got = lz4_ratio(std::iter::once(stream.as_slice()));
        assert!(
            got >= 1.0,
            "64 KiB of 100-byte values compressed to {got:.4}"
        );
    }

    #[test]
    fn a_fixed_seed_gives_the_same_values() {
        for ratio in [1.0, 0.3] {
            let lens = [0, 1, 7, 8, 9, 100, 1000, 3, 4096];
            let mut a = ValueGen::new(42, ratio);
            let mut b = ValueGen::new(42, ratio);
            for len in lens {
                assert_eq!(a.value(len), b.value(len), "len {len}");
            }
        }
    }

    #[test]
    fn different_seeds_give_different_values() {
        let mut a = ValueGen::new(1, 1.0);
        let mut b = ValueGen::new(2, 1.0);
        assert_ne!(a.value(100), b.value(100));
    }

    #[test]
    fn consecutive_values_differ() {
        for ratio in [1.0, 0.5, 0.01] {
            let values = sample(5, ratio, 10_000, 16);
            let mut sorted = values.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(
                sorted.len(),
                values.len(),
                "ratio {ratio}: a value repeated"
            );
        }
    }

    #[test]
    fn values_have_the_asked_length_and_period() {
        let mut g = ValueGen::new(9, 0.25);
        for len in [0, 1, 5, 33, 1000, 20, 5000] {
            let chunk = g.chunk_len(len);
            let v = g.value(len).to_vec();
            assert_eq!(v.len(), len);
            assert!(
                chunk == len || (chunk >= MIN_CHUNK && chunk < len),
                "len {len} chunk {chunk}"
            );
            for i in chunk..len {
                assert_eq!(v[i], v[i - chunk], "len {len} byte {i}");
            }
        }
    }

    /// The generator's cost per value, printed, not asserted (no timing
    /// assertions): `cargo test --release -p harness --lib values::tests::cost
    /// -- --ignored --nocapture`.
    #[test]
    #[ignore = "prints a timing; run by hand in release mode"]
    fn cost_per_value() {
        for ratio in [1.0, 0.5] {
            for len in [100, 1000] {
                let mut g = ValueGen::new(1, ratio);
                let n = 2_000_000;
                let t = std::time::Instant::now();
                let mut sink = 0u8;
                for _ in 0..n {
                    // Reading a byte keeps the fill from being optimised out.
                    sink ^= std::hint::black_box(g.value(len))[len / 2];
                }
                let ns = t.elapsed().as_nanos() as f64 / n as f64;
                println!("ratio {ratio} len {len}: {ns:.1} ns/value (sink {sink})");
            }
        }
    }

    #[test]
    fn out_of_range_ratios_are_clamped_not_panics() {
        for r in [f64::NAN, 0.0, -1.0, 2.0, f64::INFINITY, f64::NEG_INFINITY] {
            let mut g = ValueGen::new(1, r);
            assert_eq!(g.value(100).len(), 100, "ratio {r}");
        }
    }

    #[test]
    fn check_ratio_accepts_0_to_1_and_names_the_option() {
        assert_eq!(check_ratio(1.0), Ok(1.0));
        assert_eq!(check_ratio(0.5), Ok(0.5));
        for bad in [0.0, -0.5, 1.01, f64::NAN, f64::INFINITY] {
            let e = check_ratio(bad).unwrap_err();
            assert!(e.contains("compression_ratio"), "{e}");
        }
    }
}
