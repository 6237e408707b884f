//! The engine registry: every built-in engine by name, with its options.
//!
//! The harness's engine list: which engine crates exist is decided here
//! (the kit lines in each engine's tests are the other place an engine is
//! named). An engine is one [`EngineInfo`] line: a name, a line of
//! description, a preset option string (how the LSM's four configurations
//! share one crate), the crate's open function, its option table and whose
//! counters measure its I/O. The rest of the harness asks the entry, never
//! the name. `--engine SPEC` is `NAME` or
//! `NAME:opt=val,...`; the spec's options are applied over the preset's.

use std::path::Path;

use engine_core::{Engine, OpenFn, OptionSpec, Options, VerifyFn, Vfs, COMMON_OPTIONS};

use crate::error::{Error, Result, Stage};
use crate::kernel_io::IoSource;

/// One registered engine.
#[derive(Debug, Clone, Copy)]
pub struct EngineInfo {
    /// The name `--engine` takes.
    pub name: &'static str,
    /// One line for `harness list`.
    pub about: &'static str,
    /// Options applied before the spec's own (`compaction=tiered,...`).
    pub preset: &'static str,
    /// Opens (or recovers) the engine in a directory.
    pub open: OpenFn,
    /// The engine's own options, beyond [`COMMON_OPTIONS`].
    pub options: &'static [OptionSpec],
    /// Part of the default set (`--engine` not given). Aliases that repeat a
    /// preset under another name are not.
    pub default: bool,
    /// Keeps its data in files and recovers it on open (crash tests and
    /// kill loops run only these).
    pub persistent: bool,
    /// The engine's offline checker, for `harness verify`.
    pub verify: Option<VerifyFn>,
    /// Whose counters measure its I/O: [`IoSource::Vfs`] for engines whose
    /// files go through our Vfs, [`IoSource::Kernel`] (`/proc/self/io`, see
    /// `kernel_io`) for engines that open their files themselves, which
    /// `--io memory` and `--io direct` cannot reach.
    pub io_source: IoSource,
    /// The design the analytical models (crate `models`) and sweep.csv's
    /// `engine` column know it by: `lsm` for every LSM preset, else its
    /// name.
    pub model: &'static str,
}

impl EngineInfo {
    /// Whether the engine declares an option (`background`, for
    /// `--deterministic`).
    pub fn has_option(&self, name: &str) -> bool {
        self.options.iter().any(|o| o.name == name)
    }
}

fn lsm_preset(name: &str) -> &'static str {
    lsm::PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, opts)| *opts)
        // Falling back to the defaults keeps a renamed preset usable; the
        // registry test below catches the mismatch.
        .unwrap_or("")
}

/// Every built-in engine, in report order (cheapest design first).
pub fn builtin() -> Vec<EngineInfo> {
    let lsm_entry = |name: &'static str, about: &'static str, default: bool| EngineInfo {
        name,
        about,
        preset: lsm_preset(name),
        open: lsm::open,
        options: lsm::OPTIONS,
        default,
        persistent: true,
        verify: Some(lsm::verify),
        io_source: IoSource::Vfs,
        model: "lsm",
    };
    let mut engines = vec![
        EngineInfo {
            name: "mem",
            about: "in-memory sorted map, no I/O: the yardstick for harness overhead",
            preset: "",
            open: mem::MemEngine::open_boxed,
            options: mem::OPTIONS,
            default: true,
            persistent: false,
            verify: None,
            io_source: IoSource::Vfs,
            model: "mem",
        },
        EngineInfo {
            name: "naive-log",
            about: "one append-only log, no index: get scans the whole log",
            preset: "",
            open: naive_log::open,
            options: naive_log::OPTIONS,
            default: true,
            persistent: true,
            verify: Some(naive_log::verify),
            io_source: IoSource::Vfs,
            model: "naive-log",
        },
        EngineInfo {
            name: "hash-log",
            about: "Bitcask: log segments, in-memory hash index, merge with hint files",
            preset: "",
            open: hash_log::open,
            options: hash_log::OPTIONS,
            default: true,
            persistent: true,
            verify: Some(hash_log::verify),
            io_source: IoSource::Vfs,
            model: "hash-log",
        },
        EngineInfo {
            name: "btree",
            about: "B+tree: pages in place, CLOCK page cache, logical WAL, doublewrite checkpoints",
            preset: "",
            open: btree::open,
            options: btree::OPTIONS,
            default: true,
            persistent: true,
            verify: Some(btree::verify),
            io_source: IoSource::Vfs,
            model: "btree",
        },
        lsm_entry(
            "lsm-leveled",
            "LSM tree, leveled compaction, bloom filters",
            true,
        ),
        lsm_entry(
            "lsm-tiered",
            "LSM tree, tiered compaction, bloom filters",
            true,
        ),
        lsm_entry(
            "lsm-leveled-nobloom",
            "LSM tree, leveled compaction, no bloom filters",
            true,
        ),
        lsm_entry(
            "lsm-tiered-nobloom",
            "LSM tree, tiered compaction, no bloom filters",
            true,
        ),
        lsm_entry(
            "lsm",
            "LSM tree with every option at its default (set them: lsm:compaction=tiered,...)",
            false,
        ),
    ];
    engines.extend(reference_engines());
    engines
}

/// The production engines of the `reference` crate (cargo feature
/// `reference`, RocksDB with `rocksdb`). They do their own I/O, so the
/// harness measures them with the kernel's accounting (`kernel_io`).
#[cfg(feature = "reference")]
fn reference_engines() -> Vec<EngineInfo> {
    let entry = |name: &'static str,
                 about: &'static str,
                 open: OpenFn,
                 options: &'static [OptionSpec]| EngineInfo {
        name,
        about,
        preset: "",
        open,
        options,
        default: true,
        persistent: true,
        verify: None,
        io_source: IoSource::Kernel,
        model: name,
    };
    #[allow(unused_mut)] // pushed to only with the `rocksdb` feature
    let mut v = vec![
        entry(
            "fjall",
            "reference: fjall, a pure-Rust LSM tree (kernel I/O accounting)",
            reference::fjall_engine::open,
            reference::fjall_engine::OPTIONS,
        ),
        entry(
            "redb",
            "reference: redb, a pure-Rust copy-on-write B+tree (kernel I/O accounting)",
            reference::redb_engine::open,
            reference::redb_engine::OPTIONS,
        ),
    ];
    #[cfg(feature = "rocksdb")]
    v.push(entry(
        "rocksdb",
        "reference: RocksDB, leveled LSM tree in C++ (kernel I/O accounting)",
        reference::rocksdb_engine::open,
        reference::rocksdb_engine::OPTIONS,
    ));
    v
}

#[cfg(not(feature = "reference"))]
fn reference_engines() -> Vec<EngineInfo> {
    Vec::new()
}

/// The registry entry named `name` (a name, not a spec).
pub fn find(name: &str) -> Option<EngineInfo> {
    builtin().into_iter().find(|e| e.name == name)
}

/// Names of the engines run when no `--engine` is given.
pub fn default_specs() -> Vec<String> {
    builtin()
        .iter()
        .filter(|e| e.default)
        .map(|e| e.name.to_string())
        .collect()
}

/// A parsed `--engine` argument.
#[derive(Debug, Clone)]
pub struct EngineSpec {
    /// The spec as given: the engine's name in every output file.
    pub spec: String,
    /// The registry entry.
    pub info: EngineInfo,
    /// Preset options overridden by the spec's own.
    pub options: Options,
}

impl EngineSpec {
    /// Parse `NAME` or `NAME:opt=val,...`, checking the option names
    /// against the engine's table.
    pub fn parse(spec: &str) -> Result<EngineSpec> {
        let (name, opts) = spec.split_once(':').unwrap_or((spec, ""));
        let info = find(name).ok_or_else(|| Error::UnknownEngine {
            name: name.to_string(),
            valid: builtin()
                .iter()
                .map(|e| e.name)
                .collect::<Vec<_>>()
                .join(", "),
        })?;
        let bad = |source| Error::engine(spec, Stage::Spec, source);
        let preset = Options::parse(info.preset).map_err(bad)?;
        let own = Options::parse(opts).map_err(bad)?;
        let options = preset.merged(&own);
        options
            .check(info.name, &[COMMON_OPTIONS, info.options])
            .map_err(bad)?;
        Ok(EngineSpec {
            spec: spec.to_string(),
            info,
            options,
        })
    }

    /// The options the engine is opened with: the harness-wide settings
    /// (`sync`, `cache_mb`, `background=false` when deterministic) unless
    /// the spec sets them itself.
    pub fn effective_options(&self, harness: &Options, deterministic: bool) -> Options {
        let mut base = harness.clone();
        if deterministic && self.info.has_option("background") {
            base.set("background", "false");
        }
        base.merged(&self.options)
    }

    /// Open the engine in `dir`, naming the spec and the directory in any
    /// error (a bad option value is one: engines parse values at open).
    pub fn open(&self, vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>> {
        (self.info.open)(vfs, dir, options).map_err(|source| {
            Error::engine(
                &self.spec,
                Stage::Open {
                    path: dir.to_path_buf(),
                },
                source,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsm_presets_all_registered() {
        let engines = builtin();
        for (name, opts) in lsm::PRESETS {
            let e = engines.iter().find(|e| e.name == *name);
            assert!(e.is_some(), "lsm preset {name} missing from the registry");
            assert_eq!(e.map(|e| e.preset), Some(*opts));
        }
    }

    #[test]
    fn spec_options_override_preset() {
        let s = EngineSpec::parse("lsm-tiered:bloom_bits=0,memtable_mb=1").expect("valid spec");
        assert_eq!(s.options.get("compaction"), Some("tiered"));
        assert_eq!(s.options.get("bloom_bits"), Some("0"));
        assert_eq!(s.options.get("memtable_mb"), Some("1"));
        assert_eq!(s.spec, "lsm-tiered:bloom_bits=0,memtable_mb=1");
    }

    #[test]
    fn unknown_engine_lists_valid_ones() {
        let msg = EngineSpec::parse("rocks").unwrap_err().to_string();
        assert!(msg.contains("rocks") && msg.contains("mem") && msg.contains("lsm-leveled"));
    }

    #[test]
    fn unknown_option_names_it() {
        let msg = EngineSpec::parse("lsm:bloom=3").unwrap_err().to_string();
        assert!(msg.contains("bloom") && msg.contains("bloom_bits"), "{msg}");
        let msg = EngineSpec::parse("mem:x").unwrap_err().to_string();
        assert!(msg.contains("mem:x"), "{msg}");
    }

    #[test]
    fn our_engines_use_the_vfs_and_reference_engines_the_kernel() {
        for name in [
            "mem",
            "naive-log",
            "hash-log",
            "btree",
            "lsm",
            "lsm-leveled",
        ] {
            assert_eq!(
                find(name).map(|e| e.io_source),
                Some(IoSource::Vfs),
                "{name}"
            );
        }
        let spec = EngineSpec::parse("mem").expect("valid spec");
        assert_eq!(spec.info.io_source, IoSource::Vfs);
        #[cfg(feature = "reference")]
        for name in reference::ENGINES {
            assert_eq!(
                find(name).map(|e| e.io_source),
                Some(IoSource::Kernel),
                "{name}"
            );
        }
    }

    #[test]
    fn a_bad_option_value_names_the_option_and_the_directory_at_open() {
        let spec = EngineSpec::parse("lsm:bloom_bits=ten").expect("names are checked, values not");
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = spec
            .open(&Vfs::os(), tmp.path(), &spec.options)
            .err()
            .expect("a bad value fails the open");
        assert!(
            matches!(&err, Error::Engine { stage: Stage::Open { path }, .. } if path == tmp.path()),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("lsm:bloom_bits=ten") && msg.contains("opening"),
            "{msg}"
        );
        assert!(msg.contains("bloom_bits") && msg.contains("ten"), "{msg}");
        let msg = EngineSpec::parse("lsm:bloom=3").unwrap_err().to_string();
        assert!(msg.contains("parsing its spec"), "{msg}");
    }

    #[test]
    fn lsm_presets_are_one_design_to_the_models() {
        for (name, _) in lsm::PRESETS {
            assert_eq!(find(name).map(|e| e.model), Some("lsm"), "{name}");
        }
        assert_eq!(find("lsm").map(|e| e.model), Some("lsm"));
        for e in builtin().iter().filter(|e| !e.name.starts_with("lsm")) {
            assert_eq!(e.model, e.name);
        }
    }

    #[test]
    fn harness_settings_yield_to_the_spec() {
        let harness = Options::new().with("sync", "never").with("cache_mb", "16");
        let s = EngineSpec::parse("lsm-leveled:cache_mb=4").expect("valid spec");
        let o = s.effective_options(&harness, true);
        assert_eq!(o.get("cache_mb"), Some("4"));
        assert_eq!(o.get("sync"), Some("never"));
        assert_eq!(o.get("background"), Some("false"));
        let m = EngineSpec::parse("mem").expect("valid spec");
        assert_eq!(m.effective_options(&harness, true).get("background"), None);
    }
}
