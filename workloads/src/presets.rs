//! The built-in workloads: YCSB's core workloads A-F with the parameters of
//! YCSB's published `workloads/workload[a-f]` files, and db_bench-style
//! presets that isolate one engine trade-off each.
//! `docs/workloads.md` gives each preset's reason.

/// (name, description, properties as a property file).
pub const PRESETS: &[(&str, &str, &str)] = &[
    (
        "ycsb-a",
        "update heavy: 50% reads, 50% updates, zipfian (session store)",
        "recordcount=1000\noperationcount=1000\nreadallfields=true\n\
         readproportion=0.5\nupdateproportion=0.5\nscanproportion=0\ninsertproportion=0\n\
         requestdistribution=zipfian\n",
    ),
    (
        "ycsb-b",
        "read mostly: 95% reads, 5% updates, zipfian (photo tagging)",
        "recordcount=1000\noperationcount=1000\nreadallfields=true\n\
         readproportion=0.95\nupdateproportion=0.05\nscanproportion=0\ninsertproportion=0\n\
         requestdistribution=zipfian\n",
    ),
    (
        "ycsb-c",
        "read only: 100% reads, zipfian (user profile cache)",
        "recordcount=1000\noperationcount=1000\nreadallfields=true\n\
         readproportion=1\nupdateproportion=0\nscanproportion=0\ninsertproportion=0\n\
         requestdistribution=zipfian\n",
    ),
    (
        "ycsb-d",
        "read latest: 95% reads, 5% inserts, latest (status updates)",
        "recordcount=1000\noperationcount=1000\nreadallfields=true\n\
         readproportion=0.95\nupdateproportion=0\nscanproportion=0\ninsertproportion=0.05\n\
         requestdistribution=latest\n",
    ),
    (
        "ycsb-e",
        "short ranges: 95% scans of 1-100 records, 5% inserts, zipfian (threaded conversations)",
        "recordcount=1000\noperationcount=1000\nreadallfields=true\n\
         readproportion=0\nupdateproportion=0\nscanproportion=0.95\ninsertproportion=0.05\n\
         requestdistribution=zipfian\nmaxscanlength=100\nscanlengthdistribution=uniform\n",
    ),
    (
        "ycsb-f",
        "read-modify-write: 50% reads, 50% read-modify-writes, zipfian (user database)",
        "recordcount=1000\noperationcount=1000\nreadallfields=true\n\
         readproportion=0.5\nupdateproportion=0\nscanproportion=0\ninsertproportion=0\n\
         readmodifywriteproportion=0.5\nrequestdistribution=zipfian\n",
    ),
    (
        "fill-seq",
        "inserts in key order into an empty store: the best case for every write path",
        "recordcount=0\noperationcount=100000\nreadproportion=0\nupdateproportion=0\n\
         insertproportion=1\ninsertorder=ordered\nzeropadding=12\n",
    ),
    (
        "fill-random",
        "inserts in random key order into an empty store: what sorting on write costs",
        "recordcount=0\noperationcount=100000\nreadproportion=0\nupdateproportion=0\n\
         insertproportion=1\ninsertorder=hashed\n",
    ),
    (
        "read-random",
        "uniform point reads of existing keys: read amplification without skew to hide it",
        "recordcount=100000\noperationcount=100000\nreadproportion=1\nupdateproportion=0\n\
         requestdistribution=uniform\n",
    ),
    (
        "overwrite",
        "uniform overwrites of existing keys: garbage creation, compaction and merge cost",
        "recordcount=100000\noperationcount=100000\nreadproportion=0\nupdateproportion=1\n\
         requestdistribution=uniform\n",
    ),
    (
        "delete-heavy",
        "40% deletes, 30% reads, 30% inserts, uniform: tombstones and space reclamation",
        "recordcount=100000\noperationcount=100000\nreadproportion=0.3\nupdateproportion=0\n\
         insertproportion=0.3\ndeleteproportion=0.4\nrequestdistribution=uniform\n",
    ),
    (
        "scan-heavy",
        "90% scans of 1-1000 records, 10% updates, uniform: ordered layouts vs hash indexes",
        "recordcount=100000\noperationcount=10000\nreadproportion=0\nupdateproportion=0.1\n\
         scanproportion=0.9\nmaxscanlength=1000\nrequestdistribution=uniform\n",
    ),
];

/// The preset called `name`: (description, properties text).
pub fn find(name: &str) -> Option<(&'static str, &'static str)> {
    PRESETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, d, p)| (*d, *p))
}

/// Records the YCSB presets load when no size is given: about 256 MB of
/// 1 KB records, four times the engines' default 64 MiB memory budget
/// (`--cache-mb`), so reads miss the caches and the designs' I/O shows.
/// YCSB's own 1,000 records (1 MB) fit in any cache: every engine then
/// reports write amplification ~1 and read amplification 0, which shows
/// none of the trade-offs. A property file given with `-P` keeps its own
/// `recordcount`, and `--records`/`-p recordcount=` win over this.
pub const DEFAULT_RECORDS: u64 = 250_000;

/// Run-phase operations of the YCSB presets when no count is given.
pub const DEFAULT_OPERATIONS: u64 = 100_000;

/// Give the YCSB core presets (`ycsb-*`, which carry YCSB's 1,000-record
/// size) the workbench's default size. Other presets set their own.
pub fn apply_default_size(name: &str, p: &mut crate::Properties) {
    if name.starts_with("ycsb-") {
        p.set("recordcount", &DEFAULT_RECORDS.to_string());
        p.set("operationcount", &DEFAULT_OPERATIONS.to_string());
    }
}
