//! `harness list`: the engines with their options (defaults and help, from
//! each engine's `OptionSpec` table) and the workloads with descriptions.

use std::fmt::Write as _;

use engine_core::{Options, COMMON_OPTIONS};

use crate::registry::{builtin, EngineInfo};

/// The engines section.
pub fn engines() -> String {
    let mut out =
        String::from("Engines (--engine NAME or NAME:opt=val,...; * = run by default):\n");
    for e in builtin() {
        let _ = writeln!(
            out,
            "\n  {}{}  {}",
            e.name,
            if e.default { " *" } else { "" },
            e.about
        );
        if !e.preset.is_empty() {
            let _ = writeln!(out, "    preset: {}", e.preset);
        }
        let preset = Options::parse(e.preset).unwrap_or_default();
        let rows = option_rows(&e, &preset);
        let width = rows
            .iter()
            .map(|(n, d, _)| n.len() + d.len())
            .max()
            .unwrap_or(0)
            + 3;
        for (name, default, help) in rows {
            let left = format!("{name}={default}");
            let _ = writeln!(out, "    {left:<width$} {help}");
        }
    }
    out
}

/// (name, default as this entry opens it, help) for every option.
fn option_rows(e: &EngineInfo, preset: &Options) -> Vec<(String, String, String)> {
    COMMON_OPTIONS
        .iter()
        .chain(e.options.iter())
        .map(|o| {
            let default = preset.get(o.name).unwrap_or(o.default);
            (o.name.to_string(), default.to_string(), o.help.to_string())
        })
        .collect()
}

/// The workloads section: (name, description) pairs.
pub fn workloads(entries: &[(String, String)]) -> String {
    let mut out =
        String::from("Workloads (--workload NAME, or -P FILE for a YCSB property file):\n\n");
    let width = entries.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, about) in entries {
        let _ = writeln!(out, "  {name:<width$}  {about}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_show_options_with_preset_defaults() {
        let text = engines();
        assert!(text.contains("mem *"));
        assert!(text.contains("sync=never"));
        assert!(text.contains("cache_mb=64"));
        // The tiered preset shows its own compaction, not the crate default.
        let tiered = text
            .split("\n\n  ")
            .find(|s| s.starts_with("lsm-tiered-nobloom"))
            .expect("listed");
        assert!(tiered.contains("compaction=tiered"), "{tiered}");
        assert!(tiered.contains("bloom_bits=0"), "{tiered}");
        assert!(tiered.contains("background=true"), "{tiered}");
    }
}
