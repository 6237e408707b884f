//! The machine a run ran on, for run.json: numbers from two machines are
//! not comparable, and the gate's timing checks assume the same one.

use std::path::Path;

use sysinfo::System;

/// The struct is part of run.json's contract, so it lives there.
pub use results::run_json::Machine;

/// Describe this machine; `data_dir` is where engine files go.
pub fn describe(data_dir: &Path) -> Machine {
    let mut sys = System::new();
    sys.refresh_cpu_all();
    sys.refresh_memory();
    let cpu = sys
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(sys.cpus().len(), |n| n.get()),
        physical_cores: sys.physical_core_count(),
        memory_bytes: sys.total_memory(),
        os: System::long_os_version().unwrap_or_else(|| "unknown".into()),
        kernel: System::kernel_version().unwrap_or_else(|| "unknown".into()),
        filesystem: filesystem_of(data_dir),
    }
}

/// The type of the filesystem holding `path`: the /proc/mounts entry with
/// the longest mount point that is a prefix of the canonical path.
pub fn filesystem_of(path: &Path) -> Option<String> {
    let path = std::fs::canonicalize(path).ok()?;
    let mounts = std::fs::read_to_string("/proc/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let _device = f.next()?;
            let mount_point = unescape_mount(f.next()?);
            let fstype = f.next()?;
            path.starts_with(&mount_point)
                .then(|| (mount_point.len(), fstype.to_string()))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, fstype)| fstype)
}

/// /proc/mounts escapes space, tab, newline and backslash as octal.
fn unescape_mount(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_this_machine() {
        let m = describe(Path::new("."));
        assert!(m.cores >= 1);
        assert!(m.memory_bytes > 0);
        if Path::new("/proc/mounts").exists() {
            assert!(m.filesystem.is_some(), "root is always mounted");
        }
    }

    #[test]
    fn mount_points_unescape() {
        assert_eq!(unescape_mount("/mnt/my\\040disk"), "/mnt/my disk");
    }
}
