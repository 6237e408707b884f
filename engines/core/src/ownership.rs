//! Which engine a directory belongs to.
//!
//! Engines delete files on open (obsolete logs, leftover temporaries), so
//! an engine opened on the wrong directory could destroy a user's files or
//! another engine's database. Each engine therefore claims its directory
//! when it creates it, by writing an owner file, and refuses a directory
//! that is neither empty nor its own. `verify` asks the same question, so
//! it never calls another engine's files "clean".
//!
//! # The owner file, `ENGINE`
//!
//! | offset | size | field                                   |
//! |--------|------|-----------------------------------------|
//! | 0      | 8    | magic `b"SWBOWNR1"` (the format version)|
//! | 8      | 2    | name length `n`, u16 little-endian      |
//! | 10     | n    | engine name, UTF-8 (`"btree"`, `"lsm"`) |
//! | 10 + n | 4    | CRC-32 of bytes `0..10 + n`, LE         |
//!
//! It is written and synced, and the directory synced, before the engine
//! creates any other file, so after a crash a directory holding other
//! files always holds a complete owner file. A directory whose only entry
//! is a torn owner file is a claim that never finished: it is claimed
//! again.

use std::path::Path;

use crate::vfs::{OpenMode, Purpose, Vfs};
use crate::{Error, Result};

/// Name of the owner file in every engine directory.
pub const OWNER_FILE: &str = "ENGINE";

const MAGIC: &[u8; 8] = b"SWBOWNR1";

/// What [`claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The directory was empty or absent; it is now this engine's.
    Created,
    /// The directory already belonged to this engine.
    Existing,
}

/// Make `dir` this engine's, or refuse it: an absent or empty directory is
/// claimed, one owned by `engine` is accepted, anything else is
/// [`Error::Unusable`] naming what was found.
pub fn claim(vfs: &Vfs, dir: &Path, engine: &str) -> Result<Claim> {
    vfs.create_dir_all(dir)?;
    let names = vfs.list_dir(dir)?;
    let only_torn_owner = names == [OWNER_FILE] && read_owner(vfs, dir)?.is_none();
    if names.is_empty() || only_torn_owner {
        write_owner(vfs, dir, engine)?;
        return Ok(Claim::Created);
    }
    check(vfs, dir, engine)?;
    Ok(Claim::Existing)
}

/// Ok if `dir` holds a complete owner file naming `engine`; otherwise
/// [`Error::Unusable`] saying whose it is, or that it is nobody's.
pub fn check(vfs: &Vfs, dir: &Path, engine: &str) -> Result<()> {
    let unusable = |why: String| Error::Unusable {
        path: dir.to_path_buf(),
        why,
    };
    if !vfs.exists(&dir.join(OWNER_FILE))? {
        let names = vfs.list_dir(dir)?;
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        return Err(unusable(format!(
            "it is not empty and is not a {engine} database (no {OWNER_FILE} file; \
             found {}); refusing to touch files {engine} did not create",
            shown.join(", ")
        )));
    }
    match read_owner(vfs, dir)? {
        Some(owner) if owner == engine => Ok(()),
        Some(owner) => Err(unusable(format!(
            "it holds a {owner} database, not a {engine} one"
        ))),
        None => Err(Error::corruption(
            dir.join(OWNER_FILE),
            0,
            "owner file is damaged (bad magic, length or checksum)",
        )),
    }
}

/// The engine named by `dir`'s owner file, or None if it is torn.
fn read_owner(vfs: &Vfs, dir: &Path) -> Result<Option<String>> {
    let file = vfs.open(&dir.join(OWNER_FILE), OpenMode::Existing)?;
    let len = file.len()?;
    if !(14..=10 + u16::MAX as u64 + 4).contains(&len) {
        return Ok(None);
    }
    // The range check above bounds the length to 64 KiB.
    let mut bytes = vec![0u8; len as usize];
    file.read_exact_at(&mut bytes, 0, Purpose::Meta)?;
    Ok(decode(&bytes))
}

fn decode(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 14 || &bytes[..8] != MAGIC {
        return None;
    }
    let n = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    if bytes.len() != 10 + n + 4 {
        return None;
    }
    let (body, crc) = bytes.split_at(10 + n);
    if crc32fast::hash(body).to_le_bytes() != crc {
        return None;
    }
    String::from_utf8(body[10..].to_vec()).ok()
}

fn encode(engine: &str) -> Vec<u8> {
    let name = engine.as_bytes();
    assert!(name.len() <= u16::MAX as usize, "engine names are short");
    let mut out = Vec::with_capacity(14 + name.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&crc32fast::hash(&out).to_le_bytes());
    out
}

fn write_owner(vfs: &Vfs, dir: &Path, engine: &str) -> Result<()> {
    let file = vfs.open(&dir.join(OWNER_FILE), OpenMode::Truncate)?;
    file.write_at(&encode(engine), 0, Purpose::Meta)?;
    file.sync(Purpose::Meta)?;
    vfs.sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::SimFs;
    use std::path::PathBuf;

    fn setup() -> (SimFs, Vfs, PathBuf) {
        let fs = SimFs::new(3);
        let vfs = fs.vfs();
        (fs, vfs, PathBuf::from("/d"))
    }

    fn touch(vfs: &Vfs, path: &Path, bytes: &[u8]) {
        let f = vfs.open(path, OpenMode::Create).unwrap();
        f.write_at(bytes, 0, Purpose::Meta).unwrap();
    }

    #[test]
    fn an_empty_directory_is_claimed_once_and_then_accepted() {
        let (_fs, vfs, dir) = setup();
        assert_eq!(claim(&vfs, &dir, "lsm").unwrap(), Claim::Created);
        touch(&vfs, &dir.join("000001.sst"), b"x");
        assert_eq!(claim(&vfs, &dir, "lsm").unwrap(), Claim::Existing);
        check(&vfs, &dir, "lsm").unwrap();
    }

    #[test]
    fn a_users_directory_is_refused_and_left_alone() {
        let (_fs, vfs, dir) = setup();
        vfs.create_dir_all(&dir).unwrap();
        touch(&vfs, &dir.join("notes.txt"), b"mine");
        let err = claim(&vfs, &dir, "lsm").unwrap_err();
        assert!(matches!(err, Error::Unusable { .. }), "{err}");
        assert!(err.to_string().contains("notes.txt"), "{err}");
        assert_eq!(vfs.list_dir(&dir).unwrap(), ["notes.txt"]);
    }

    #[test]
    fn another_engines_directory_is_refused_by_name() {
        let (_fs, vfs, dir) = setup();
        claim(&vfs, &dir, "btree").unwrap();
        let err = claim(&vfs, &dir, "hash-log").unwrap_err();
        assert!(err.to_string().contains("holds a btree database"), "{err}");
        assert!(check(&vfs, &dir, "hash-log").is_err());
    }

    #[test]
    fn a_torn_owner_file_alone_is_claimed_again_but_beside_data_is_corruption() {
        let (_fs, vfs, dir) = setup();
        vfs.create_dir_all(&dir).unwrap();
        touch(&vfs, &dir.join(OWNER_FILE), &encode("lsm")[..7]);
        assert_eq!(claim(&vfs, &dir, "lsm").unwrap(), Claim::Created);
        let f = vfs.open(&dir.join(OWNER_FILE), OpenMode::Existing).unwrap();
        f.write_at(b"X", 11, Purpose::Meta).unwrap();
        touch(&vfs, &dir.join("000001.sst"), b"x");
        let err = claim(&vfs, &dir, "lsm").unwrap_err();
        assert!(err.is_corruption(), "{err}");
    }
}
