//! The vocabulary between a workload and whoever replays it: operation
//! types, one operation, a per-thread stream of them, and the
//! [`Workload`] trait the harness's driver runs.

use std::collections::BTreeMap;

/// The six operation types, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpType {
    /// A lookup of one existing record (YCSB `readproportion`).
    Read,
    /// A write of an existing record (`updateproportion`).
    Update,
    /// A write of a record not loaded yet (`insertproportion`).
    Insert,
    /// A range read from a key (`scanproportion`).
    Scan,
    /// A read then a write of the same record (`readmodifywriteproportion`).
    Rmw,
    /// A removal of an existing record (`deleteproportion`).
    Delete,
}

impl OpType {
    /// Every type, in report order.
    pub const ALL: [OpType; 6] = [
        OpType::Read,
        OpType::Update,
        OpType::Insert,
        OpType::Scan,
        OpType::Rmw,
        OpType::Delete,
    ];

    /// The name in latency.csv's `op` column.
    pub fn name(self) -> &'static str {
        match self {
            OpType::Read => "read",
            OpType::Update => "update",
            OpType::Insert => "insert",
            OpType::Scan => "scan",
            OpType::Rmw => "rmw",
            OpType::Delete => "delete",
        }
    }

    /// Index into per-type arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One operation of a stream; its key is in the caller's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    /// What to do with the key.
    pub kind: OpType,
    /// Bytes of value for inserts, updates and read-modify-writes.
    pub value_len: usize,
    /// Pairs a scan asks for.
    pub scan_len: usize,
    /// An update (or an rmw's write) of one field (`writeallfields=false`):
    /// the client reads the record and writes it back whole with the field
    /// replaced, as YCSB's key-value bindings do. The read is a lookup; a
    /// record not found is not written (YCSB's update returns NOT_FOUND).
    pub read_first: bool,
}

/// A per-thread source of operations.
pub trait OpStream: Send {
    /// Write the next operation's key into `key` (replacing its content)
    /// and return the operation.
    fn next_op(&mut self, key: &mut Vec<u8>) -> Op;

    /// The operation [`next_op`](Self::next_op) returned last has finished
    /// (succeeded or failed). An insert's key may be read from now on.
    fn acknowledge(&mut self) {}

    /// Whether the operations this stream returns next are already fixed:
    /// they depend on no acknowledgement still to come (no run-phase insert
    /// whose key a later read may pick), so a driver may draw them before
    /// its timed loop and replay them, with the same operations as drawing
    /// them one at a time. False unless the stream says so.
    fn drawable_ahead(&self) -> bool {
        false
    }
}

/// A workload the harness can run.
pub trait Workload {
    /// The stream type of one client thread.
    type Stream: OpStream;

    /// The name in the output files (`ycsb-a`, or a property file's stem).
    fn name(&self) -> &str;

    /// Records the load phase inserts: YCSB's `insertcount` (by default
    /// `recordcount - insertstart`, so all of them).
    fn records(&self) -> u64;

    /// Client threads the workload asks for (YCSB's `threadcount`), used
    /// when `--threads` is not given.
    fn threads(&self) -> Option<usize> {
        None
    }

    /// `operationcount`: operations of the run phase.
    fn operations(&self) -> u64;

    /// Every resolved property, for run.json.
    fn properties(&self) -> BTreeMap<String, String>;

    /// The load phase split over `threads`: each thread's stream and how
    /// many operations it runs. The counts sum to [`Workload::records`].
    fn load_streams(&self, threads: usize) -> Vec<(Self::Stream, u64)>;

    /// The run phase's streams, one per thread; each continues after the
    /// load (inserts take the next key numbers). The warm-up operations
    /// come from the same streams, before the measured ones.
    fn run_streams(&self, threads: usize) -> Vec<Self::Stream>;
}

/// `n` operations split over `threads` as evenly as possible, the first
/// threads taking one more.
pub fn split(n: u64, threads: usize) -> Vec<u64> {
    let t = threads.max(1) as u64;
    (0..t).map(|i| n / t + u64::from(i < n % t)).collect()
}
