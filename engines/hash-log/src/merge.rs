//! Merge: rewrite the live records of every sealed segment into new
//! segments with hint files, then delete the old segments.
//!
//! ## Crash-safe order
//!
//! 1. Sync every input (sealed segments are synced at the roll already;
//!    this is a no-op then).
//! 2. Copy each live record (the keydir still points at it) into output
//!    segments, ids just above the inputs and below the active segment.
//!    Outputs are created durably (see [`crate::segment`]).
//! 3. Seal each output (synced, then a sync marker vouching for all of it,
//!    synced), write and sync its hint, sync the directory.
//! 4. Sync the active write segment. Step 2 took a record for dead when
//!    the keydir pointed elsewhere, and the keydir already points at
//!    writes still buffered in the active segment (with merges on their
//!    own thread, writes go on during the merge; at `sync=always` a write
//!    updates the keydir before its commit). Until those writes are
//!    durable, the inputs hold the only durable version of their keys:
//!    deleting them first let a crash lose a synced value, or leave a key
//!    older than writes that survived (a hole). Earlier write segments
//!    were sealed at their roll, so this one sync covers every write the
//!    merge saw.
//! 5. Point the keydir at the copies (only entries that a concurrent write
//!    did not move meanwhile) and swap the segment set.
//! 6. Delete the inputs oldest first, syncing the directory after each.
//!
//! A crash before step 6 leaves inputs and (maybe partial) outputs. Both
//! hold valid records, outputs sort after inputs, and every output record
//! is a copy of the newest version among the inputs, so replaying them all
//! gives the same state. A crash during step 6 leaves a *suffix* of the
//! inputs: any put it holds for a key the merge dropped is followed, in the
//! same suffix, by the tombstone that made the merge drop it. Tombstones
//! themselves are dropped by merge: every older record of their keys is in
//! the same merge.

use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use engine_core::record::{self, LogEnd, LogReader, RecordKind, FILE_HEADER_LEN};
use engine_core::{Durability, Error, EventKind, Purpose, Result};

use crate::hint::{self, HintEntry};
use crate::keydir::Loc;
use crate::segment::{self, hint_path, seg_path, Segment};
use crate::store::Store;

/// An output segment being filled.
struct Output {
    seg: Arc<Segment>,
    hints: Vec<HintEntry>,
}

impl Store {
    /// Merge every sealed segment. Returns whether anything was merged.
    pub(crate) fn merge(&self) -> Result<bool> {
        let _one = self.merge_lock.lock();
        let mut created = Vec::new();
        let result = self.merge_locked(&mut created);
        if result.is_err() {
            self.adopt(&created);
        }
        result
    }

    /// After a failed merge, its output files may be on disk with copies of
    /// records. Left untracked, a later merge would not see them and a
    /// dropped tombstone could let their copies resurrect a deleted key at
    /// the next open. So they join the segment set, unreferenced (all dead
    /// bytes), and the next merge consumes and deletes them.
    fn adopt(&self, created: &[u64]) {
        let mut segs = self.segs.write();
        for &id in created {
            let path = seg_path(&self.dir, id);
            if let Ok(file) = self.vfs.open(&path, engine_core::OpenMode::Existing) {
                let len = file.len().unwrap_or(0);
                let log = engine_core::log::LogWriter::resume(
                    &self.vfs,
                    file,
                    len,
                    Durability::Never,
                    Purpose::Compaction,
                );
                segs.insert(id, Arc::new(Segment { id, log }));
            }
        }
    }

    fn merge_locked(&self, created: &mut Vec<u64>) -> Result<bool> {
        let started = Instant::now();
        let written_before = self.merge_bytes_written.load(Relaxed);
        let active = self.active.lock().id;
        let inputs: Vec<Arc<Segment>> = self
            .segs
            .read()
            .range(..active)
            .map(|(_, s)| Arc::clone(s))
            .collect();
        let Some(last) = inputs.last() else {
            return Ok(false);
        };
        for s in &inputs {
            s.log.sync()?;
        }
        let mut next_id = last.id + 1;
        let mut outputs: Vec<Output> = Vec::new();
        let mut moves: Vec<(Vec<u8>, Loc, Loc)> = Vec::new();
        for input in &inputs {
            let file = input.log.file();
            let mut reader = LogReader::new(file, FILE_HEADER_LEN as u64, Purpose::Compaction)?;
            while let Some(r) = reader.next_record()? {
                if r.kind != RecordKind::Put {
                    continue;
                }
                let from = Loc {
                    seg: input.id,
                    offset: r.offset,
                    len: record::encoded_len(&r.key, &r.value) as u32,
                };
                if self.keydir.read().get(&r.key) != Some(from) {
                    continue; // overwritten or deleted since: dead
                }
                let full = outputs
                    .last()
                    .map_or(true, |o| o.seg.log.len() >= self.cfg.segment_bytes);
                if full {
                    if let Some(done) = outputs.last() {
                        self.finish(done)?;
                    }
                    created.push(next_id);
                    outputs.push(self.start_output(next_id)?);
                    next_id += 1;
                }
                // The push above guarantees a last output.
                let out = outputs.last_mut().expect("an output segment is open");
                let a = out.seg.log.append(RecordKind::Put, &r.key, &r.value)?;
                out.hints.push(HintEntry {
                    key: r.key.clone(),
                    offset: a.offset,
                    len: a.len,
                });
                moves.push((
                    r.key,
                    from,
                    Loc {
                        seg: out.seg.id,
                        offset: a.offset,
                        len: a.len,
                    },
                ));
            }
            check_end(&reader, file.path(), input.id, active)?;
        }
        if let Some(done) = outputs.last() {
            self.finish(done)?;
        }
        self.vfs.sync_dir(&self.dir)?;
        self.sync_shadowing_writes()?;
        self.switch(&inputs, &outputs, moves);
        // The outputs are tracked now; a failure below must not adopt them.
        created.clear();
        for (i, input) in inputs.iter().enumerate() {
            if let Err(e) = self.delete_segment(input.id) {
                // Inputs left on disk must stay tracked (all dead now), or a
                // later merge would drop a tombstone that shadows them.
                let mut segs = self.segs.write();
                for s in &inputs[i..] {
                    segs.insert(s.id, Arc::clone(s));
                }
                return Err(e);
            }
        }
        self.merges.fetch_add(1, Relaxed);
        let read: u64 = inputs.iter().map(|s| s.log.len()).sum();
        let written = self.merge_bytes_written.load(Relaxed) - written_before;
        let detail = format!("{} segments -> {}", inputs.len(), outputs.len());
        self.events
            .record_since(EventKind::Merge, started, (read, written), detail);
        Ok(true)
    }

    /// Make durable every write the keydir shows, before the inputs they
    /// made dead are deleted (step 4 above). The active segment is read
    /// after every liveness decision was taken, and any segment it replaced
    /// meanwhile was sealed (synced) at its roll.
    fn sync_shadowing_writes(&self) -> Result<()> {
        let active = Arc::clone(&self.active.lock());
        active.log.sync()
    }

    /// Delete a merged segment and its hint, durably, before the next one.
    fn delete_segment(&self, id: u64) -> Result<()> {
        let hint = hint_path(&self.dir, id);
        if self.vfs.exists(&hint)? {
            self.vfs.remove_file(&hint)?;
        }
        self.vfs.remove_file(&seg_path(&self.dir, id))?;
        self.vfs.sync_dir(&self.dir)
    }

    fn start_output(&self, id: u64) -> Result<Output> {
        let seg = segment::create(
            &self.vfs,
            &self.dir,
            id,
            Durability::Never,
            Purpose::Compaction,
        )?;
        Ok(Output {
            seg: Arc::new(seg),
            hints: Vec::new(),
        })
    }

    fn finish(&self, out: &Output) -> Result<()> {
        // Sealed (see crate::segment): damage to its last record is then
        // vouched for by the seal, so open reports it as corruption instead
        // of truncating it as a torn tail.
        out.seg.log.seal()?;
        hint::write(&self.vfs, &self.dir, out.seg.id, &out.hints)?;
        self.merge_bytes_written
            .fetch_add(out.seg.log.len(), Relaxed);
        Ok(())
    }

    /// Point the keydir at the copies and swap the segment set.
    fn switch(&self, inputs: &[Arc<Segment>], outputs: &[Output], moves: Vec<(Vec<u8>, Loc, Loc)>) {
        let mut kd = self.keydir.write();
        for (key, from, to) in moves {
            kd.relocate(&key, from, to);
        }
        for input in inputs {
            kd.forget_segment(input.id);
        }
        let mut segs = self.segs.write();
        for input in inputs {
            segs.remove(&input.id);
        }
        for out in outputs {
            segs.insert(out.seg.id, Arc::clone(&out.seg));
        }
    }
}

/// A sealed write segment cannot have a torn tail (see [`crate::segment`]):
/// if its last record reads as one, the merge stops rather than delete the
/// segment with the damaged record in it.
fn check_end(reader: &LogReader, path: &Path, id: u64, active: u64) -> Result<()> {
    if segment::tail_may_be_torn(id, active) {
        return Ok(());
    }
    match reader.end() {
        Some(LogEnd::TornTail { valid_len, .. }) => Err(Error::corruption(
            path,
            valid_len,
            "damaged record at the end of a sealed segment; not merged",
        )),
        Some(LogEnd::Clean { len }) if !reader.sealed() => Err(Error::corruption(
            path,
            len,
            "a sealed segment does not end in its seal (records are missing); not merged",
        )),
        _ => Ok(()),
    }
}

/// The background merge thread: woken at every segment roll, merges when
/// due.
pub(crate) struct Merger {
    signal: Arc<(Mutex<Signal>, Condvar)>,
    thread: JoinHandle<()>,
}

#[derive(Default)]
struct Signal {
    wake: bool,
    stop: bool,
}

impl Merger {
    pub fn start(inner: Arc<Store>) -> Merger {
        let signal = Arc::new((Mutex::new(Signal::default()), Condvar::new()));
        let theirs = Arc::clone(&signal);
        let thread = std::thread::spawn(move || loop {
            {
                let (lock, cv) = &*theirs;
                let mut s = lock.lock();
                while !s.wake && !s.stop {
                    cv.wait(&mut s);
                }
                if s.stop {
                    return;
                }
                s.wake = false;
            }
            // An error leaves the old segments in place (nothing is lost);
            // it is counted in the metrics and the next roll tries again.
            if inner.merge_due() && inner.merge().is_err() {
                inner.merge_errors.fetch_add(1, Relaxed);
            }
        });
        Merger { signal, thread }
    }

    pub fn wake(&self) {
        let (lock, cv) = &*self.signal;
        lock.lock().wake = true;
        cv.notify_one();
    }

    pub fn stop(self) {
        {
            let (lock, cv) = &*self.signal;
            lock.lock().stop = true;
            cv.notify_one();
        }
        // A panicked merge thread has nothing left to clean up.
        let _ = self.thread.join();
    }
}
