//! Issue 15 item 10: files whose checksums are valid but whose lengths,
//! ids and counters are hostile. Each must give a corruption error naming
//! the file and an offset: no overflow panic, no write at a wrapped
//! offset, no huge allocation, no endless loop.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use btree::checkpoint::{encode_dw, DW_HEADER};
use btree::page::{Meta, Node, Val};
use engine_core::vfs::SimFs;
use engine_core::{Engine, Error, Options, Vfs};

const PS: usize = 512;
const OPTS: &str = "page_size=512,background=false,cache_pages=64";

fn dir() -> PathBuf {
    PathBuf::from("/db")
}

fn pages_path() -> PathBuf {
    dir().join(btree::PAGE_FILE)
}

fn dw_path() -> PathBuf {
    dir().join(btree::DW_FILE)
}

fn open(vfs: &Vfs) -> engine_core::Result<btree::BTree> {
    btree::open_btree(vfs, &dir(), &Options::parse(OPTS).unwrap())
}

fn key(i: u32) -> Vec<u8> {
    format!("key{i:07}").into_bytes()
}

/// A cleanly closed database of `n` keys (the log empty, `pages.dw` too).
fn database(n: u32) -> SimFs {
    let fs = SimFs::new(10);
    let db = open(&fs.vfs()).unwrap();
    for i in 0..n {
        db.put(&key(i), &[i as u8; 20]).unwrap();
    }
    drop(db);
    fs
}

fn page(fs: &SimFs, id: u64) -> Node {
    let bytes = fs.read_file(&pages_path()).unwrap();
    let at = id as usize * PS;
    Node::decode(id, &bytes[at..at + PS]).unwrap()
}

/// Replace page `id` with `node`, checksum and all.
fn set_page(fs: &SimFs, id: u64, node: &Node) {
    let mut bytes = fs.read_file(&pages_path()).unwrap();
    let at = id as usize * PS;
    node.encode(id, &mut bytes[at..at + PS]);
    fs.write_file(&pages_path(), &bytes).unwrap();
}

fn meta(fs: &SimFs) -> Meta {
    match page(fs, 0) {
        Node::Header(m) => m,
        other => panic!("page 0 holds {other:?}"),
    }
}

fn set_meta(fs: &SimFs, m: Meta) {
    set_page(fs, 0, &Node::Header(m));
}

/// `result` failed with a corruption error naming `path`.
fn assert_corrupt<T>(result: engine_core::Result<T>, path: &Path) -> (u64, String) {
    match result {
        Err(Error::Corruption {
            path: p,
            offset,
            what,
        }) if p == path => (offset, what),
        Err(e) => panic!("expected corruption in {path:?}, got {e}"),
        Ok(_) => panic!("expected corruption in {path:?}, got success"),
    }
}

fn verify_flags(fs: &SimFs, path: &Path) {
    let report = btree::verify(&fs.vfs(), &dir(), &Options::new()).unwrap();
    assert!(
        report.corrupt.iter().any(|c| c.path == path),
        "verify missed it: {report:?}"
    );
}

// ---- the header page (read_meta) ---------------------------------------

/// Counters that cannot go one further, or that no file of this length can
/// hold. `height = u32::MAX` over a one-leaf tree made `metrics()` after a
/// lookup loop four billion times over the levels (`cached_levels`: 64 s
/// in debug, the hang an earlier attempt saw), a
/// `seq` or `wal_gen` of `u64::MAX` overflowed at the next checkpoint,
/// and a page count past the file let a link multiply into a wrapped
/// offset.
#[test]
fn a_header_with_exhausted_counters_is_corruption() {
    let fs = database(1);
    let good = meta(&fs);
    let cases: [(&str, Meta); 7] = [
        (
            "seq",
            Meta {
                seq: u64::MAX,
                ..good
            },
        ),
        (
            "height",
            Meta {
                height: u32::MAX,
                ..good
            },
        ),
        ("zero height", Meta { height: 0, ..good }),
        (
            "page_count",
            Meta {
                page_count: u64::MAX,
                ..good
            },
        ),
        (
            "free_count",
            Meta {
                free_count: u64::MAX,
                ..good
            },
        ),
        (
            "free_head",
            Meta {
                free_head: u64::MAX / 2,
                ..good
            },
        ),
        (
            "wal_gen",
            Meta {
                wal_gen: u64::MAX,
                ..good
            },
        ),
    ];
    for (what, m) in cases {
        set_meta(&fs, m);
        let (offset, msg) = assert_corrupt(
            open(&fs.vfs()).and_then(|db| {
                db.get(&key(0))?;
                Ok(db.metrics())
            }),
            &pages_path(),
        );
        assert_eq!(offset, 0, "{what}: {msg}");
        verify_flags(&fs, &pages_path());
    }
    set_meta(&fs, good);
    assert_eq!(
        open(&fs.vfs()).unwrap().get(&key(0)).unwrap(),
        Some(vec![0; 20])
    );
}

// ---- links (page.rs corrupt(), pager.rs load, verify.rs) ---------------

/// A two-level tree whose root links to a page no offset can hold.
fn wild_child() -> SimFs {
    let fs = database(300);
    let m = meta(&fs);
    assert!(m.height >= 2, "height {}", m.height);
    let Node::Internal(mut root) = page(&fs, m.root) else {
        panic!("the root of a two-level tree is internal")
    };
    root.children[0] = u64::MAX / 3;
    set_page(&fs, m.root, &Node::Internal(root));
    fs
}

/// The pager used to multiply the link by the page size to name the
/// offset in its error: an overflow panic in debug.
#[test]
fn a_link_past_any_offset_is_corruption_not_an_overflow() {
    let fs = wild_child();
    let db = open(&fs.vfs()).unwrap();
    let (_, what) = assert_corrupt(db.get(&key(0)), &pages_path());
    assert!(what.contains(&(u64::MAX / 3).to_string()), "{what}");
    assert_corrupt(db.scan(b"", 10), &pages_path());
    // Keys under the other children are still there.
    assert_eq!(db.get(&key(299)).unwrap(), Some(vec![43; 20]));
}

/// verify named the offset of the wild page the same way.
#[test]
fn verify_of_a_link_past_any_offset_is_corruption_not_an_overflow() {
    verify_flags(&wild_child(), &pages_path());
}

// ---- overflow chains (tree.rs read_value) -----------------------------

/// An overflow page of no data that links to itself never fills its
/// value: reading it used to loop for ever.
#[test]
fn an_overflow_chain_looping_through_empty_pages_is_corruption_not_a_hang() {
    let fs = SimFs::new(12);
    // Closed cleanly at the end of the statement: the value in the pages.
    open(&fs.vfs()).unwrap().put(b"big", &[9; 2000]).unwrap();
    let m = meta(&fs);
    let Node::Leaf(leaf) = page(&fs, m.root) else {
        panic!("one leaf")
    };
    let Val::Overflow { first, .. } = leaf.vals[0] else {
        panic!("2000 bytes overflow a 512-byte page")
    };
    set_page(
        &fs,
        first,
        &Node::Overflow {
            next: first,
            data: Vec::new(),
        },
    );
    let db = open(&fs.vfs()).unwrap();
    assert_corrupt(db.get(b"big"), &pages_path());
    assert_corrupt(db.scan(b"", 1), &pages_path());
    verify_flags(&fs, &pages_path());
}

// ---- the doublewrite file (checkpoint.rs recover, decode_dw, verify) ---

/// A doublewrite file of `images`, valid checksums, at page size `ps`.
fn write_dw(fs: &SimFs, ps: usize, seq: u64, images: &[(u64, &Node)]) {
    fs.write_file(&dw_path(), &encode_dw(ps, seq, images))
        .unwrap();
}

/// An image naming page 2^60: recovery used to write it at `id * 512`,
/// an overflow panic in debug and a write at a wrapped offset in release.
#[test]
fn a_doublewrite_image_with_a_wild_page_id_is_corruption() {
    let fs = database(50);
    let m = meta(&fs);
    let before = fs.read_file(&pages_path()).unwrap();
    let header = Node::Header(Meta {
        seq: m.seq + 1,
        ..m
    });
    let free = Node::Free { next: 0 };
    write_dw(&fs, PS, m.seq + 1, &[(0, &header), (1 << 60, &free)]);
    let (offset, _) = assert_corrupt(open(&fs.vfs()), &dw_path());
    assert_eq!(offset, (DW_HEADER + PS) as u64, "the second image");
    assert_eq!(
        fs.read_file(&pages_path()).unwrap(),
        before,
        "nothing written"
    );
    verify_flags(&fs, &dw_path());
}

/// An id the header image allows (its page count says 2^40) but far past
/// the file: recovery used to write there (a 512 TiB sparse file, or an
/// I/O error), and verify to allocate a bit per page up to it.
#[test]
fn a_doublewrite_image_far_past_the_file_is_corruption() {
    let fs = database(50);
    let m = meta(&fs);
    let header = Node::Header(Meta {
        seq: m.seq + 1,
        page_count: 1 << 40,
        ..m
    });
    let free = Node::Free { next: 0 };
    write_dw(&fs, PS, m.seq + 1, &[(0, &header), (1 << 39, &free)]);
    let (offset, _) = assert_corrupt(open(&fs.vfs()), &dw_path());
    assert_eq!(offset, (DW_HEADER + PS) as u64, "the second image");
    verify_flags(&fs, &dw_path());
}

/// Images of 1024 bytes over a file of 512-byte pages used to be written
/// at `id * 1024`, over the neighbours of every page they replace.
#[test]
fn a_doublewrite_of_another_page_size_is_corruption() {
    let fs = database(50);
    let m = meta(&fs);
    let before = fs.read_file(&pages_path()).unwrap();
    let header = Node::Header(Meta {
        seq: m.seq + 1,
        page_size: 1024,
        ..m
    });
    write_dw(&fs, 1024, m.seq + 1, &[(0, &header)]);
    assert_corrupt(open(&fs.vfs()), &dw_path());
    assert_eq!(
        fs.read_file(&pages_path()).unwrap(),
        before,
        "nothing written"
    );
    verify_flags(&fs, &dw_path());
}

/// A header image saying page size 0: verify divided the file's length by
/// it.
#[test]
fn a_doublewrite_header_image_of_page_size_zero_is_corruption() {
    let fs = database(50);
    let m = meta(&fs);
    let header = Node::Header(Meta {
        seq: m.seq + 1,
        page_size: 0,
        ..m
    });
    write_dw(&fs, PS, m.seq + 1, &[(0, &header)]);
    verify_flags(&fs, &dw_path());
    assert_corrupt(open(&fs.vfs()), &dw_path());
}

/// A header image whose tree is unusable must not replace a good header.
#[test]
fn a_doublewrite_header_image_with_a_root_past_its_pages_is_corruption() {
    let fs = database(50);
    let m = meta(&fs);
    let header = Node::Header(Meta {
        seq: m.seq + 1,
        root: m.page_count + 5,
        ..m
    });
    write_dw(&fs, PS, m.seq + 1, &[(0, &header)]);
    verify_flags(&fs, &dw_path());
    assert_corrupt(open(&fs.vfs()), &dw_path());
}
