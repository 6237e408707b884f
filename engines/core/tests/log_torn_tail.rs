//! The torn-tail rule of the shared log reader: a damaged record is the
//! torn tail unless a later sync marker vouches that it was durable.

// Test helpers unwrap too: a failed call there should fail the test loudly,
// and clippy's allow-unwrap-in-tests covers only #[test] functions.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use engine_core::log::LogWriter;
use engine_core::record::{self, LogEnd, LogReader, RecordKind, FILE_HEADER_LEN};
use engine_core::vfs::SimFs;
use engine_core::{Durability, OpenMode, Purpose, Result, Vfs};

const MAGIC: &[u8; 8] = b"TESTLOG\0";

fn setup() -> (SimFs, Vfs, PathBuf) {
    let fs = SimFs::new(3);
    let vfs = fs.vfs();
    vfs.create_dir_all(Path::new("/db")).unwrap();
    (fs, vfs, PathBuf::from("/db/test.log"))
}

fn create(vfs: &Vfs, path: &Path) -> LogWriter {
    LogWriter::create(vfs, path, MAGIC, 1, Durability::Never, Purpose::Wal).unwrap()
}

fn kv(i: u32) -> (Vec<u8>, Vec<u8>) {
    (format!("key{i:05}").into_bytes(), vec![b'v'; 40])
}

/// Append records `from..to`, returning each one's offset.
fn put_range(w: &LogWriter, from: u32, to: u32) -> Vec<u64> {
    (from..to)
        .map(|i| {
            let (k, v) = kv(i);
            w.append(RecordKind::Put, &k, &v).unwrap().offset
        })
        .collect()
}

/// Read the whole log: the keys of its records, how it ended, and the
/// bytes the reader checksummed.
fn read_all(vfs: &Vfs, path: &Path) -> Result<(Vec<Vec<u8>>, LogEnd, u64)> {
    let file = vfs.open(path, OpenMode::Existing)?;
    let mut r = LogReader::new(&file, FILE_HEADER_LEN as u64, Purpose::Recovery)?;
    let mut keys = Vec::new();
    while let Some(rec) = r.next_record()? {
        keys.push(rec.key);
    }
    // next_record returned None, so the end is known.
    Ok((keys, r.end().unwrap(), r.crc_bytes()))
}

fn file_len(fs: &SimFs, path: &Path) -> u64 {
    fs.read_file(path).unwrap().len() as u64
}

#[test]
fn a_value_holding_an_encoded_log_is_not_corruption() {
    let (fs, vfs, path) = setup();
    // A complete, synced log file, later stored as a value.
    let copy_path = PathBuf::from("/db/copy.log");
    let copy = create(&vfs, &copy_path);
    put_range(&copy, 0, 20);
    copy.sync().unwrap();
    put_range(&copy, 20, 30);
    copy.sync().unwrap();
    drop(copy);
    let copy_bytes = fs.read_file(&copy_path).unwrap();

    let w = create(&vfs, &path);
    put_range(&w, 0, 5);
    w.sync().unwrap();
    let at = w.append(RecordKind::Put, b"backup", &copy_bytes).unwrap();
    w.flush().unwrap();
    drop(w);
    // The crash cut the stored copy short, after most of its records.
    let cut = at.offset + at.len as u64 - 50;
    vfs.open(&path, OpenMode::Existing)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let (keys, end, _) = read_all(&vfs, &path).expect("a torn tail, not corruption");
    assert_eq!(keys.len(), 5);
    assert_eq!(
        end,
        LogEnd::TornTail {
            valid_len: at.offset,
            file_len: cut
        }
    );
}

#[test]
fn damage_after_the_last_sync_is_a_torn_tail() {
    // Zeros (a dropped page) followed by valid records, garbage, and a cut
    // mid-record: all after the last sync, so all the torn tail.
    for damage in ["zeros", "garbage", "cut"] {
        let (fs, vfs, path) = setup();
        let w = create(&vfs, &path);
        put_range(&w, 0, 10);
        w.sync().unwrap();
        let late = put_range(&w, 10, 40);
        w.flush().unwrap();
        drop(w);
        let len = file_len(&fs, &path);
        let file = vfs.open(&path, OpenMode::Existing).unwrap();
        match damage {
            "zeros" => file.write_at(&[0u8; 200], late[2], Purpose::Wal).unwrap(),
            "garbage" => file
                .write_at(&[0xA5u8; 77], late[2] + 3, Purpose::Wal)
                .unwrap(),
            _ => file.set_len(late[2] + 20).unwrap(),
        }
        drop(file);
        let (keys, end, _) =
            read_all(&vfs, &path).unwrap_or_else(|e| panic!("{damage}: a torn tail, not {e}"));
        assert_eq!(keys.len(), 12, "{damage}");
        assert!(
            matches!(end, LogEnd::TornTail { valid_len, .. } if valid_len == late[2]),
            "{damage}: {end:?}"
        );
        let _ = len;
    }
}

#[test]
fn torn_tail_check_is_linear() {
    let (fs, vfs, path) = setup();
    let w = create(&vfs, &path);
    put_range(&w, 0, 5);
    w.sync().unwrap();
    let end = w.len();
    drop(w);
    // After the log: a bad record, then 32 KiB of plausible headers, each
    // claiming a value that runs to the end of the file (so checking one
    // costs the rest of the file), mixed with plausible sync markers whose
    // checksums are wrong.
    let region = 32 << 10;
    let mut tail = vec![0xEEu8; 13];
    let mut n = 0u32;
    while tail.len() < region {
        let i = tail.len();
        let rest = region.saturating_sub(i + 13) as u32;
        n += 1;
        tail.extend_from_slice(&[0x11, 0x22, 0x33, 0x44, 1]);
        tail.extend_from_slice(&0u32.to_le_bytes());
        tail.extend_from_slice(&rest.to_le_bytes());
        if n % 3 == 1 {
            // Kind 4, empty key, 20-byte value and the marker magic.
            tail.extend_from_slice(&[9, 9, 9, 9, 4, 0, 0, 0, 0, 20, 0, 0, 0]);
            tail.extend_from_slice(b"SYNC");
            tail.extend_from_slice(&[0u8; 16]);
        }
    }
    tail.truncate(region);
    let file = vfs.open(&path, OpenMode::Existing).unwrap();
    file.write_at(&tail, end, Purpose::Wal).unwrap();
    drop(file);
    let len = file_len(&fs, &path);
    let (keys, end_how, crc) = read_all(&vfs, &path).expect("a torn tail");
    assert_eq!(keys.len(), 5);
    assert!(matches!(end_how, LogEnd::TornTail { valid_len, .. } if valid_len == end));
    assert!(
        crc <= 4 * len,
        "{crc} bytes checksummed for a {len}-byte file"
    );
}

/// The reader's verdict on the log at `path`: its record count and whether
/// it ended sealed, or the corruption offset.
fn verdict(vfs: &Vfs, path: &Path) -> std::result::Result<(usize, bool), u64> {
    let file = vfs.open(path, OpenMode::Existing).unwrap();
    let mut r = LogReader::new(&file, FILE_HEADER_LEN as u64, Purpose::Recovery).unwrap();
    let mut n = 0;
    loop {
        match r.next_record() {
            Ok(Some(_)) => n += 1,
            Ok(None) => return Ok((n, r.sealed())),
            Err(engine_core::Error::Corruption {
                path: p, offset, ..
            }) => {
                assert_eq!(p, path);
                return Err(offset);
            }
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn flipped_last_record_of_a_sealed_log_is_corruption() {
    let (fs, vfs, path) = setup();
    let w = create(&vfs, &path);
    let offsets = put_range(&w, 0, 10);
    w.seal().unwrap();
    assert!(matches!(
        w.append(RecordKind::Put, b"late", b"x"),
        Err(engine_core::Error::Unsupported(_))
    ));
    drop(w);
    assert_eq!(verdict(&vfs, &path), Ok((10, true)));
    let last = offsets[9];
    fs.flip_bit(&path, last + 20, 3).unwrap();
    assert_eq!(verdict(&vfs, &path), Err(last));
}

#[test]
fn flipped_record_before_a_sync_marker_is_corruption() {
    let (fs, vfs, path) = setup();
    let w = create(&vfs, &path);
    let early = put_range(&w, 0, 10);
    w.sync().unwrap();
    let synced_to = w.len();
    let late = put_range(&w, 10, 20);
    // The first append after the sync was preceded by a marker.
    assert_eq!(late[0], synced_to + record::MARKER_LEN as u64);
    w.flush().unwrap();
    drop(w);
    assert_eq!(verdict(&vfs, &path), Ok((20, false)));
    // Before the marker's durable length: corruption.
    fs.flip_bit(&path, early[5] + 15, 0).unwrap();
    assert_eq!(verdict(&vfs, &path), Err(early[5]));
    fs.flip_bit(&path, early[5] + 15, 0).unwrap();
    // After it (never synced when the marker was written): the torn tail.
    fs.flip_bit(&path, late[5] + 15, 0).unwrap();
    assert_eq!(verdict(&vfs, &path), Ok((15, false)));
}

#[test]
fn mark_vouches_for_every_record_before_it() {
    let (fs, vfs, path) = setup();
    let w = create(&vfs, &path);
    let offsets = put_range(&w, 0, 4);
    w.mark().unwrap();
    // Nothing new: a second mark writes nothing.
    let len = w.len();
    w.mark().unwrap();
    assert_eq!(w.len(), len);
    put_range(&w, 4, 6);
    drop(w);
    fs.flip_bit(&path, offsets[3] + 14, 1).unwrap();
    assert_eq!(verdict(&vfs, &path), Err(offsets[3]));
}

#[test]
fn a_resumed_log_syncs_before_any_marker_vouches_for_its_bytes() {
    let (fs, vfs, path) = setup();
    let w = create(&vfs, &path);
    put_range(&w, 0, 3);
    w.flush().unwrap();
    let len = w.len();
    drop(w);
    let file = vfs.open(&path, OpenMode::Existing).unwrap();
    let w = LogWriter::resume(&vfs, file, len, Durability::Never, Purpose::Wal);
    let fsyncs = w.fsyncs();
    w.sync().unwrap();
    assert_eq!(
        w.fsyncs(),
        fsyncs + 1,
        "the resumed bytes were never synced"
    );
    let a = w.append(RecordKind::Put, b"k", b"v").unwrap();
    assert_eq!(a.offset, len + record::MARKER_LEN as u64);
    drop(w);
    let _ = fs;
}
