//! Everything behind the simulated filesystem's one lock: the inodes, the
//! visible and durable namespaces, the call counters and the armed faults.
//!
//! Each public operation is one method here, called with the lock held. It
//! first passes the [`State::admit`] gate (count the call, fire a crash
//! trigger or an injected fault), and only then looks at or changes anything,
//! so a failed call never has an effect.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::crash::{CrashMode, CrashStats, SplitMix64};
use super::inode::{check_len, Inode};
use super::{CRASH_MESSAGE, FAULT_MESSAGE};
use crate::vfs::OpenMode;

/// Inode number; allocated in order, so iteration order is deterministic.
pub(super) type Ino = u64;

/// One directory: its entries as readers see them and as a crash would
/// leave them.
#[derive(Default)]
struct Dir {
    visible: BTreeMap<OsString, Ino>,
    durable: BTreeMap<OsString, Ino>,
}

/// What kind of call is passing the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Call {
    /// Reads, lengths, listings, existence checks, directory creation.
    Inspect,
    /// A call that changes files or names (counted by `mutations()`).
    Mutate,
    /// A file sync: a mutation that `fail_syncs` can also fail.
    FileSync,
}

/// The whole simulated machine.
pub(super) struct State {
    seed: u64,
    /// Bumped by every crash; handles remember the epoch they were opened in.
    pub(super) epoch: u64,
    crashes: u64,
    pub(super) ops: u64,
    pub(super) mutations: u64,
    pub(super) crash_at: Option<u64>,
    pub(super) crashed: bool,
    pub(super) fail_at: Option<u64>,
    pub(super) fail_persistent: bool,
    /// A persistent fault fired: every call fails until `clear_faults`.
    pub(super) failing: bool,
    /// `Some(persistent)` while file syncs are armed to fail.
    pub(super) sync_fault: Option<bool>,
    read_only: BTreeSet<PathBuf>,
    dirs: BTreeMap<PathBuf, Dir>,
    inodes: BTreeMap<Ino, Inode>,
    next_ino: Ino,
    /// What the last crash did to unsynced pages.
    pub(super) last_crash: CrashStats,
    /// Whether durable bytes, pending changes and durable names are kept
    /// (false for [`super::SimFs::memory`]).
    history: bool,
}

impl State {
    pub(super) fn new(seed: u64, history: bool) -> State {
        let mut dirs = BTreeMap::new();
        // The root and the current directory always exist, so that absolute
        // and relative paths both work without a create_dir_all.
        dirs.insert(PathBuf::from("/"), Dir::default());
        dirs.insert(PathBuf::new(), Dir::default());
        State {
            seed,
            epoch: 0,
            crashes: 0,
            ops: 0,
            mutations: 0,
            crash_at: None,
            crashed: false,
            fail_at: None,
            fail_persistent: false,
            failing: false,
            sync_fault: None,
            read_only: BTreeSet::new(),
            dirs,
            inodes: BTreeMap::new(),
            last_crash: CrashStats::default(),
            next_ino: 1,
            history,
        }
    }

    /// The gate every backend call passes before it may look at or change
    /// anything: count it, then fail it if a crash trigger or a fault says so.
    pub(super) fn admit(&mut self, call: Call) -> io::Result<()> {
        self.ops += 1;
        if self.crashed {
            return Err(crash_error());
        }
        if call != Call::Inspect {
            self.mutations += 1;
            if self.crash_at == Some(self.mutations) {
                self.crashed = true;
                return Err(crash_error());
            }
        }
        if self.failing {
            return Err(fault_error());
        }
        if self.fail_at == Some(self.ops) {
            self.fail_at = None;
            self.failing = self.fail_persistent;
            return Err(fault_error());
        }
        if call == Call::FileSync {
            if let Some(persistent) = self.sync_fault {
                if !persistent {
                    self.sync_fault = None;
                }
                return Err(fault_error());
            }
        }
        Ok(())
    }

    pub(super) fn clear_faults(&mut self) {
        self.fail_at = None;
        self.fail_persistent = false;
        self.failing = false;
        self.sync_fault = None;
    }

    /// The inode behind a live handle. A handle's inode is never freed while
    /// the handle is open in the current epoch.
    pub(super) fn inode(&mut self, ino: Ino) -> &mut Inode {
        self.inodes
            .get_mut(&ino)
            .expect("an open handle of the current epoch keeps its inode alive")
    }

    fn lookup(&self, parent: &Path, name: &OsString) -> Option<Ino> {
        self.dirs.get(parent)?.visible.get(name).copied()
    }

    fn dir(&self, parent: &Path) -> io::Result<&Dir> {
        self.dirs.get(parent).ok_or_else(|| no_dir(parent))
    }

    fn writable(&self, dir: &Path) -> io::Result<()> {
        if self.read_only.contains(dir) {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!("directory {} is read-only", dir.display()),
            ));
        }
        Ok(())
    }

    fn new_inode(&mut self) -> Ino {
        let ino = self.next_ino;
        self.next_ino += 1;
        self.inodes.insert(ino, Inode::new(self.history));
        ino
    }

    /// Forget an inode nothing refers to any more: no name, visible or
    /// durable, and no open handle.
    fn release(&mut self, ino: Ino) {
        if let Some(i) = self.inodes.get(&ino) {
            if i.visible_links == 0 && i.durable_links == 0 && i.handles == 0 {
                self.inodes.remove(&ino);
            }
        }
    }

    /// A handle of the current epoch was dropped.
    pub(super) fn close(&mut self, ino: Ino) {
        if let Some(i) = self.inodes.get_mut(&ino) {
            i.handles -= 1;
        }
        self.release(ino);
    }

    pub(super) fn open(&mut self, path: &Path, mode: OpenMode) -> io::Result<Ino> {
        let (parent, name) = split(path)?;
        let existing = self.lookup(&parent, &name);
        let mutates = match mode {
            OpenMode::Existing => false,
            OpenMode::Create => existing.is_none(),
            OpenMode::CreateNew | OpenMode::Truncate => true,
        };
        self.admit(if mutates { Call::Mutate } else { Call::Inspect })?;
        self.dir(&parent)?;
        if self.dirs.contains_key(&parent.join(&name)) {
            return Err(is_a_dir(path));
        }
        let ino = match (existing, mode) {
            (None, OpenMode::Existing) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no such file: {}", path.display()),
                ))
            }
            (Some(_), OpenMode::CreateNew) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("file exists: {}", path.display()),
                ))
            }
            (Some(ino), OpenMode::Truncate) => {
                self.inode(ino).set_len(0)?;
                ino
            }
            (Some(ino), _) => ino,
            (None, _) => {
                self.writable(&parent)?;
                let ino = self.new_inode();
                self.inode(ino).visible_links = 1;
                self.dirs
                    .get_mut(&parent)
                    .expect("checked above")
                    .visible
                    .insert(name, ino);
                ino
            }
        };
        self.inode(ino).handles += 1;
        Ok(ino)
    }

    pub(super) fn remove_file(&mut self, path: &Path) -> io::Result<()> {
        self.admit(Call::Mutate)?;
        let (parent, name) = split(path)?;
        self.dir(&parent)?;
        self.writable(&parent)?;
        let dir = self.dirs.get_mut(&parent).expect("checked above");
        let ino = dir.visible.remove(&name).ok_or_else(|| no_file(path))?;
        self.inode(ino).visible_links -= 1;
        self.release(ino);
        Ok(())
    }

    pub(super) fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        self.admit(Call::Mutate)?;
        let (from_dir, from_name) = split(from)?;
        let (to_dir, to_name) = split(to)?;
        self.dir(&from_dir)?;
        self.dir(&to_dir)?;
        let ino = self
            .lookup(&from_dir, &from_name)
            .ok_or_else(|| no_file(from))?;
        if self.dirs.contains_key(&to_dir.join(&to_name)) {
            return Err(is_a_dir(to));
        }
        self.writable(&from_dir)?;
        self.writable(&to_dir)?;
        if from_dir == to_dir && from_name == to_name {
            return Ok(());
        }
        self.dirs
            .get_mut(&from_dir)
            .expect("checked above")
            .visible
            .remove(&from_name);
        let replaced = self
            .dirs
            .get_mut(&to_dir)
            .expect("checked above")
            .visible
            .insert(to_name, ino);
        if let Some(old) = replaced {
            self.inode(old).visible_links -= 1;
            self.release(old);
        }
        Ok(())
    }

    pub(super) fn create_dir_all(&mut self, path: &Path) -> io::Result<()> {
        self.admit(Call::Inspect)?;
        self.make_dirs(path)
    }

    /// Create `path` and its missing ancestors, durable at once.
    fn make_dirs(&mut self, path: &Path) -> io::Result<()> {
        let path = normalize(path);
        let mut missing = Vec::new();
        for dir in path.ancestors() {
            if self.dirs.contains_key(dir) {
                break;
            }
            if self.peek_exists(dir) {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} is a file, not a directory", dir.display()),
                ));
            }
            missing.push(dir.to_path_buf());
        }
        // The deepest existing ancestor must let us add a subdirectory.
        if let Some(top) = missing.last().and_then(|d| d.parent()) {
            self.writable(top)?;
        }
        for dir in missing {
            self.dirs.insert(dir, Dir::default());
        }
        Ok(())
    }

    pub(super) fn sync_dir(&mut self, path: &Path) -> io::Result<()> {
        self.admit(Call::Mutate)?;
        let path = normalize(path);
        let dir = self.dirs.get_mut(&path).ok_or_else(|| no_dir(&path))?;
        if !self.history {
            // No durable namespace: nothing to copy, and no durable link
            // keeps a removed file's bytes alive.
            return Ok(());
        }
        let old = std::mem::replace(&mut dir.durable, dir.visible.clone());
        let new: Vec<Ino> = dir.durable.values().copied().collect();
        for ino in &new {
            self.inode(*ino).durable_links += 1;
        }
        for ino in old.into_values() {
            self.inode(ino).durable_links -= 1;
            self.release(ino);
        }
        Ok(())
    }

    pub(super) fn list_dir(&mut self, path: &Path) -> io::Result<Vec<String>> {
        self.admit(Call::Inspect)?;
        let path = normalize(path);
        let dir = self.dir(&path)?;
        Ok(dir
            .visible
            .keys()
            .map(|n| n.to_string_lossy().into_owned())
            .collect())
    }

    pub(super) fn exists(&mut self, path: &Path) -> io::Result<bool> {
        self.admit(Call::Inspect)?;
        Ok(self.peek_exists(path))
    }

    fn peek_exists(&self, path: &Path) -> bool {
        let path = normalize(path);
        if self.dirs.contains_key(&path) {
            return true;
        }
        match split(&path) {
            Ok((parent, name)) => self.lookup(&parent, &name).is_some(),
            Err(_) => false,
        }
    }

    /// Power loss: apply `mode` to every file that has a durable name, make
    /// the durable namespace the visible one, and forget everything else.
    pub(super) fn crash(&mut self, mode: CrashMode) {
        let mode_seed = match mode {
            CrashMode::TornWrite { seed }
            | CrashMode::Garbage { seed }
            | CrashMode::DropPages { seed } => seed,
            CrashMode::DropUnsynced | CrashMode::ZeroTail | CrashMode::ProcessKill => 0,
        };
        let mut rng = SplitMix64::new(
            self.seed
                ^ mode_seed.rotate_left(32)
                ^ self.crashes.wrapping_mul(0xD1B5_4A32_D192_ED03),
        );
        if self.history {
            for dir in self.dirs.values_mut() {
                dir.visible = dir.durable.clone();
            }
            self.inodes.retain(|_, i| i.durable_links > 0);
        } else {
            // Without history the current state is the only one known: it
            // survives whole, names included, as after a process kill.
            self.inodes.retain(|_, i| i.visible_links > 0);
        }
        self.last_crash = CrashStats::default();
        for inode in self.inodes.values_mut() {
            inode.crash(mode, &mut rng, &mut self.last_crash);
        }
        self.epoch += 1;
        self.crashes += 1;
        self.ops = 0;
        self.mutations = 0;
        self.crash_at = None;
        self.crashed = false;
        self.clear_faults();
    }

    pub(super) fn set_read_only(&mut self, dir: &Path, read_only: bool) {
        let dir = normalize(dir);
        if read_only {
            self.read_only.insert(dir);
        } else {
            self.read_only.remove(&dir);
        }
    }

    // ----- Test-side inspection and fixtures: uncounted, never failed. -----

    pub(super) fn peek(&self, path: &Path) -> io::Result<&Inode> {
        let (parent, name) = split(path)?;
        self.dir(&parent)?;
        let ino = self.lookup(&parent, &name).ok_or_else(|| no_file(path))?;
        Ok(&self.inodes[&ino])
    }

    pub(super) fn files(&self) -> Vec<(PathBuf, u64)> {
        let mut out: Vec<(PathBuf, u64)> = self
            .dirs
            .iter()
            .flat_map(|(path, dir)| {
                dir.visible
                    .iter()
                    .map(|(name, ino)| (path.join(name), self.inodes[ino].len()))
            })
            .collect();
        out.sort();
        out
    }

    pub(super) fn write_file(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        check_len(Some(bytes.len() as u64))?;
        let (parent, name) = split(path)?;
        if self.dirs.contains_key(&parent.join(&name)) {
            return Err(is_a_dir(path));
        }
        // Fixtures may name a directory that does not exist yet.
        self.make_dirs(&parent)?;
        let ino = match self.lookup(&parent, &name) {
            Some(ino) => ino,
            None => {
                let ino = self.new_inode();
                self.inode(ino).visible_links = 1;
                let dir = self.dirs.get_mut(&parent).expect("made above");
                dir.visible.insert(name.clone(), ino);
                ino
            }
        };
        // Durable at once: the name as well as the bytes.
        let dir = self.dirs.get_mut(&parent).expect("made above");
        if self.history && dir.durable.get(&name) != Some(&ino) {
            let old = dir.durable.insert(name, ino);
            self.inode(ino).durable_links += 1;
            if let Some(old) = old {
                self.inode(old).durable_links -= 1;
                self.release(old);
            }
        }
        self.inode(ino).replace(bytes);
        Ok(())
    }

    pub(super) fn flip_bit(&mut self, path: &Path, offset: u64, bit: u8) -> io::Result<()> {
        let (parent, name) = split(path)?;
        self.dir(&parent)?;
        let ino = self.lookup(&parent, &name).ok_or_else(|| no_file(path))?;
        let inode = self.inode(ino);
        if bit > 7 || offset >= inode.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "cannot flip bit {bit} at offset {offset} of {} ({} bytes)",
                    path.display(),
                    inode.len()
                ),
            ));
        }
        inode.flip(offset, bit);
        Ok(())
    }

    /// Test hook: how many inodes are alive.
    #[cfg(test)]
    pub(super) fn inode_count(&self) -> usize {
        self.inodes.len()
    }

    /// Test hook: bytes held by every inode, history included.
    #[cfg(test)]
    pub(super) fn held_bytes(&self) -> usize {
        self.inodes.values().map(Inode::held_bytes).sum()
    }

    /// Test hook: the invariant of every inode holds.
    #[cfg(test)]
    pub(super) fn check_invariants(&self) {
        for (ino, inode) in &self.inodes {
            assert!(
                inode.replays(),
                "inode {ino}: pending changes do not replay"
            );
        }
    }
}

/// One spelling per path: no `.` components, no doubled or trailing slashes.
fn normalize(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// A file path as (directory, name).
fn split(path: &Path) -> io::Result<(PathBuf, OsString)> {
    let path = normalize(path);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )
    })?;
    let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok((parent, name.to_os_string()))
}

fn no_dir(dir: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("no such directory: {}", dir.display()),
    )
}

fn no_file(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("no such file: {}", path.display()),
    )
}

fn is_a_dir(path: &Path) -> io::Error {
    // `ErrorKind::IsADirectory` is newer than the workspace's minimum Rust.
    io::Error::other(format!("{} is a directory", path.display()))
}

pub(super) fn crash_error() -> io::Error {
    io::Error::other(CRASH_MESSAGE)
}

pub(super) fn fault_error() -> io::Error {
    io::Error::other(FAULT_MESSAGE)
}
