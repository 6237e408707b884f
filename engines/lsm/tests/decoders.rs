//! Every decoder of an on-disk structure, given arbitrary bytes, returns an
//! error or a value, never panics, and never allocates from a length field
//! it has not checked against the input (a corrupt length of 2^60 would
//! abort the process, which these tests would notice).
//!
//! And every single-bit flip anywhere in a table file is caught by a
//! checksum when the table is opened and read whole.

use std::path::Path;
use std::sync::Arc;

use engine_core::{Purpose, Vfs};
use lsm::bloom::Filter;
use lsm::cache::BlockCache;
use lsm::manifest::VersionEdit;
use lsm::sstable::block::{Block, BlockIter, Kind};
use lsm::sstable::builder::{TableBuilder, TableShape};
use lsm::sstable::iter::TableIter;
use lsm::sstable::reader::Table;
use lsm::sstable::{Footer, Index, FOOTER_LEN};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn block_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), target in proptest::collection::vec(any::<u8>(), 0..8)) {
        if let Ok(b) = Block::parse(bytes.clone()) {
            let mut scratch = Vec::new();
            let _ = b.get(&target, &mut scratch);
            let mut it = BlockIter::new(Arc::new(b));
            let _ = it.seek(&target);
            for _ in 0..bytes.len() {
                if it.advance().is_err() || !it.valid() {
                    break;
                }
            }
        }
    }

    #[test]
    fn index_footer_filter_and_edit_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), file_len in any::<u64>()) {
        let p = Path::new("fuzz.sst");
        let _ = Index::decode(p, 0, &bytes, file_len);
        let _ = Footer::decode(p, &bytes, file_len);
        if let Some(f) = Filter::parse(&bytes) {
            let _ = f.may_contain(file_len);
        }
        let _ = VersionEdit::decode(&bytes);
    }

    /// A well-formed footer with arbitrary handles: only handles inside the
    /// file are accepted.
    #[test]
    fn footer_handles_are_bounded(a in any::<u64>(), b in any::<u64>(), c in any::<u64>(), d in any::<u64>(), len in 56u64..1_000_000) {
        use lsm::sstable::Handle;
        let f = Footer { index: Handle { offset: a, len: b }, filter: Handle { offset: c, len: d }, entries: 1 };
        if let Ok(got) = Footer::decode(Path::new("x"), &f.encode(), len) {
            let body = len - FOOTER_LEN as u64;
            prop_assert!(got.index.offset + got.index.len <= body);
            prop_assert!(got.filter.offset + got.filter.len <= body);
        }
    }
}

#[test]
fn index_with_huge_count_is_rejected_without_allocating() {
    let mut b = vec![0xff; 9];
    b.push(0x7f);
    assert!(Index::decode(Path::new("x"), 0, &b, 1 << 40).is_err());
}

/// Build a small table; flip each bit in turn; opening and reading the
/// whole table (scan plus point lookups) must fail with corruption.
#[test]
fn every_bit_flip_in_a_table_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let vfs = Vfs::os();
    let cache = Arc::new(BlockCache::new(0));
    let shape = TableShape {
        block_bytes: 128,
        restart_interval: 4,
        bloom_bits: 10,
    };
    let path = tmp.path().join("000001.sst");
    let mut b = TableBuilder::create(&vfs, path.clone(), 1, shape, Purpose::Flush).unwrap();
    for i in 0..40u32 {
        b.add(
            format!("k{i:04}").as_bytes(),
            u64::from(i) + 1,
            Kind::Put,
            &i.to_le_bytes(),
        )
        .unwrap();
    }
    let meta = b.finish(&vfs, cache.clone()).unwrap().unwrap().meta.clone();
    let good = std::fs::read(&path).unwrap();
    let read_all = |p: &Path| -> engine_core::Result<usize> {
        let t = Arc::new(Table::open(
            &vfs,
            p,
            meta.clone(),
            cache.clone(),
            Purpose::Recovery,
        )?);
        let mut it = TableIter::new(t, Purpose::Query, 0);
        it.seek_first()?;
        let mut n = 0;
        while it.valid() {
            n += 1;
            it.advance()?;
        }
        Ok(n)
    };
    assert_eq!(read_all(&path).unwrap(), 40);
    let flipped = tmp.path().join("flipped.sst");
    for bit in 0..good.len() * 8 {
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        std::fs::write(&flipped, &bad).unwrap();
        let err = read_all(&flipped).expect_err(&format!("flip of bit {bit} went unnoticed"));
        assert!(err.is_corruption(), "bit {bit}: {err}");
        assert!(err.to_string().contains("flipped.sst"), "{err}");
    }
}
