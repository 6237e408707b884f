//! The simulated, fault-injecting filesystem: the definition of "crash" that
//! every engine's tests run against.
//!
//! [`SimFs`] is an in-memory filesystem that knows what is durable. Engines
//! use it through [`SimFs::vfs`] exactly as they use real files; tests then
//! pull the plug ([`SimFs::crash`]), arm a crash at the N-th mutating call
//! ([`SimFs::crash_at_mutation`]), fail chosen calls ([`SimFs::fail_op`],
//! [`SimFs::fail_syncs`]), flip bits ([`SimFs::flip_bit`]) or take away write
//! permission ([`SimFs::set_dir_writable`]).
//!
//! # The model
//!
//! **Files are inodes.** An inode holds its *visible* content (what reads
//! return now), its *durable* content (as of its last successful `sync`), and
//! the ordered list of changes made since that sync: each write with its
//! offset and bytes, each `set_len`. Replaying the list onto the durable
//! content gives the visible content. A sync replays it into the durable copy
//! and empties it, so a sync costs the unsynced bytes and a write costs its
//! own length, never the size of the file.
//!
//! **Names are separate from inodes.** Each directory maps names to inodes
//! twice: a visible map, which `open` (creating), `rename` and `remove_file`
//! change, and a durable map, which only `sync_dir` of that directory changes
//! (it copies the visible map). Hence, after a crash:
//!
//! - a file created, written and synced whose directory was never synced is
//!   gone, contents and all;
//! - a rename not followed by a sync of the directories involved is undone;
//! - a removed file reappears, with its durable content, unless the directory
//!   was synced after the removal.
//!
//! Simplification: directories themselves are durable the moment
//! `create_dir_all` makes them, and are never removed. Engines keep their
//! files in one directory created at open, so nothing is lost by this.
//!
//! **Handles refer to inodes.** A file renamed or removed while open keeps
//! working through its handle, as on POSIX. An inode is freed when no name
//! (visible or durable) and no handle refers to it.
//!
//! **A crash** ([`SimFs::crash`]) is a power loss at this instant. Every
//! directory's visible map becomes its durable map; every inode no durable
//! name refers to is dropped; every surviving inode's unsynced changes are
//! resolved by the [`CrashMode`] (dropped, torn, zero-filled, turned to
//! garbage, dropped page by page or kept) and the result becomes both its
//! visible and durable content. All
//! handles opened before the crash are dead: every call on them fails, for
//! ever, without being counted. Opening a file after the crash gives its
//! post-crash content. Triggers and faults are cleared, counters restart at
//! zero. (A [`Vfs`] obtained before the crash stays usable: it holds no
//! state the crash could invalidate.)
//!
//! The modes, per file that survives by name:
//!
//! | mode                        | unsynced changes after the crash                        |
//! |-----------------------------|----------------------------------------------------------|
//! | [`CrashMode::DropUnsynced`] | all lost: the file is as of its last sync               |
//! | [`CrashMode::TornWrite`]    | a random prefix survives, the last write in it maybe cut |
//! | [`CrashMode::ZeroTail`]     | current length kept, everything past the durable (or truncated) length zeros, overwrites of durable bytes lost |
//! | [`CrashMode::Garbage`]      | every write's range survives holding random bytes       |
//! | [`CrashMode::DropPages`]    | current length kept; each touched 4 KiB page kept or back to its durable bytes (zeros past the old length), independently |
//! | [`CrashMode::ProcessKill`]  | all kept: the process died, the page cache did not      |
//!
//! Synced bytes survive every mode; only unsynced ranges ever change.
//!
//! **Calls are counted and may be failed.** Every backend call first passes a
//! gate, under the one lock that guards the whole filesystem: it is counted in
//! [`SimFs::ops`], and, if it mutates, in [`SimFs::mutations`]; then a fired
//! crash trigger, an armed fault or an armed sync fault fails it with an
//! [`io::Error`] before it has any effect. Mutating calls are `write_at`,
//! `set_len`, file `sync`, `sync_dir`, `rename`, `remove_file`, and an
//! `open` that may create or truncate (modes `CreateNew` and `Truncate`
//! always, `Create` when the file does not exist). A crash trigger fails its
//! mutation and every call after it with [`CRASH_MESSAGE`]; injected faults
//! fail with [`FAULT_MESSAGE`]; both have kind [`io::ErrorKind::Other`]. A
//! failed sync leaves the unsynced changes pending: the simulator does not
//! model a kernel dropping dirty pages after a writeback error. Engines must
//! still refuse writes after a failed sync, because real kernels do.
//!
//! **Errors follow POSIX where engines can notice:** opening a missing file
//! with `OpenMode::Existing` is `NotFound`, `CreateNew` on an existing file is
//! `AlreadyExists`, any operation in a missing directory is `NotFound` (call
//! `create_dir_all` first), and creating, renaming or removing in a read-only
//! directory is `PermissionDenied`. `list_dir` returns the sorted names of
//! the files directly in the directory. The root `/` and the current
//! directory (the empty path) always exist.
//!
//! **Determinism.** Inodes are numbered in creation order and every random
//! choice comes from a SplitMix64 stream seeded by the filesystem's seed, the
//! crash mode's seed and the number of earlier crashes, consumed in inode
//! order: the same seed and the same sequence of calls give the same bytes.
//! With several threads, the order of calls is theirs to fix.
//!
//! [`Vfs`]: super::Vfs

mod crash;
mod inode;
mod state;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use super::{Backend, BackendFile, OpenMode, Vfs};
pub use crash::{CrashMode, CrashStats, PAGE};
use state::{Call, Ino, State};

/// Message of the error every call fails with once a crash trigger fired.
pub const CRASH_MESSAGE: &str = "simulated crash";
/// Message of an error injected by [`SimFs::fail_op`] or [`SimFs::fail_syncs`].
pub const FAULT_MESSAGE: &str = "injected fault";
/// Message of the error of every call on a handle opened before a crash.
pub const DEAD_HANDLE_MESSAGE: &str = "file handle opened before a simulated crash";

/// An in-memory filesystem that knows what is durable. Clones share the same
/// filesystem.
#[derive(Clone)]
pub struct SimFs {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for SimFs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        f.debug_struct("SimFs")
            .field("ops", &s.ops)
            .field("mutations", &s.mutations)
            .field("crashed", &s.crashed)
            .finish_non_exhaustive()
    }
}

impl SimFs {
    /// An empty filesystem (only `/` and the current directory exist).
    /// `seed` feeds every random choice a crash makes.
    pub fn new(seed: u64) -> SimFs {
        SimFs {
            state: Arc::new(Mutex::new(State::new(seed, true))),
        }
    }

    /// An empty in-memory filesystem that keeps no crash history: each
    /// file is only the bytes reads see, a sync has nothing to copy, a
    /// removed or replaced file is freed at once (no durable name keeps
    /// it), so memory is the files' current total size. For running
    /// engines without a disk (`--io memory`), where nothing will crash.
    /// Everything else behaves as in [`SimFs::new`]: the same calls
    /// succeed and fail, and faults and triggers still work. A
    /// [`SimFs::crash`] keeps every file and name as they are, whatever
    /// the mode (there is nothing older to fall back to), and kills the
    /// handles, as [`CrashMode::ProcessKill`] does.
    pub fn memory() -> SimFs {
        SimFs {
            state: Arc::new(Mutex::new(State::new(0, false))),
        }
    }

    /// A counted [`Vfs`] over this filesystem, with fresh counters.
    pub fn vfs(&self) -> Vfs {
        Vfs::with_backend(Arc::new(self.clone()))
    }

    /// Mutating calls since creation or the last crash (see the module docs
    /// for which calls mutate), including ones that failed.
    pub fn mutations(&self) -> u64 {
        self.state.lock().mutations
    }

    /// All backend calls since creation or the last crash, reads, lengths,
    /// listings and existence checks included.
    pub fn ops(&self) -> u64 {
        self.state.lock().ops
    }

    /// Arm a crash: the `n`-th mutating call since creation or the last crash
    /// (1-based, the value [`SimFs::mutations`] will have) fails, and so does
    /// every later call on any handle, with no effect. If that many
    /// mutations already happened, the trigger never fires.
    pub fn crash_at_mutation(&self, n: u64) {
        self.state.lock().crash_at = Some(n);
    }

    /// Whether an armed crash trigger fired.
    pub fn has_crashed(&self) -> bool {
        self.state.lock().crashed
    }

    /// Power loss now: resolve unsynced data by `mode`, fall back to the
    /// durable namespace, kill every open handle, clear triggers and faults
    /// and reset the counters.
    pub fn crash(&self, mode: CrashMode) {
        self.state.lock().crash(mode);
    }

    /// What the last [`SimFs::crash`] did to unsynced pages (all zero
    /// before any crash, and for modes other than
    /// [`CrashMode::DropPages`]).
    pub fn crash_stats(&self) -> CrashStats {
        self.state.lock().last_crash
    }

    /// Fail the `n`-th backend call from now (1-based, any kind; `0` counts
    /// as `1`). With `persistent`, that call and every later one fail until
    /// [`SimFs::clear_faults`].
    pub fn fail_op(&self, n: u64, persistent: bool) {
        let mut s = self.state.lock();
        s.fail_at = Some(s.ops + n.max(1));
        s.fail_persistent = persistent;
    }

    /// Fail the next file sync, and with `persistent` every later one too
    /// until [`SimFs::clear_faults`]. Directory syncs are not affected.
    pub fn fail_syncs(&self, persistent: bool) {
        self.state.lock().sync_fault = Some(persistent);
    }

    /// Disarm [`SimFs::fail_op`] and [`SimFs::fail_syncs`] (not a crash
    /// trigger, which only [`SimFs::crash`] clears).
    pub fn clear_faults(&self) {
        self.state.lock().clear_faults();
    }

    /// Media corruption: flip bit `bit` (0-7) of the byte at `offset`, both
    /// in what reads see and in what survives a crash. Uncounted; ignores
    /// triggers and faults.
    pub fn flip_bit(&self, path: &Path, offset: u64, bit: u8) -> io::Result<()> {
        self.state.lock().flip_bit(path, offset, bit)
    }

    /// Every existing (visible) file with its current length, sorted by path.
    pub fn files(&self) -> Vec<(PathBuf, u64)> {
        self.state.lock().files()
    }

    /// A file's visible content. Uncounted; ignores triggers and faults.
    pub fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        Ok(self.state.lock().peek(path)?.visible().to_vec())
    }

    /// Create or replace a file with `bytes`, durable at once, name included
    /// (for fixtures). Missing parent directories are created. Uncounted;
    /// ignores triggers and faults.
    pub fn write_file(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.state.lock().write_file(path, bytes)
    }

    /// Make creating, renaming and removing files in `dir` (and creating
    /// directories in it) fail with `PermissionDenied`, or allow it again.
    /// Files already in it stay readable and writable. Survives crashes.
    pub fn set_dir_writable(&self, dir: &Path, writable: bool) {
        self.state.lock().set_read_only(dir, !writable);
    }
}

impl Backend for SimFs {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        let mut s = self.state.lock();
        let ino = s.open(path, mode)?;
        Ok(Box::new(SimFile {
            state: self.state.clone(),
            ino,
            epoch: s.epoch,
        }))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.state.lock().remove_file(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.state.lock().rename(from, to)
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.state.lock().create_dir_all(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.state.lock().sync_dir(path)
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        self.state.lock().list_dir(path)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.state.lock().exists(path)
    }
}

/// An open file: an inode number and the epoch (crash count) it was opened
/// in. A handle from an earlier epoch is dead.
struct SimFile {
    state: Arc<Mutex<State>>,
    ino: Ino,
    epoch: u64,
}

impl SimFile {
    /// Run one call on this handle's inode, after the liveness check and the
    /// gate.
    fn call<R>(
        &self,
        kind: Call,
        f: impl FnOnce(&mut inode::Inode) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut s = self.state.lock();
        if s.epoch != self.epoch {
            // Not counted: a thread of an engine that died in the crash must
            // not shift the crash points of the engine that recovers.
            return Err(io::Error::other(DEAD_HANDLE_MESSAGE));
        }
        s.admit(kind)?;
        f(s.inode(self.ino))
    }
}

impl BackendFile for SimFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.call(Call::Inspect, |i| Ok(i.read(buf, offset)))
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.call(Call::Mutate, |i| i.write(buf, offset))
    }

    fn len(&self) -> io::Result<u64> {
        self.call(Call::Inspect, |i| Ok(i.len()))
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.call(Call::Mutate, |i| i.set_len(len))
    }

    fn sync(&self) -> io::Result<()> {
        self.call(Call::FileSync, |i| {
            i.sync();
            Ok(())
        })
    }
}

impl Drop for SimFile {
    fn drop(&mut self) {
        let mut s = self.state.lock();
        if s.epoch == self.epoch {
            s.close(self.ino);
        }
    }
}
