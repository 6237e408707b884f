//! A version: the set of tables that make up the tree at one moment,
//! grouped into sorted runs.
//!
//! A *sorted run* is a sequence of tables with disjoint key ranges, in key
//! order, that together hold at most one entry per key. Runs are ordered
//! newest first, which is the order a lookup consults them in:
//!
//! - level 0 runs, by run id descending; then
//! - level 1, level 2, ... (one run each, id 0).
//!
//! Leveled compaction puts every flush in level 0 as its own run (run id =
//! file number) and keeps levels 1+ as one run each. Tiered compaction
//! keeps everything in level 0: each flush is a run, and a merge of several
//! consecutive runs becomes one run whose id is the largest of the ids it
//! replaced, so it sorts exactly where its inputs did (newer than every
//! older run, older than anything flushed since).
//!
//! Versions are immutable and shared (`Arc`): a reader holds the one it
//! started with while flushes and compactions install new ones.

use std::collections::HashMap;
use std::sync::Arc;

use crate::manifest::VersionEdit;
use crate::sstable::reader::Table;
use crate::sstable::FileMeta;

/// One sorted run.
#[derive(Clone)]
pub struct Run {
    /// 0 for flushed and tiered runs; 1.. for leveled levels.
    pub level: u32,
    /// Orders the runs of level 0, newest highest (see the module docs); 0
    /// in levels 1 and below, which hold one run each.
    pub id: u64,
    /// In key order, disjoint.
    pub tables: Vec<Arc<Table>>,
}

impl Run {
    /// File bytes of the run's tables.
    pub fn bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.meta.size).sum()
    }

    /// The table whose range could hold `key`.
    pub fn table_for(&self, key: &[u8]) -> Option<&Arc<Table>> {
        let i = self
            .tables
            .partition_point(|t| t.meta.largest.as_slice() < key);
        self.tables
            .get(i)
            .filter(|t| t.meta.smallest.as_slice() <= key)
    }

    /// Index of the first table whose largest key is >= `key`.
    pub fn first_at_or_after(&self, key: &[u8]) -> usize {
        self.tables
            .partition_point(|t| t.meta.largest.as_slice() < key)
    }
}

/// The file set at one moment.
#[derive(Clone, Default)]
pub struct Version {
    /// Newest first.
    pub runs: Vec<Run>,
}

/// A metadata-only view of one run: what compaction policies decide from.
#[derive(Debug, Clone)]
pub struct RunView<'a> {
    /// The run's level, as in [`Run::level`].
    pub level: u32,
    /// The run's id, as in [`Run::id`].
    pub id: u64,
    /// Its tables' metadata, in key order.
    pub files: Vec<&'a FileMeta>,
}

impl RunView<'_> {
    /// File bytes of the run's tables.
    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

impl Version {
    /// The version after `edit`; added tables come from `opened`.
    pub fn apply(&self, edit: &VersionEdit, opened: &HashMap<u64, Arc<Table>>) -> Version {
        let mut runs = self.runs.clone();
        for (level, number) in &edit.deleted {
            for r in runs.iter_mut().filter(|r| r.level == *level) {
                r.tables.retain(|t| t.meta.number != *number);
            }
        }
        for (level, run, meta) in &edit.added {
            let Some(t) = opened.get(&meta.number) else {
                continue;
            };
            match runs.iter_mut().find(|r| r.level == *level && r.id == *run) {
                Some(r) => r.tables.push(t.clone()),
                None => runs.push(Run {
                    level: *level,
                    id: *run,
                    tables: vec![t.clone()],
                }),
            }
        }
        runs.retain(|r| !r.tables.is_empty());
        for r in &mut runs {
            r.tables
                .sort_by(|a, b| a.meta.smallest.cmp(&b.meta.smallest));
        }
        runs.sort_by(|a, b| a.level.cmp(&b.level).then(b.id.cmp(&a.id)));
        Version { runs }
    }

    /// Every table, with its level and run, as a snapshot edit.
    pub fn snapshot_files(&self) -> Vec<(u32, u64, FileMeta)> {
        self.runs
            .iter()
            .flat_map(|r| r.tables.iter().map(|t| (r.level, r.id, t.meta.clone())))
            .collect()
    }

    /// The runs as metadata only, newest first, for a compaction policy.
    pub fn view(&self) -> Vec<RunView<'_>> {
        self.runs
            .iter()
            .map(|r| RunView {
                level: r.level,
                id: r.id,
                files: r.tables.iter().map(|t| &t.meta).collect(),
            })
            .collect()
    }

    /// Every table of every run, newest run first.
    pub fn tables(&self) -> impl Iterator<Item = &Arc<Table>> {
        self.runs.iter().flat_map(|r| r.tables.iter())
    }

    /// Number of level-0 runs (leveled: L0 files; tiered: all runs).
    pub fn l0_runs(&self) -> usize {
        self.runs.iter().filter(|r| r.level == 0).count()
    }

    /// (files, bytes) per level.
    pub fn level_stats(&self) -> Vec<(usize, u64)> {
        let mut out: Vec<(usize, u64)> = Vec::new();
        for r in &self.runs {
            let l = r.level as usize;
            if out.len() <= l {
                out.resize(l + 1, (0, 0));
            }
            out[l].0 += r.tables.len();
            out[l].1 += r.bytes();
        }
        out
    }
}
