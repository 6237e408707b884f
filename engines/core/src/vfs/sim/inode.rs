//! A file's bytes, twice: as readers see them and as a crash would leave
//! them, with the changes that lead from one to the other.

use std::io;

use super::crash::{survivor, to_index, write_into, Change, CrashMode, CrashStats, SplitMix64};

/// The largest file the simulator holds. Far above any test's needs; it
/// exists so that a wild offset (say, from a corrupt length field) is an
/// error instead of an attempt to allocate exabytes.
pub(super) const MAX_FILE_LEN: u64 = 1 << 32;

/// One file, independent of the names it has.
pub(super) struct Inode {
    /// What readers see now.
    visible: Vec<u8>,
    /// What survives a crash, as of the last successful sync.
    durable: Vec<u8>,
    /// Changes since that sync, in issue order. Invariant: replaying them
    /// onto `durable` gives `visible`.
    pending: Vec<Change>,
    /// Entries naming this inode in the visible namespace.
    pub(super) visible_links: u32,
    /// Entries naming this inode in the durable namespace.
    pub(super) durable_links: u32,
    /// Open handles (of the current epoch).
    pub(super) handles: u32,
    /// Whether `durable` and `pending` are kept. Without them (a
    /// [`super::SimFs::memory`] filesystem) the inode is its visible bytes
    /// alone: a sync has nothing to do and a crash nothing to resolve.
    history: bool,
}

impl Inode {
    pub(super) fn new(history: bool) -> Inode {
        Inode {
            visible: Vec::new(),
            durable: Vec::new(),
            pending: Vec::new(),
            visible_links: 0,
            durable_links: 0,
            handles: 0,
            history,
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.visible.len() as u64
    }

    pub(super) fn read(&self, buf: &mut [u8], offset: u64) -> usize {
        if offset >= self.len() {
            return 0;
        }
        let start = to_index(offset);
        let n = buf.len().min(self.visible.len() - start);
        buf[..n].copy_from_slice(&self.visible[start..start + n]);
        n
    }

    pub(super) fn write(&mut self, data: &[u8], offset: u64) -> io::Result<()> {
        check_len(offset.checked_add(data.len() as u64))?;
        write_into(&mut self.visible, offset, data);
        if self.history {
            self.pending.push(Change::Write {
                offset,
                data: data.to_vec(),
            });
        }
        Ok(())
    }

    pub(super) fn set_len(&mut self, len: u64) -> io::Result<()> {
        check_len(Some(len))?;
        let change = Change::SetLen(len);
        change.apply(&mut self.visible);
        if self.history {
            self.pending.push(change);
        }
        Ok(())
    }

    /// Make the current content durable by replaying the pending changes onto
    /// the durable copy: the cost is the unsynced bytes, not the file size.
    pub(super) fn sync(&mut self) {
        for change in self.pending.drain(..) {
            change.apply(&mut self.durable);
        }
        if !self.history && self.visible.capacity() > self.visible.len() + self.visible.len() / 4 {
            // A file is synced when written out (a table, a segment) or at
            // a commit point: hand back what doubling reserved past its
            // end, or the allocator's slack over many files grows the
            // process to twice their size (an LSM's 1 GiB of tables held
            // 2 GiB of capacity).
            self.visible.shrink_to_fit();
        }
    }

    /// Replace the content, durably (fixtures).
    pub(super) fn replace(&mut self, bytes: &[u8]) {
        self.visible = bytes.to_vec();
        if self.history {
            self.durable = bytes.to_vec();
        }
        self.pending.clear();
    }

    /// Flip one bit of the medium and of what readers see. If changes are
    /// pending, a one-byte write of the flipped value joins them, so that a
    /// later sync still makes the durable copy equal to the visible one.
    pub(super) fn flip(&mut self, offset: u64, bit: u8) {
        let at = to_index(offset);
        self.visible[at] ^= 1 << bit;
        if at < self.durable.len() {
            self.durable[at] ^= 1 << bit;
        }
        if !self.pending.is_empty() {
            self.pending.push(Change::Write {
                offset,
                data: vec![self.visible[at]],
            });
        }
    }

    pub(super) fn visible(&self) -> &[u8] {
        &self.visible
    }

    /// Power loss: the unsynced changes are resolved by `mode`, and what
    /// comes out is both visible and durable. The caller has already made
    /// the durable names the visible ones and killed every handle.
    pub(super) fn crash(&mut self, mode: CrashMode, rng: &mut SplitMix64, stats: &mut CrashStats) {
        if !self.pending.is_empty() {
            let after = survivor(
                &self.durable,
                &self.pending,
                self.visible.len(),
                mode,
                rng,
                stats,
            );
            self.durable = after.clone();
            self.visible = after;
            self.pending.clear();
        }
        if self.history {
            self.visible_links = self.durable_links;
        }
        self.handles = 0;
    }

    /// Bytes reserved past the end of the visible content (test hook).
    #[cfg(test)]
    pub(super) fn slack(&self) -> usize {
        self.visible.capacity() - self.visible.len()
    }

    /// Bytes this inode holds: visible, durable and pending (test hook).
    #[cfg(test)]
    pub(super) fn held_bytes(&self) -> usize {
        let pending: usize = self
            .pending
            .iter()
            .map(|c| match c {
                Change::Write { data, .. } => data.len(),
                Change::SetLen(_) => 0,
            })
            .sum();
        self.visible.len() + self.durable.len() + pending
    }

    /// Whether the pending changes replay onto the durable bytes to give the
    /// visible ones (the invariant every operation keeps).
    #[cfg(test)]
    pub(super) fn replays(&self) -> bool {
        if !self.history {
            return self.durable.is_empty() && self.pending.is_empty();
        }
        let mut replay = self.durable.clone();
        for change in &self.pending {
            change.apply(&mut replay);
        }
        replay == self.visible
    }
}

pub(super) fn check_len(end: Option<u64>) -> io::Result<()> {
    match end {
        Some(end) if end <= MAX_FILE_LEN => Ok(()),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("file would exceed the simulator's limit of {MAX_FILE_LEN} bytes"),
        )),
    }
}
