//! # workloads: what the workbench replays against its engines
//!
//! YCSB's core workloads A-F, with the parameters of YCSB's published
//! `workloads/workload[a-f]` files and CoreWorkload's defaults where a file
//! is silent, plus db_bench-style presets that each isolate one engine
//! trade-off ([`presets`]; their reasons are in `docs/workloads.md`). A
//! workload resolves to an [`YcsbWorkload`], which hands out one operation
//! [`Stream`] per client thread for the load phase and the run phase. The
//! harness's driver only sees the [`Workload`] and [`OpStream`] traits.
//!
//! The key and value generators follow YCSB's algorithms ([`generators`],
//! [`stream`]): uniform, zipfian (Gray et al.'s method), scrambled zipfian
//! (a zipfian over 10^10 items hashed into the key space, with YCSB's
//! constants), skewed latest, hotspot, sequential and exponential request
//! distributions; constant, uniform and zipfian field lengths. Keys are
//! named as YCSB names them: `user` + the record number, hashed with
//! FNV-1a 64 unless `insertorder=ordered`.
//!
//! Workloads are written as YCSB property files ([`properties`]): YCSB's
//! own files load unchanged, `-P FILE` applies files in order and
//! `-p NAME=VALUE` overrides, as YCSB does; an unknown property is a
//! warning naming it, a malformed line an [`Error`] naming file and line.
//! `workloads/ycsb/` holds the six core workload files, written from
//! YCSB's published parameters.
//!
//! Everything is deterministic: the same seed gives the same operation
//! streams, and each client thread's stream has its own random generator
//! derived from the seed and the thread's number, so threads neither share
//! a generator nor repeat each other. (Run-phase inserts take their key
//! numbers from a counter the threads share, as in YCSB; with one thread
//! the whole stream is a function of the seed.)
//!
//! Where this departs from YCSB, on purpose: an update or
//! read-modify-write writes the whole record (`fieldcount x fieldlength`
//! bytes), not one field, because the engines store a record as one value
//! and rewriting one field rewrites it; `sequential` keeps one counter per
//! thread (YCSB shares one); `zipfianconstant` sets the constant of the
//! `zipfian` and `latest` request distributions (YCSB hard-codes 0.99;
//! scan and field lengths keep 0.99 as in YCSB).
//!
//! How the flags combine: each `--workload NAME` is a preset (see
//! [`presets`]) or a property file's path; `-P FILE`s are applied on top of
//! each, in order, then `-p NAME=VALUE`s, then `--records`/`--operations`.
//! With only `-P` files, they form one workload named after the last
//! file's stem, exactly as `ycsb run -P workloads/workloada` would.

pub mod counter;
pub mod error;
pub mod generators;
pub mod op;
pub mod presets;
pub mod properties;
pub mod spec;
pub mod stream;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use error::{Error, Result};
pub use op::{split, Op, OpStream, OpType, Workload};
pub use properties::Properties;
pub use spec::Spec;
pub use stream::Stream;

/// The workload flags shared by `run`, `ops` and `overhead`.
#[derive(Debug, Clone, Default)]
pub struct WorkloadArgs {
    /// `--workload NAME`s, each a preset name or a property file's path;
    /// one workload comes out per name.
    pub workloads: Vec<String>,
    /// `-P FILE`s, applied in order on top of every workload.
    pub property_files: Vec<PathBuf>,
    /// `-p NAME=VALUE`s, applied after the files.
    pub properties: Vec<String>,
    /// `--records`: overrides `recordcount` last of all.
    pub records: Option<u64>,
    /// `--operations`: overrides `operationcount` last of all.
    pub operations: Option<u64>,
    /// `--seed`: with the thread number, fixes every stream.
    pub seed: u64,
}

/// A resolved workload.
#[derive(Debug, Clone)]
pub struct YcsbWorkload {
    name: String,
    properties: Properties,
    spec: Arc<Spec>,
    seed: u64,
}

impl YcsbWorkload {
    /// A workload from resolved properties.
    pub fn new(name: &str, properties: Properties, seed: u64) -> Result<YcsbWorkload> {
        let spec = Spec::from_properties(&properties)
            .map_err(|e| Error::Property(format!("workload `{name}`: {e}")))?;
        Ok(YcsbWorkload {
            name: name.to_string(),
            properties,
            spec: Arc::new(spec),
            seed,
        })
    }

    /// The checked parameters.
    pub fn spec(&self) -> &Spec {
        &self.spec
    }
}

impl Workload for YcsbWorkload {
    type Stream = Stream;

    fn name(&self) -> &str {
        &self.name
    }

    // The load inserts this client's share, `insertcount`, which is
    // `recordcount` unless the load is split over clients.
    #[allow(clippy::misnamed_getters)]
    fn records(&self) -> u64 {
        self.spec.insert_count
    }

    fn threads(&self) -> Option<usize> {
        self.spec.thread_count
    }

    fn operations(&self) -> u64 {
        self.spec.operations
    }

    fn properties(&self) -> BTreeMap<String, String> {
        self.properties.to_map()
    }

    fn load_streams(&self, threads: usize) -> Vec<(Stream, u64)> {
        let mut start = self.spec.insert_start;
        split(self.spec.insert_count, threads)
            .into_iter()
            .enumerate()
            .map(|(t, n)| {
                let s = Stream::load(self.spec.clone(), self.seed, t, start, start + n);
                start += n;
                (s, n)
            })
            .collect()
    }

    fn run_streams(&self, threads: usize) -> Vec<Stream> {
        let inserts = Arc::new(counter::AckCounter::new(
            // YCSB numbers run-phase inserts from recordcount, after the
            // whole data set (of which this client loaded a share).
            self.spec.records,
        ));
        (0..threads.max(1))
            .map(|t| Stream::run(self.spec.clone(), self.seed, t, inserts.clone()))
            .collect()
    }
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Resolve the flags into workloads, plus warnings (unknown properties).
pub fn resolve(args: &WorkloadArgs) -> Result<(Vec<YcsbWorkload>, Vec<String>)> {
    let mut warnings = Vec::new();
    let mut bases: Vec<(String, Properties)> = Vec::new();
    for name in &args.workloads {
        let mut p = Properties::defaults();
        if let Some((_, text)) = presets::find(name) {
            p.apply_text(&format!("preset {name}"), text)?;
            presets::apply_default_size(name, &mut p);
            bases.push((name.clone(), p));
        } else if Path::new(name).is_file() {
            warnings.extend(p.apply_file(Path::new(name))?);
            bases.push((stem(Path::new(name)), p));
        } else {
            return Err(Error::UnknownWorkload {
                name: name.clone(),
                valid: valid_names(),
            });
        }
    }
    if bases.is_empty() {
        let Some(last) = args.property_files.last() else {
            return Err(Error::UnknownWorkload {
                name: "(none given)".into(),
                valid: format!("{} (or -P FILE)", valid_names()),
            });
        };
        bases.push((stem(last), Properties::defaults()));
    }
    let mut out = Vec::with_capacity(bases.len());
    for (name, mut p) in bases {
        for f in &args.property_files {
            let w = p.apply_file(f)?;
            if out.is_empty() {
                warnings.extend(w);
            }
        }
        for o in &args.properties {
            let w = p.apply_override(o)?;
            if out.is_empty() {
                warnings.extend(w);
            }
        }
        if let Some(r) = args.records {
            p.set("recordcount", &r.to_string());
        }
        if let Some(o) = args.operations {
            p.set("operationcount", &o.to_string());
        }
        out.push(YcsbWorkload::new(&name, p, args.seed)?);
    }
    Ok((out, warnings))
}

fn valid_names() -> String {
    presets::PRESETS
        .iter()
        .map(|(n, _, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}

/// (name, description) of every preset.
pub fn catalogue() -> Vec<(String, String)> {
    presets::PRESETS
        .iter()
        .map(|(n, d, _)| (n.to_string(), d.to_string()))
        .collect()
}

#[cfg(test)]
mod tests;
