//! A backend over [`SimFs`] that can hold one chosen call until the test
//! lets it go, so a test can stop a background checkpoint at an exact step
//! and act meanwhile: the interleavings that a crash sweep only reaches by
//! luck of scheduling, made deterministic.

use std::io;
use std::path::Path;
use std::sync::Arc;

use engine_core::vfs::{Backend, BackendFile, OpenMode, SimFs};
use engine_core::Vfs;
use parking_lot::{Condvar, Mutex};

/// Which call to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// A rename onto the file of this name.
    RenameTo,
    /// A file sync of the file of this name.
    Sync,
}

#[derive(Default)]
struct State {
    /// The call to hold next, and the file name it must name.
    armed: Option<(Call, String)>,
    /// Calls armed, held (arrived) and released so far: the n-th held call
    /// waits for the n-th release, so arming the next hold before
    /// releasing this one is safe.
    arms: u64,
    arrivals: u64,
    releases: u64,
}

/// The shared control of one [`Gate`].
#[derive(Default)]
pub struct Control {
    state: Mutex<State>,
    changed: Condvar,
}

impl Control {
    /// Hold the next `call` that names a file called `name`.
    pub fn arm(&self, call: Call, name: &str) {
        let mut st = self.state.lock();
        st.armed = Some((call, name.to_string()));
        st.arms += 1;
    }

    /// Wait until the last armed call is being held.
    pub fn wait_held(&self) {
        let mut st = self.state.lock();
        while st.arrivals < st.arms {
            self.changed.wait(&mut st);
        }
    }

    /// Let the oldest held call go on.
    pub fn release(&self) {
        let mut st = self.state.lock();
        st.releases += 1;
        self.changed.notify_all();
    }

    fn pass(&self, call: Call, path: &Path) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let mut st = self.state.lock();
        match &st.armed {
            Some((c, n)) if *c == call && n == name => st.armed = None,
            _ => return,
        }
        st.arrivals += 1;
        let ticket = st.arrivals;
        self.changed.notify_all();
        while st.releases < ticket {
            self.changed.wait(&mut st);
        }
    }
}

/// The backend: every call goes to the [`SimFs`], the armed one late.
pub struct Gate {
    fs: SimFs,
    control: Arc<Control>,
}

impl Gate {
    /// A Vfs over `fs` whose calls `control` can hold.
    pub fn vfs(fs: &SimFs) -> (Vfs, Arc<Control>) {
        let control = Arc::new(Control::default());
        let gate = Gate {
            fs: fs.clone(),
            control: Arc::clone(&control),
        };
        (Vfs::with_backend(Arc::new(gate)), control)
    }
}

impl Backend for Gate {
    fn open(&self, path: &Path, mode: OpenMode) -> io::Result<Box<dyn BackendFile>> {
        let inner = self.fs.open(path, mode)?;
        Ok(Box::new(GateFile {
            inner,
            path: path.to_path_buf(),
            control: Arc::clone(&self.control),
        }))
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.fs.remove_file(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.control.pass(Call::RenameTo, to);
        self.fs.rename(from, to)
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.fs.create_dir_all(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.fs.sync_dir(path)
    }
    fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        self.fs.list_dir(path)
    }
    fn exists(&self, path: &Path) -> io::Result<bool> {
        self.fs.exists(path)
    }
}

struct GateFile {
    inner: Box<dyn BackendFile>,
    path: std::path::PathBuf,
    control: Arc<Control>,
}

impl BackendFile for GateFile {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        self.inner.read_at(buf, offset)
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        self.inner.write_at(buf, offset)
    }
    fn len(&self) -> io::Result<u64> {
        self.inner.len()
    }
    fn set_len(&self, len: u64) -> io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync(&self) -> io::Result<()> {
        self.control.pass(Call::Sync, &self.path);
        self.inner.sync()
    }
}
