//! Carrying out a compaction task: merge the input runs into new tables.
//!
//! The inputs are read sequentially with readahead (counted as
//! `Purpose::Compaction`, bypassing the block cache), merged newest-first
//! so each key's newest version wins, and written as tables of about
//! `target_file_bytes`, each synced. Tombstones are dropped only when the
//! task is bottommost: no older run could still hold a version they hide.
//! The caller commits the returned edit to the manifest and only then
//! deletes the inputs.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use engine_core::{Purpose, Result, Vfs};

use super::Task;
use crate::cache::BlockCache;
use crate::iterator::{MergeIter, RunIter, Source};
use crate::manifest::VersionEdit;
use crate::sstable::block::Kind;
use crate::sstable::builder::{TableBuilder, TableShape};
use crate::sstable::reader::Table;
use crate::version::Version;

/// Bytes read per call when compaction reads a table.
pub const READAHEAD: usize = 256 << 10;

/// What a compaction needs besides the task.
pub struct Ctx<'a> {
    /// Where the inputs are read and the outputs written.
    pub vfs: &'a Vfs,
    /// The engine directory the output tables are created in.
    pub dir: &'a Path,
    /// Block size, restart interval and bloom bits of the output tables.
    pub shape: TableShape,
    /// An output table is finished once its estimated size reaches this.
    pub target_file_bytes: u64,
    /// The block cache the output tables are opened with (inputs bypass it).
    pub cache: &'a Arc<BlockCache>,
}

/// The result: an edit to commit and the tables it adds.
pub struct Output {
    /// Deletes every input table and adds every output table, into the
    /// task's output level and run; not yet in the manifest.
    pub edit: VersionEdit,
    /// The output tables, opened, by file number: what `Version::apply`
    /// needs to install the edit.
    pub added: HashMap<u64, Arc<Table>>,
    /// Tables the edit removes (to delete once it is committed).
    pub removed: Vec<Arc<Table>>,
    /// File bytes of the input tables (0 for a trivial move, which reads
    /// nothing).
    pub bytes_read: u64,
    /// File bytes of the output tables (0 for a trivial move).
    pub bytes_written: u64,
}

/// Run `task` against `version`; `next_file` allocates file numbers.
pub fn run(
    task: &Task,
    version: &Version,
    ctx: &Ctx<'_>,
    next_file: &dyn Fn() -> u64,
) -> Result<Output> {
    let mut edit = VersionEdit::default();
    let mut removed = Vec::new();
    let mut sources: Vec<Box<dyn Source + Send>> = Vec::new();
    for &(level, id) in &task.input_runs {
        let Some(run) = version.runs.iter().find(|r| r.level == level && r.id == id) else {
            continue;
        };
        let tables: Vec<Arc<Table>> = run
            .tables
            .iter()
            .filter(|t| task.inputs.contains(&(level, t.meta.number)))
            .cloned()
            .collect();
        for t in &tables {
            edit.deleted.push((level, t.meta.number));
            removed.push(t.clone());
        }
        let mut it = RunIter::new(tables, Purpose::Compaction, READAHEAD);
        it.seek_first()?;
        sources.push(Box::new(it));
    }
    let bytes_read = removed.iter().map(|t| t.meta.size).sum();
    let mut added = HashMap::new();
    if task.trivial_move {
        for t in removed.drain(..) {
            edit.added
                .push((task.output_level, task.output_run, t.meta.clone()));
            added.insert(t.meta.number, t);
        }
        return Ok(Output {
            edit,
            added,
            removed,
            bytes_read: 0,
            bytes_written: 0,
        });
    }
    let mut merge = MergeIter::new(sources);
    let mut builder: Option<TableBuilder> = None;
    let mut bytes_written = 0;
    let mut finish = |b: TableBuilder,
                      added: &mut HashMap<u64, Arc<Table>>,
                      edit: &mut VersionEdit|
     -> Result<()> {
        if let Some(t) = b.finish(ctx.vfs, ctx.cache.clone())? {
            bytes_written += t.meta.size;
            edit.added
                .push((task.output_level, task.output_run, t.meta.clone()));
            added.insert(t.meta.number, t);
        }
        Ok(())
    };
    while merge.valid() {
        let (seq, kind) = merge.entry();
        if !(task.bottommost && kind == Kind::Delete) {
            let b = match &mut builder {
                Some(b) => b,
                None => {
                    let n = next_file();
                    builder.insert(TableBuilder::create(
                        ctx.vfs,
                        crate::files::table_path(ctx.dir, n),
                        n,
                        ctx.shape,
                        Purpose::Compaction,
                    )?)
                }
            };
            b.add(merge.key(), seq, kind, merge.value())?;
            if b.estimated_size() >= ctx.target_file_bytes {
                if let Some(b) = builder.take() {
                    finish(b, &mut added, &mut edit)?;
                }
            }
        }
        merge.advance()?;
    }
    if let Some(b) = builder.take() {
        finish(b, &mut added, &mut edit)?;
    }
    if !added.is_empty() {
        ctx.vfs.sync_dir(ctx.dir)?;
    }
    Ok(Output {
        edit,
        added,
        removed,
        bytes_read,
        bytes_written,
    })
}
