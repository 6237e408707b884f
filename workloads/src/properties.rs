//! YCSB property files and `-p` overrides.
//!
//! A property file is YCSB's: one `name=value` per line (`name:value` too,
//! as Java's `Properties` reads it), `#` or `!` comments, blank lines.
//! `-P FILE` applies files in order, `-p NAME=VALUE` afterwards, a later
//! value winning. A malformed line is an error naming the file and line; a
//! name CoreWorkload does not know is a warning naming it (YCSB would
//! silently ignore it, which hides typos).

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};

/// Every property the workload understands, with YCSB's CoreWorkload
/// default where it has one.
pub const KNOWN: &[(&str, &str)] = &[
    ("workload", "site.ycsb.workloads.CoreWorkload"),
    ("recordcount", "1000"),
    ("operationcount", "1000"),
    ("fieldcount", "10"),
    ("fieldlength", "100"),
    ("minfieldlength", "1"),
    ("fieldlengthdistribution", "constant"),
    ("readallfields", "true"),
    ("writeallfields", "false"),
    ("readproportion", "0.95"),
    ("updateproportion", "0.05"),
    ("insertproportion", "0"),
    ("scanproportion", "0"),
    ("readmodifywriteproportion", "0"),
    ("deleteproportion", "0"),
    ("requestdistribution", "uniform"),
    ("minscanlength", "1"),
    ("maxscanlength", "1000"),
    ("scanlengthdistribution", "uniform"),
    ("insertorder", "hashed"),
    ("insertstart", "0"),
    ("insertcount", ""),
    ("zeropadding", "1"),
    ("hotspotdatafraction", "0.2"),
    ("hotspotopnfraction", "0.8"),
    ("exponential.percentile", "95"),
    ("exponential.frac", "0.8571428571"),
    ("zipfianconstant", "0.99"),
    // No default: unset, `--threads` (default 1) decides.
    ("threadcount", ""),
    ("table", "usertable"),
    ("dataintegrity", "false"),
    ("measurementtype", "histogram"),
];

/// Resolved properties: defaults overlaid by files, then overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties {
    values: BTreeMap<String, String>,
}

impl Properties {
    /// CoreWorkload's defaults.
    pub fn defaults() -> Properties {
        Properties {
            values: KNOWN
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// Set one property.
    pub fn set(&mut self, name: &str, value: &str) {
        self.values.insert(name.to_string(), value.to_string());
    }

    /// A property's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Apply `name=value` pairs parsed from `text`; `source` names the file
    /// in errors. Returns warnings for unknown names.
    pub fn apply_text(&mut self, source: &str, text: &str) -> Result<Vec<String>> {
        let mut warnings = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let split = line.find(['=', ':']).ok_or_else(|| Error::Syntax {
                file: source.to_string(),
                line: i + 1,
                message: format!("expected `name=value`, found `{line}`"),
            })?;
            let (name, value) = (line[..split].trim(), line[split + 1..].trim());
            if name.is_empty() {
                return Err(Error::Syntax {
                    file: source.to_string(),
                    line: i + 1,
                    message: format!("empty property name in `{line}`"),
                });
            }
            warnings.extend(self.apply(name, value, &format!("{source}, line {}", i + 1)));
        }
        Ok(warnings)
    }

    /// Apply a property file.
    pub fn apply_file(&mut self, path: &Path) -> Result<Vec<String>> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        self.apply_text(&path.display().to_string(), &text)
    }

    /// Apply one `-p NAME=VALUE`.
    pub fn apply_override(&mut self, arg: &str) -> Result<Vec<String>> {
        let (name, value) = arg
            .split_once('=')
            .ok_or_else(|| Error::Property(format!("-p {arg}: expected NAME=VALUE")))?;
        Ok(self
            .apply(name.trim(), value.trim(), &format!("-p {arg}"))
            .into_iter()
            .collect())
    }

    fn apply(&mut self, name: &str, value: &str, at: &str) -> Option<String> {
        self.set(name, value);
        (!KNOWN.iter().any(|(k, _)| *k == name))
            .then(|| format!("{at}: unknown property `{name}` (ignored)"))
    }

    /// A property parsed as `T`, naming the property and value on error.
    pub fn parse<T: std::str::FromStr>(&self, name: &str, expected: &str) -> Result<T> {
        let v = self.get(name).unwrap_or("");
        v.parse()
            .map_err(|_| Error::Property(format!("property {name}={v}: expected {expected}")))
    }

    /// Every property, for run.json.
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.values.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_apply_in_order_and_overrides_win() {
        let mut p = Properties::defaults();
        let w = p
            .apply_text(
                "a.properties",
                "# comment\nrecordcount=10\n\nreadproportion : 0.5\n",
            )
            .expect("valid");
        assert!(w.is_empty());
        p.apply_text("b.properties", "recordcount=20\n")
            .expect("valid");
        p.apply_override("recordcount=30").expect("valid");
        assert_eq!(p.get("recordcount"), Some("30"));
        assert_eq!(p.get("readproportion"), Some("0.5"));
        assert_eq!(p.get("fieldcount"), Some("10"), "defaults kept");
    }

    #[test]
    fn malformed_line_names_file_and_line() {
        let mut p = Properties::defaults();
        let e = p
            .apply_text("w.properties", "recordcount=1\njust words\n")
            .expect_err("malformed");
        let msg = e.to_string();
        assert!(
            msg.contains("w.properties") && msg.contains("line 2"),
            "{msg}"
        );
        assert!(p.apply_override("novalue").is_err());
    }

    #[test]
    fn unknown_names_are_warned_about_by_name() {
        let mut p = Properties::defaults();
        let w = p.apply_text("x", "readproportoin=0.5\n").expect("valid");
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("readproportoin") && w[0].contains("x, line 1"));
        let w = p
            .apply_override("workload=site.ycsb.workloads.CoreWorkload")
            .expect("ok");
        assert!(w.is_empty(), "the workload class is a known property");
    }
}
