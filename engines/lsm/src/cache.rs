//! The block cache: decoded data blocks shared by all readers, bounded in
//! bytes.
//!
//! Keyed by (file number, block offset); file numbers are never reused, so a
//! deleted table's blocks can never be confused with a new one's and simply
//! age out. The cache is split into shards, each under its own mutex, so
//! client threads rarely contend; each shard evicts by CLOCK (second
//! chance), which approximates LRU with one bit per entry and no list
//! splicing on a hit. Hits and misses are counted inside the shard lock, so
//! counting costs no extra shared cache line.
//!
//! Index and filter blocks are not cached here: every open table pins its
//! own (see [`crate::sstable`]), and their bytes are reported as
//! `pinned_bytes`. Compaction reads bypass the cache so that a merge does
//! not wash the working set out.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::sstable::block::Block;

const SHARDS: usize = 16;

/// Cache key: which file, which block.
pub type BlockKey = (u64, u64);

/// A cheap hasher for the two-integer keys (SipHash would dominate a hit).
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 31;
        x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x ^ (x >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(23) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

struct Slot {
    key: BlockKey,
    block: Option<Arc<Block>>,
    referenced: bool,
    charge: usize,
}

#[derive(Default)]
struct Shard {
    map: HashMap<BlockKey, usize, BuildHasherDefault<KeyHasher>>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    hand: usize,
    used: usize,
    cap: usize,
    hits: u64,
    misses: u64,
}

impl Shard {
    /// Evict one entry by the CLOCK rule; false when nothing is left.
    fn evict_one(&mut self) -> bool {
        if self.map.is_empty() {
            return false;
        }
        loop {
            if self.hand >= self.slots.len() {
                self.hand = 0;
            }
            let s = &mut self.slots[self.hand];
            if s.block.is_some() {
                if s.referenced {
                    s.referenced = false;
                } else {
                    s.block = None;
                    self.used -= s.charge;
                    self.map.remove(&s.key);
                    self.free.push(self.hand);
                    self.hand += 1;
                    return true;
                }
            }
            self.hand += 1;
        }
    }
}

/// A sharded, byte-bounded block cache.
pub struct BlockCache {
    shards: Vec<Mutex<Shard>>,
}

impl BlockCache {
    /// A cache of at most `capacity` bytes (0 disables caching).
    pub fn new(capacity: u64) -> Self {
        let per = (capacity / SHARDS as u64) as usize;
        BlockCache {
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        cap: per,
                        ..Shard::default()
                    })
                })
                .collect(),
        }
    }

    fn shard(&self, key: BlockKey) -> &Mutex<Shard> {
        let mut h = KeyHasher::default();
        h.write_u64(key.0);
        h.write_u64(key.1);
        &self.shards[(h.finish() as usize) % SHARDS]
    }

    /// The cached block, counting a hit or a miss.
    pub fn get(&self, key: BlockKey) -> Option<Arc<Block>> {
        let mut s = self.shard(key).lock();
        match s.map.get(&key).copied() {
            Some(i) => {
                s.hits += 1;
                let slot = &mut s.slots[i];
                slot.referenced = true;
                slot.block.clone()
            }
            None => {
                s.misses += 1;
                None
            }
        }
    }

    /// Add a block, evicting others to make room. A block larger than a
    /// whole shard is not cached.
    pub fn insert(&self, key: BlockKey, block: Arc<Block>) {
        let charge = block.charge();
        let mut s = self.shard(key).lock();
        if charge > s.cap || s.map.contains_key(&key) {
            return;
        }
        while s.used + charge > s.cap {
            if !s.evict_one() {
                break;
            }
        }
        let slot = Slot {
            key,
            block: Some(block),
            referenced: false,
            charge,
        };
        let i = match s.free.pop() {
            Some(i) => {
                s.slots[i] = slot;
                i
            }
            None => {
                s.slots.push(slot);
                s.slots.len() - 1
            }
        };
        s.map.insert(key, i);
        s.used += charge;
    }

    /// (hits, misses, bytes held).
    pub fn stats(&self) -> (u64, u64, u64) {
        self.shards.iter().fold((0, 0, 0), |(h, m, b), s| {
            let s = s.lock();
            (h + s.hits, m + s.misses, b + s.used as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(n: usize) -> Arc<Block> {
        let mut data = vec![0u8; n];
        data.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]);
        Arc::new(Block::parse(data).unwrap())
    }

    #[test]
    fn hits_misses_and_byte_bound() {
        let c = BlockCache::new(16 * 10_000);
        assert!(c.get((1, 0)).is_none());
        c.insert((1, 0), block(100));
        assert!(c.get((1, 0)).is_some());
        for i in 0..10_000u64 {
            c.insert((2, i), block(1000));
        }
        let (hits, misses, bytes) = c.stats();
        assert_eq!((hits, misses), (1, 1));
        assert!(bytes <= 16 * 10_000, "{bytes}");
        assert!(bytes > 8 * 10_000, "cache should stay mostly full: {bytes}");
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let c = BlockCache::new(0);
        c.insert((1, 0), block(10));
        assert!(c.get((1, 0)).is_none());
    }
}
