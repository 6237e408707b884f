//! Little-endian integers and LEB128 varints, decoded without ever trusting
//! a length: every decoder checks the bytes it has before it reads them.
//!
//! All on-disk formats of this crate are built from these primitives, so a
//! decoder handed arbitrary bytes fails with a [`Short`] error rather than
//! panicking or allocating from a corrupt length.

/// The input ended, or a varint ran over ten bytes: the bytes are not what
/// the writer produced. Callers turn it into `Error::Corruption` with the
/// file and offset they know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Short;

/// Append `v` as a LEB128 varint (1-10 bytes).
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A cursor over a byte slice with checked reads.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// A varint; one-byte values (lengths under 128, the common case in
    /// blocks) take the inlined fast path.
    #[inline]
    pub fn varint(&mut self) -> Result<u64, Short> {
        if let Some(&b) = self.buf.get(self.pos) {
            if b < 0x80 {
                self.pos += 1;
                return Ok(u64::from(b));
            }
        }
        self.varint_slow()
    }

    #[inline(never)]
    fn varint_slow(&mut self) -> Result<u64, Short> {
        let mut v: u64 = 0;
        for i in 0..10 {
            let b = *self.buf.get(self.pos).ok_or(Short)?;
            self.pos += 1;
            // The tenth byte may only carry the top bit of a u64.
            if i == 9 && b > 1 {
                return Err(Short);
            }
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err(Short)
    }

    /// A varint that must fit `usize` and be at most `max`.
    pub fn len(&mut self, max: usize) -> Result<usize, Short> {
        let v = self.varint()?;
        if v > max as u64 {
            return Err(Short);
        }
        Ok(v as usize)
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], Short> {
        if self.remaining() < n {
            return Err(Short);
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> Result<u8, Short> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u64(&mut self) -> Result<u64, Short> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
}

/// Read a little-endian u32 at `at`; the caller has checked the bounds.
pub fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_roundtrip_at_every_width() {
        let vals = [0u64, 1, 127, 128, 300, 1 << 35, u64::MAX - 1, u64::MAX];
        let mut b = Vec::new();
        for v in vals {
            put_varint(&mut b, v);
        }
        let mut r = Reader::new(&b);
        for v in vals {
            assert_eq!(r.varint(), Ok(v));
        }
        assert!(r.is_empty());
        assert_eq!(r.varint(), Err(Short));
    }

    #[test]
    fn overlong_varint_is_rejected() {
        let b = [0xffu8; 11];
        assert_eq!(Reader::new(&b).varint(), Err(Short));
        let mut b = vec![0xffu8; 9];
        b.push(0x02);
        assert_eq!(Reader::new(&b).varint(), Err(Short));
    }

    #[test]
    fn len_checks_its_bound() {
        let mut b = Vec::new();
        put_varint(&mut b, 1000);
        assert_eq!(Reader::new(&b).len(999), Err(Short));
        assert_eq!(Reader::new(&b).len(1000), Ok(1000));
    }
}
