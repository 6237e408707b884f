//! Real files through the operating system: `pread`/`pwrite`, `fsync`, no mmap.

use std::fs;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::{Backend, BackendFile, OpenMode};

/// The operating system's filesystem.
pub struct OsBackend;

/// Read-write options for `mode` (the direct backend adds its flag).
pub(super) fn open_options(mode: OpenMode) -> fs::OpenOptions {
    let mut o = fs::OpenOptions::new();
    o.read(true).write(true);
    match mode {
        OpenMode::Existing => {}
        OpenMode::Create => {
            o.create(true);
        }
        OpenMode::CreateNew => {
            o.create_new(true);
        }
        OpenMode::Truncate => {
            o.create(true).truncate(true);
        }
    }
    o
}

impl Backend for OsBackend {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        Ok(Box::new(OsFile(open_options(mode).open(path)?)))
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        fs::create_dir_all(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        fs::File::open(path)?.sync_all()
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(path)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        path.try_exists()
    }
}

struct OsFile(fs::File);

impl BackendFile for OsFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.0.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.0.write_all_at(buf, offset)
    }

    fn len(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }

    fn sync(&self) -> io::Result<()> {
        self.0.sync_data()
    }
}
