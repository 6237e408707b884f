//! The engine contract: what every storage engine in the workbench offers.

use std::path::Path;

use crate::error::Result;
use crate::events::Event;
use crate::options::Options;
use crate::vfs::Vfs;

/// A key-value storage engine.
///
/// Methods take `&self` so that the harness can drive one engine from several
/// client threads, as YCSB does; engines do their own locking.
///
/// Keys and values are arbitrary bytes; an empty value is a legal value and
/// distinct from absence. A key or value larger than the engine accepts is an
/// [`Error::TooLarge`](crate::Error::TooLarge), never a panic or truncation.
pub trait Engine: Send + Sync {
    /// The value stored for `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Insert or overwrite `key`.
    fn put(&self, key: &[u8], value: &[u8]) -> Result<()>;

    /// Remove `key`; removing an absent key is not an error.
    fn delete(&self, key: &[u8]) -> Result<()>;

    /// Up to `limit` live pairs with key >= `start`, in key order.
    fn scan(&self, start: &[u8], limit: usize) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;

    /// Every write acknowledged before this call returns `Ok` survives a crash.
    fn sync(&self) -> Result<()>;

    /// Engine-specific counters (bloom probes, compactions, splits, keydir
    /// bytes, ...). Cheap enough to call once per second.
    fn metrics(&self) -> EngineMetrics;

    /// Finish background work that is already due (flushes, compactions,
    /// merges) and wait for it. The harness calls it between the load and the
    /// run phase so each phase is measured on a settled engine; tests call it
    /// to make counters deterministic. Engines without background work keep
    /// the default.
    fn quiesce(&self) -> Result<()> {
        Ok(())
    }

    /// The background work (flushes, compactions, checkpoints, merges,
    /// write stalls) finished since the last call, oldest first; see
    /// [`crate::events`]. Engines without background work keep the default.
    fn drain_events(&self) -> Vec<Event> {
        Vec::new()
    }
}

/// How to open (or recover) an engine in a directory. The registry in the
/// harness and the test kit both use this shape.
pub type OpenFn = fn(vfs: &Vfs, dir: &Path, options: &Options) -> Result<Box<dyn Engine>>;

/// Named counters an engine reports. Order is the engine's choice and is kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineMetrics {
    entries: Vec<(String, f64)>,
}

impl EngineMetrics {
    /// No metrics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) one metric.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<MetricValue>) {
        let name = name.into();
        let value = value.into().0;
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// Builder form of [`EngineMetrics::set`].
    pub fn with(mut self, name: impl Into<String>, value: impl Into<MetricValue>) -> Self {
        self.set(name, value);
        self
    }

    /// The value of one metric.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// All metrics in report order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), *v))
    }

    /// True when there are no metrics.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// A metric value; counters convert losslessly up to 2^53.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MetricValue(pub f64);

macro_rules! metric_from {
    ($($t:ty),*) => {$(
        impl From<$t> for MetricValue {
            fn from(v: $t) -> Self {
                MetricValue(v as f64)
            }
        }
    )*};
}
metric_from!(u8, u16, u32, u64, usize, i32, i64, f32, f64);
