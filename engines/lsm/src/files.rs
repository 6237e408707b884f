//! The names of the files in an LSM directory, in one place.
//!
//! Recovery, `verify` and the write path all need to agree on what a name
//! means: a file they disagree about is either deleted as stale by one and
//! reported live by the other, or missed by both. So the naming lives here
//! and nowhere else.
//!
//! | name             | what                                              |
//! |------------------|---------------------------------------------------|
//! | `NNNNNN.log`     | write-ahead log number `N` (see [`crate::wal`])     |
//! | `NNNNNN.log.tmp` | a WAL whose creation died before its rename       |
//! | `NNNNNN.sst`     | sorted table number `N` (see [`crate::sstable`])    |
//! | `MANIFEST`       | the version log (see [`crate::manifest`])           |
//! | `MANIFEST.tmp`   | a manifest rewrite that died before its rename    |
//!
//! Numbers are zero-padded to six digits so a directory listing sorts in
//! creation order; a number wider than six digits is still parsed.

use std::path::{Path, PathBuf};

use crate::manifest;

/// What a file name in the directory says the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileName {
    /// WAL number `n`.
    Wal(u64),
    /// Table number `n`.
    Table(u64),
    /// A leftover of a create-then-rename that did not finish; it never
    /// held acknowledged data and is deleted on open.
    Tmp,
}

impl FileName {
    /// Parse a bare file name; `None` for a name this engine does not own
    /// (the owner file, or anything a user put there).
    pub fn parse(name: &str) -> Option<FileName> {
        if name == manifest::TMP_NAME {
            return Some(FileName::Tmp);
        }
        let (stem, ext) = name.split_once('.')?;
        if stem.is_empty() || !stem.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n = stem.parse().ok()?;
        match ext {
            "log" => Some(FileName::Wal(n)),
            "sst" => Some(FileName::Table(n)),
            "log.tmp" => Some(FileName::Tmp),
            _ => None,
        }
    }
}

/// Path of WAL number `n`.
pub fn wal_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:06}.log"))
}

/// Path of table number `n`.
pub fn table_path(dir: &Path, n: u64) -> PathBuf {
    dir.join(format!("{n:06}.sst"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_paths_parse_back_to_what_they_name() {
        let dir = Path::new("/d");
        for n in [0, 7, 999_999, 1_000_000] {
            let wal = wal_path(dir, n);
            let table = table_path(dir, n);
            let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_owned();
            assert_eq!(FileName::parse(&name(&wal)), Some(FileName::Wal(n)));
            assert_eq!(FileName::parse(&name(&table)), Some(FileName::Table(n)));
        }
    }

    #[test]
    fn leftovers_are_tmp_and_foreign_names_are_not_ours() {
        assert_eq!(FileName::parse("MANIFEST.tmp"), Some(FileName::Tmp));
        assert_eq!(FileName::parse("000004.log.tmp"), Some(FileName::Tmp));
        for foreign in ["MANIFEST", "OWNER", ".sst", "12a.sst", "000001.txt", "x"] {
            assert_eq!(FileName::parse(foreign), None, "{foreign}");
        }
    }
}
