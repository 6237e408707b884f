//! Engine options, parsed from `key=value` strings.
//!
//! The harness sweeps engine configurations from the command line
//! (`lsm:compaction=tiered,bloom_bits=0`), so options are strings first and
//! typed second. Each engine declares its options as a table of
//! [`OptionSpec`]s; [`Options::check`] rejects a key that is in no table and
//! lists the valid ones, and the typed getters name the key and the expected
//! form when a value does not parse.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// One option an engine understands: its name, default and a line of help.
#[derive(Debug, Clone, Copy)]
pub struct OptionSpec {
    /// The key as written on the command line (`bloom_bits`).
    pub name: &'static str,
    /// The value used when the key is absent, in the same string form.
    pub default: &'static str,
    /// One line for `--help` and the unknown-option message: what it does
    /// and the accepted forms.
    pub help: &'static str,
}

/// Options every persistent engine honours.
pub const COMMON_OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "sync",
        default: "never",
        help: "durability: `always` (a write returns once durable), `never` (durable at sync()), `bytes:N` (sync every N bytes written)",
    },
    OptionSpec {
        name: "cache_mb",
        default: "64",
        help: "memory budget for caches and buffers, MiB",
    },
];

/// When acknowledged writes become durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Every write is durable before it returns (group commit allowed).
    Always,
    /// Writes are durable only after a successful `Engine::sync`.
    #[default]
    Never,
    /// The engine syncs whenever this many bytes were written since the last sync.
    Bytes(u64),
}

impl FromStr for Durability {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::BadOption {
            key: "sync".into(),
            value: s.into(),
            expected: "`always`, `never` or `bytes:N` with N > 0".into(),
        };
        match s {
            "always" => Ok(Durability::Always),
            "never" => Ok(Durability::Never),
            _ => {
                let n = s.strip_prefix("bytes:").ok_or_else(bad)?;
                match n.parse::<u64>() {
                    Ok(n) if n > 0 => Ok(Durability::Bytes(n)),
                    _ => Err(bad()),
                }
            }
        }
    }
}

impl fmt::Display for Durability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Durability::Always => f.write_str("always"),
            Durability::Never => f.write_str("never"),
            Durability::Bytes(n) => write!(f, "bytes:{n}"),
        }
    }
}

/// An ordered list of `key=value` pairs; a later value for a key wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pairs: Vec<(String, String)>,
}

impl Options {
    /// No options: every engine default applies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse `k=v,k=v`. An empty string is no options.
    pub fn parse(s: &str) -> Result<Self> {
        let mut opts = Options::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| Error::BadOption {
                key: part.into(),
                value: String::new(),
                expected: "`key=value`".into(),
            })?;
            opts.set(k.trim(), v.trim());
        }
        Ok(opts)
    }

    /// Set (or override) one option.
    pub fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let key = key.into();
        let value = value.into();
        match self.pairs.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.pairs.push((key, value)),
        }
    }

    /// Builder form of [`Options::set`].
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    /// Options from `other` override the ones here.
    pub fn merged(&self, other: &Options) -> Options {
        let mut out = self.clone();
        for (k, v) in other.iter() {
            out.set(k, v);
        }
        out
    }

    /// The raw value of a key, if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All pairs in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Reject any key that is not in one of `tables`, naming the valid ones.
    pub fn check(&self, engine: &str, tables: &[&[OptionSpec]]) -> Result<()> {
        for (key, _) in &self.pairs {
            let known = tables.iter().flat_map(|t| t.iter()).any(|s| s.name == key);
            if !known {
                let valid: Vec<&str> = tables
                    .iter()
                    .flat_map(|t| t.iter())
                    .map(|s| s.name)
                    .collect();
                return Err(Error::UnknownOption {
                    engine: engine.into(),
                    key: key.clone(),
                    valid: valid.join(", "),
                });
            }
        }
        Ok(())
    }

    /// A value parsed with `FromStr`, or `default` when unset.
    pub fn parsed<T: FromStr>(&self, key: &str, default: T, expected: &str) -> Result<T> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|_| Error::BadOption {
                key: key.into(),
                value: v.into(),
                expected: expected.into(),
            }),
        }
    }

    /// An unsigned integer option.
    pub fn u64(&self, key: &str, default: u64) -> Result<u64> {
        self.parsed(key, default, "an unsigned integer")
    }

    /// An unsigned integer option within `[min, max]`.
    pub fn u64_in(&self, key: &str, default: u64, min: u64, max: u64) -> Result<u64> {
        let v = self.u64(key, default)?;
        if v < min || v > max {
            return Err(Error::BadOption {
                key: key.into(),
                value: v.to_string(),
                expected: format!("an integer in {min}..={max}"),
            });
        }
        Ok(v)
    }

    /// A floating-point option.
    pub fn f64(&self, key: &str, default: f64) -> Result<f64> {
        let v: f64 = self.parsed(key, default, "a number")?;
        if !v.is_finite() {
            return Err(Error::BadOption {
                key: key.into(),
                value: v.to_string(),
                expected: "a finite number".into(),
            });
        }
        Ok(v)
    }

    /// A boolean option (`true`/`false`, `1`/`0`, `on`/`off`).
    pub fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some("true" | "1" | "on" | "yes") => Ok(true),
            Some("false" | "0" | "off" | "no") => Ok(false),
            Some(v) => Err(Error::BadOption {
                key: key.into(),
                value: v.into(),
                expected: "true or false".into(),
            }),
        }
    }

    /// One of a fixed set of words.
    pub fn choice<'a>(&self, key: &str, default: &'a str, valid: &[&'a str]) -> Result<&'a str> {
        let v = self.get(key).unwrap_or(default);
        valid
            .iter()
            .find(|c| **c == v)
            .copied()
            .ok_or_else(|| Error::BadOption {
                key: key.into(),
                value: v.into(),
                expected: format!("one of {}", valid.join(", ")),
            })
    }

    /// The `sync` option.
    pub fn durability(&self) -> Result<Durability> {
        self.get("sync").unwrap_or("never").parse()
    }

    /// The `cache_mb` option, in bytes.
    pub fn cache_bytes(&self) -> Result<u64> {
        Ok(self.u64_in("cache_mb", 64, 0, 1 << 20)? << 20)
    }
}

impl fmt::Display for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.pairs.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[OptionSpec] = &[OptionSpec {
        name: "bloom_bits",
        default: "10",
        help: "",
    }];

    #[test]
    fn unknown_key_names_it_and_lists_valid_ones() {
        let o = Options::parse("bloom_bitz=3").unwrap();
        let e = o.check("lsm", &[COMMON_OPTIONS, SPECS]).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("bloom_bitz"), "{msg}");
        assert!(msg.contains("bloom_bits"), "{msg}");
        assert!(msg.contains("sync"), "{msg}");
        assert!(msg.contains("cache_mb"), "{msg}");
    }

    #[test]
    fn bad_value_names_key_and_expected_form() {
        let o = Options::parse("bloom_bits=ten").unwrap();
        let msg = o.u64("bloom_bits", 10).unwrap_err().to_string();
        assert!(msg.contains("bloom_bits") && msg.contains("ten") && msg.contains("integer"));
        let o = Options::parse("sync=sometimes").unwrap();
        let msg = o.durability().unwrap_err().to_string();
        assert!(msg.contains("sometimes") && msg.contains("always"), "{msg}");
    }

    #[test]
    fn parse_later_wins_and_defaults_apply() {
        let o = Options::parse("a=1, b=2,a=3").unwrap();
        assert_eq!(o.get("a"), Some("3"));
        assert_eq!(o.u64("missing", 7).unwrap(), 7);
        assert_eq!(o.to_string(), "a=3,b=2");
        assert_eq!(Options::parse("").unwrap(), Options::new());
        assert!(Options::parse("novalue").is_err());
    }

    #[test]
    fn durability_forms() {
        assert_eq!("always".parse::<Durability>().unwrap(), Durability::Always);
        assert_eq!(
            "bytes:4096".parse::<Durability>().unwrap(),
            Durability::Bytes(4096)
        );
        assert!("bytes:0".parse::<Durability>().is_err());
        assert_eq!(Durability::Bytes(9).to_string(), "bytes:9");
    }

    #[test]
    fn choice_lists_valid_values() {
        let o = Options::parse("compaction=fifo").unwrap();
        let msg = o
            .choice("compaction", "leveled", &["leveled", "tiered"])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("leveled, tiered"), "{msg}");
    }
}
