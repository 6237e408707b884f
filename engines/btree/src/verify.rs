//! The offline check: every page's checksum and id, the tree's invariants,
//! the free list and the log, without writing a byte.
//!
//! A complete doublewrite file is what recovery would copy in place, so its
//! images are read instead of the pages they replace. Checked: key order
//! within pages and against the parents' separators, every leaf at the
//! height the header states, overflow chains of the stated length, the leaf
//! chain visiting the leaves in order, a free list of free pages, no page
//! reached twice, and every page below the page count decoding cleanly.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use engine_core::ownership;
use engine_core::record::{self, LogEnd, LogReader, RecordKind, FILE_HEADER_LEN};
use engine_core::{
    CorruptSpot, Error, FileReport, OpenMode, Options, Purpose, Result, VerifyReport, Vfs,
};

use crate::doublewrite::{judge, Doublewrite};
use crate::page::{page_offset, Meta, Node, Val};
use crate::pager::read_meta;
use crate::wal::{list_gens, wal_path, WAL_MAGIC, WAL_VERSION};
use crate::{DW_FILE, ENGINE_NAME, PAGE_FILE};

/// Walk the engine directory `dir` read-only and report what is there.
pub fn verify(vfs: &Vfs, dir: &Path, _options: &Options) -> Result<VerifyReport> {
    // Another engine's files, or a user's, are no B+tree to call clean.
    ownership::check(vfs, dir, ENGINE_NAME)?;
    let mut report = VerifyReport::default();
    let pages_path = dir.join(PAGE_FILE);
    let pages = vfs.open(&pages_path, OpenMode::Existing)?;
    let Some((overlay, dw_meta)) = doublewrite(vfs, dir, &pages, &mut report)? else {
        return Ok(report);
    };
    let meta = match dw_meta {
        Some(m) => Ok(m),
        None => read_meta(&pages),
    };
    let meta = match meta {
        Ok(m) => m,
        Err(e) => {
            report.corrupt.push(spot_of(&pages_path, e));
            report.files.push(FileReport {
                path: pages_path,
                kind: "pages",
                bytes: pages.len()?,
                records: 0,
            });
            return Ok(report);
        }
    };
    // Pages recovery would have: the file's, and the doublewrite's images
    // (a new database's first checkpoint may have put none in place yet).
    // Bounded by the file's size, whatever the header says.
    let in_file = pages.len()? / meta.page_size as u64 + 1;
    let in_dw = overlay.keys().max().map_or(0, |&id| id + 1);
    let mut walk = Walk {
        meta,
        overlay,
        pages: &pages,
        path: &pages_path,
        seen: vec![false; meta.page_count.min(in_file.max(in_dw)) as usize],
        keys: BTreeSet::new(),
        corrupt: Vec::new(),
        leaves: Vec::new(),
    };
    walk.node(meta.root, meta.height, None, None)?;
    walk.leaf_chain()?;
    walk.free_list()?;
    walk.unreached()?;
    report.corrupt.append(&mut walk.corrupt);
    report.files.push(FileReport {
        path: pages_path.clone(),
        kind: "pages",
        bytes: pages.len()?,
        records: meta.page_count,
    });
    let mut keys = walk.keys;

    check_logs(vfs, dir, meta.wal_gen, &mut keys, &mut report)?;
    report.live_keys = keys.len() as u64;
    Ok(report)
}

/// Images by page id, and the header among them.
type Overlay = (HashMap<u64, Vec<u8>>, Option<Meta>);

/// The doublewrite file as recovery would judge it: the images it would
/// copy in place (read instead of the pages they replace), or `None` when
/// it is corruption (reported).
fn doublewrite(
    vfs: &Vfs,
    dir: &Path,
    pages: &engine_core::File,
    report: &mut VerifyReport,
) -> Result<Option<Overlay>> {
    let mut overlay = HashMap::new();
    let mut dw_meta = None;
    let dw_path = dir.join(DW_FILE);
    if !vfs.exists(&dw_path)? {
        return Ok(Some((overlay, dw_meta)));
    }
    let dw = vfs.open(&dw_path, OpenMode::Existing)?;
    let mut bytes = vec![0u8; usize::try_from(dw.len()?).unwrap_or(usize::MAX)];
    dw.read_exact_at(&mut bytes, 0, Purpose::Recovery)?;
    let disk = match pages.len()? {
        0 => None,
        _ => Some(read_meta(pages)),
    };
    let mut n = 0;
    match judge(&dw_path, &bytes, pages, disk) {
        Ok(Doublewrite::Complete((_, images))) => {
            n = images.len() as u64;
            for (id, img) in images {
                if let Ok(Node::Header(m)) = Node::decode(id, img) {
                    dw_meta = Some(m);
                }
                overlay.insert(id, img.to_vec());
            }
        }
        Ok(Doublewrite::Unused) if !bytes.is_empty() => {
            report.torn_tails.push(CorruptSpot {
                path: dw_path.clone(),
                offset: 0,
                what: "incomplete doublewrite file (a checkpoint died before writing in place)"
                    .into(),
            });
        }
        Ok(Doublewrite::Unused) => {}
        Err(e) => {
            report.corrupt.push(spot_of(&dw_path, e));
            report
                .files
                .push(file_report(&dw_path, "doublewrite", &bytes, 0));
            return Ok(None);
        }
    }
    report
        .files
        .push(file_report(&dw_path, "doublewrite", &bytes, n));
    Ok(Some((overlay, dw_meta)))
}

/// A report entry for error `e` met reading `path`: a corruption error
/// keeps its own file and offset.
fn spot_of(path: &Path, e: Error) -> CorruptSpot {
    match e {
        Error::Corruption { path, offset, what } => CorruptSpot { path, offset, what },
        e => CorruptSpot {
            path: path.to_path_buf(),
            offset: 0,
            what: e.to_string(),
        },
    }
}

fn file_report(path: &Path, kind: &'static str, bytes: &[u8], records: u64) -> FileReport {
    FileReport {
        path: path.to_path_buf(),
        kind,
        bytes: bytes.len() as u64,
        records,
    }
}

/// Check the logs the way [`crate::wal::replay`] reads them: from the
/// generation the header names, the newest being the last that holds
/// records (empty ones after it are dropped at open). Only the newest may
/// end torn; a torn older one is damage, since it was durable before its
/// successor got a byte.
fn check_logs(
    vfs: &Vfs,
    dir: &Path,
    from: u64,
    keys: &mut BTreeSet<Vec<u8>>,
    report: &mut VerifyReport,
) -> Result<()> {
    let gens = list_gens(vfs, dir)?;
    let mut newest = from;
    for &gen in gens.iter().filter(|&&g| g >= from) {
        if vfs.open(&wal_path(dir, gen), OpenMode::Existing)?.len()? > FILE_HEADER_LEN as u64 {
            newest = gen;
        }
    }
    for gen in gens {
        let path = wal_path(dir, gen);
        let file = vfs.open(&path, OpenMode::Existing)?;
        let records = if gen >= from {
            check_log(&file, gen == newest, keys, report)?
        } else {
            0
        };
        report.files.push(FileReport {
            path,
            kind: if gen >= from { "wal" } else { "stale wal" },
            bytes: file.len()?,
            records,
        });
    }
    if !vfs.exists(&wal_path(dir, from))? {
        report.corrupt.push(CorruptSpot {
            path: wal_path(dir, from),
            offset: 0,
            what: "the log named by the header page is missing".into(),
        });
    }
    Ok(())
}

/// Read one log, applying its records to `keys`; returns how many.
fn check_log(
    file: &engine_core::File,
    newest: bool,
    keys: &mut BTreeSet<Vec<u8>>,
    report: &mut VerifyReport,
) -> Result<u64> {
    let path = file.path().to_path_buf();
    let mut head = [0u8; FILE_HEADER_LEN];
    let ok = file.len()? >= FILE_HEADER_LEN as u64
        && file.read_exact_at(&mut head, 0, Purpose::Recovery).is_ok()
        && record::check_file_header(&path, &head, WAL_MAGIC, WAL_VERSION).is_ok();
    if !ok {
        report.corrupt.push(CorruptSpot {
            path,
            offset: 0,
            what: "bad log file header".into(),
        });
        return Ok(0);
    }
    let mut records = 0;
    let mut reader = LogReader::new(file, FILE_HEADER_LEN as u64, Purpose::Recovery)?;
    loop {
        match reader.next_record() {
            Ok(Some(rec)) => {
                records += 1;
                match rec.kind {
                    RecordKind::Put => {
                        keys.insert(rec.key);
                    }
                    RecordKind::Delete => {
                        keys.remove(&rec.key);
                    }
                    RecordKind::Marker => {}
                }
            }
            Ok(None) => break,
            Err(e) => {
                report.corrupt.push(CorruptSpot {
                    path: path.clone(),
                    offset: 0,
                    what: e.to_string(),
                });
                break;
            }
        }
    }
    if let Some(LogEnd::TornTail { valid_len, .. }) = reader.end() {
        let spot = |what: &str| CorruptSpot {
            path: path.clone(),
            offset: valid_len,
            what: what.into(),
        };
        if newest {
            report.torn_tails.push(spot("torn log tail"));
        } else {
            report
                .corrupt
                .push(spot("torn tail in a log that a newer log follows"));
        }
    }
    Ok(records)
}

struct Walk<'a> {
    meta: Meta,
    overlay: HashMap<u64, Vec<u8>>,
    pages: &'a engine_core::File,
    path: &'a Path,
    seen: Vec<bool>,
    keys: BTreeSet<Vec<u8>>,
    corrupt: Vec<CorruptSpot>,
    /// Leaves in key order, as the tree reaches them.
    leaves: Vec<u64>,
}

impl Walk<'_> {
    fn bad(&mut self, id: u64, what: impl Into<String>) {
        // Ids come from links, which may be anything: the error of one
        // without an offset names the largest.
        let offset = page_offset(id, self.meta.page_size as usize).unwrap_or(u64::MAX);
        self.corrupt.push(CorruptSpot {
            path: self.path.to_path_buf(),
            offset,
            what: what.into(),
        });
    }

    /// Read page `id` (claiming it: a second claim is corruption).
    fn read(&mut self, id: u64) -> Result<Option<Node>> {
        if id == 0 || id as usize >= self.seen.len() {
            self.bad(id, format!("link to page {id} outside the file"));
            return Ok(None);
        }
        if std::mem::replace(&mut self.seen[id as usize], true) {
            self.bad(id, format!("page {id} reached twice"));
            return Ok(None);
        }
        self.peek(id)
    }

    fn peek(&mut self, id: u64) -> Result<Option<Node>> {
        let ps = self.meta.page_size as usize;
        let bytes = match self.overlay.get(&id) {
            Some(img) => img.clone(),
            None => {
                let mut b = vec![0u8; ps];
                let at = page_offset(id, ps).filter(|at| at.checked_add(ps as u64).is_some());
                let len = self.pages.len()?;
                let Some(at) = at.filter(|at| at + ps as u64 <= len) else {
                    self.bad(id, "page past the end of the file");
                    return Ok(None);
                };
                self.pages.read_exact_at(&mut b, at, Purpose::Recovery)?;
                b
            }
        };
        match Node::decode(id, &bytes) {
            Ok(n) => Ok(Some(n)),
            Err(what) => {
                self.bad(id, what);
                Ok(None)
            }
        }
    }

    fn node(&mut self, id: u64, level: u32, lo: Option<&[u8]>, hi: Option<&[u8]>) -> Result<()> {
        let Some(node) = self.read(id)? else {
            return Ok(());
        };
        // Not is_none_or: the MSRV is 1.80.
        let in_range =
            |k: &[u8]| !matches!(lo, Some(lo) if k < lo) && !matches!(hi, Some(hi) if k >= hi);
        match node {
            Node::Leaf(l) if level == 1 => {
                if !l.keys.iter().all(|k| in_range(k)) {
                    self.bad(id, "leaf key outside its parent's separators");
                }
                self.leaves.push(id);
                for (k, v) in l.keys.into_iter().zip(l.vals) {
                    if let Val::Overflow { len, first } = v {
                        self.overflow(id, len, first)?;
                    }
                    self.keys.insert(k);
                }
            }
            Node::Internal(n) if level > 1 => {
                if !n.keys.iter().all(|k| in_range(k)) {
                    self.bad(id, "separator outside its parent's range");
                }
                for (i, &c) in n.children.iter().enumerate() {
                    let clo = if i == 0 {
                        lo
                    } else {
                        Some(n.keys[i - 1].as_slice())
                    };
                    let chi = n.keys.get(i).map(|k| k.as_slice()).or(hi);
                    self.node(c, level - 1, clo, chi)?;
                }
            }
            _ => self.bad(id, format!("page {id} is not a node of level {level}")),
        }
        Ok(())
    }

    fn overflow(&mut self, leaf: u64, len: u32, first: u64) -> Result<()> {
        let mut got = 0usize;
        let mut id = first;
        while got < len as usize {
            match self.read(id)? {
                Some(Node::Overflow { next, data }) => {
                    got += data.len();
                    id = next;
                }
                _ => {
                    self.bad(leaf, "broken overflow chain");
                    return Ok(());
                }
            }
        }
        if got != len as usize {
            self.bad(leaf, "overflow chain longer than its value");
        }
        Ok(())
    }

    fn leaf_chain(&mut self) -> Result<()> {
        for i in 0..self.leaves.len() {
            let want = self.leaves.get(i + 1).copied().unwrap_or(0);
            if let Some(Node::Leaf(l)) = self.peek(self.leaves[i])? {
                if l.next != want {
                    self.bad(self.leaves[i], "next-leaf link out of key order");
                }
            }
        }
        Ok(())
    }

    fn free_list(&mut self) -> Result<()> {
        let mut id = self.meta.free_head;
        let mut n = 0;
        while id != 0 {
            match self.read(id)? {
                Some(Node::Free { next }) => {
                    n += 1;
                    id = next;
                }
                _ => {
                    self.bad(id, "free list links to a page that is not free");
                    return Ok(());
                }
            }
        }
        if n != self.meta.free_count {
            let head = self.meta.free_head;
            self.bad(
                head,
                format!(
                    "free list has {n} pages, header says {}",
                    self.meta.free_count
                ),
            );
        }
        Ok(())
    }

    fn unreached(&mut self) -> Result<()> {
        for id in 1..self.seen.len() as u64 {
            if !self.seen[id as usize] {
                self.bad(
                    id,
                    format!("page {id} is neither in the tree nor free (leaked)"),
                );
            }
        }
        Ok(())
    }
}
