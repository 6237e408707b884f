//! `harness ops`: the run phase's operation stream as CSV, without an
//! engine, so a workload can be inspected or replayed elsewhere.
//!
//! Columns `op,key,value_len,scan_len,read_first` (1: a one-field update
//! the driver does as a read and a write of the whole record); one client thread's stream (the
//! stream `--threads 1` replays). Keys are printed as text when they are
//! UTF-8 without control characters, otherwise as `0x` + hex.

use std::io::Write;

use crate::driver::OpStream;
use crate::error::{Error, Result};
use crate::workload::Workload;

/// How a key appears in the CSV.
pub fn key_text(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(s) if !s.starts_with("0x") && !s.chars().any(char::is_control) => s.to_string(),
        _ => {
            let mut hex = String::with_capacity(2 + key.len() * 2);
            hex.push_str("0x");
            for b in key {
                hex.push_str(&format!("{b:02x}"));
            }
            hex
        }
    }
}

/// Write the first `limit` (default: all) run-phase operations of `w`.
pub fn write_ops<W: Workload>(w: &W, limit: Option<u64>, out: impl Write) -> Result<()> {
    let io = |e: std::io::Error| Error::io("cannot write", "stdout", e);
    let mut csv = csv::Writer::from_writer(out);
    let csv_err = |e: csv::Error| io(e.into());
    csv.write_record(["op", "key", "value_len", "scan_len", "read_first"])
        .map_err(csv_err)?;
    let mut streams = w.run_streams(1);
    let Some(stream) = streams.first_mut() else {
        return Ok(());
    };
    let n = limit.map_or(w.operations(), |l| l.min(w.operations()));
    let mut key = Vec::new();
    for _ in 0..n {
        let op = stream.next_op(&mut key);
        // One thread, each operation done before the next is drawn.
        stream.acknowledge();
        csv.write_record([
            op.kind.name(),
            &key_text(&key),
            &op.value_len.to_string(),
            &op.scan_len.to_string(),
            if op.read_first { "1" } else { "0" },
        ])
        .map_err(csv_err)?;
    }
    csv.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_print_as_text_or_hex() {
        assert_eq!(key_text(b"user123"), "user123");
        assert_eq!(key_text(&[0xff, 0x00]), "0xff00");
        assert_eq!(key_text(b"a\nb"), "0x610a62");
        // Text that looks like hex is hex-encoded, so the reading is unambiguous.
        assert_eq!(key_text(b"0x12"), "0x30783132");
        assert_eq!(key_text(b""), "");
    }
}
