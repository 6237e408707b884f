//! The `harness` command line. Parsing only: every subcommand's work is in
//! the library (`harness::run`, `list`, `ops_cmd`, `gate`, `overhead`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use engine_core::Durability;
use harness::compare::Tolerances;
use harness::registry::{default_specs, EngineSpec};
use harness::run::RunConfig;
use harness::{gate, list, ops_cmd, output, overhead, Error};
use workloads::{Workload, WorkloadArgs, YcsbWorkload};

/// Replays YCSB and db_bench-style workloads against storage engines and
/// reports throughput, latency and write/read/space amplification.
#[derive(Parser, Debug)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// `harness [run flags]` is `harness run [run flags]`.
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run workloads against engines (the default command).
    Run(Box<RunArgs>),
    /// List engines (with options) and workloads.
    List,
    /// Print the run phase's operations as CSV (op,key,value_len,scan_len).
    Ops {
        #[command(flatten)]
        workload: WorkloadFlags,
        /// Print at most this many operations.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Compare a candidate results directory with a baseline; exit 1 on a
    /// regression, 2 when they cannot be compared.
    Gate(GateArgs),
    /// Check an engine directory offline (checksums of every file and
    /// record); exit 1 when anything is corrupt.
    Verify {
        /// The engine that wrote the directory (`NAME` or `NAME:opt=val,...`).
        #[arg(long)]
        engine: String,
        /// The engine's directory.
        #[arg(long)]
        data_dir: std::path::PathBuf,
    },
    /// The writer of the kill-loop test: write a deterministic stream with
    /// sync=always, one line per acknowledged write, until killed.
    #[command(hide = true)]
    CrashChild {
        #[arg(long)]
        engine: String,
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        seed: u64,
        #[arg(long, default_value_t = u64::MAX)]
        limit: u64,
        /// 0: `sync=always`; N: `sync=never` and a `sync()` after every N writes.
        #[arg(long, default_value_t = 0)]
        sync_every: u64,
    },
    /// Run a sweep plan (TOML: engines, option grids, workloads, seeds):
    /// each cell an ordinary run under DIR/cells/, plus DIR/sweep.csv with
    /// the measured figures beside the models' (docs/sweep.md).
    Sweep(SweepArgs),
    /// Combine the shard directories of one sweep plan into OUT.
    Merge {
        /// The merged sweep directory (created; must not hold cells).
        out: PathBuf,
        /// The shard directories (`harness sweep PLAN --shard I/N --out DIR`).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
    },
    /// Measure the harness's own share of an operation's time on `mem`.
    Overhead {
        #[command(flatten)]
        workload: WorkloadFlags,
        /// Repetitions (the fastest is kept: the harness's own cost, not an engine's).
        #[arg(long, default_value_t = 5)]
        repeat: u32,
    },
}

/// Which workload(s) and how big.
#[derive(Args, Debug, Clone)]
struct WorkloadFlags {
    /// Workload preset (repeatable): ycsb-a..ycsb-f, fill-seq, ... (see `list`).
    #[arg(long = "workload", value_name = "NAME")]
    workloads: Vec<String>,
    /// YCSB property file (repeatable, applied in order).
    #[arg(short = 'P', value_name = "FILE")]
    property_files: Vec<PathBuf>,
    /// Property override NAME=VALUE (repeatable, applied last).
    #[arg(short = 'p', value_name = "NAME=VALUE")]
    properties: Vec<String>,
    /// Records loaded (recordcount).
    #[arg(long)]
    records: Option<u64>,
    /// Operations in the run phase (operationcount).
    #[arg(long)]
    operations: Option<u64>,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

impl WorkloadFlags {
    fn to_args(&self) -> WorkloadArgs {
        WorkloadArgs {
            workloads: self.workloads.clone(),
            property_files: self.property_files.clone(),
            properties: self.properties.clone(),
            records: self.records,
            operations: self.operations,
            seed: self.seed,
        }
    }
}

#[derive(Args, Debug, Clone)]
struct RunArgs {
    #[command(flatten)]
    workload: WorkloadFlags,
    /// Engine spec NAME or NAME:opt=val,... (repeatable; default: all built-in).
    #[arg(long = "engine", value_name = "SPEC")]
    engines: Vec<String>,
    /// Client threads sharing one engine [default: the workload's
    /// `threadcount` property if set, else 1].
    #[arg(long)]
    threads: Option<usize>,
    /// Stop a phase after this many seconds and report what ran (marked
    /// time-limited); 0 for no limit. The default keeps a default run
    /// short where the naive log's gets scan its whole log.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_MAX_TIME_S)]
    max_time: f64,
    /// Durability: always, never or bytes:N.
    #[arg(long, default_value = "never")]
    sync: String,
    /// Values' compressed size / raw size (db_bench's compression_ratio):
    /// 1.0 = fresh random bytes, incompressible; 0.5 = compress to half.
    #[arg(long, default_value_t = 1.0)]
    compression_ratio: f64,
    /// Memory budget of each engine, MiB (its cache_mb option).
    #[arg(long, default_value_t = 64)]
    cache_mb: u64,
    /// How our engines' files reach the device: `buffered` (through the
    /// page cache), `direct` (O_DIRECT: every read and write goes to the
    /// device; engine_metrics.csv gains device_bytes_read/written) or
    /// `memory` (an in-memory filesystem per cell, nothing on disk: the
    /// same byte and I/O counters as buffered, timings not meaningful;
    /// implies --deterministic; not with reference engines, --cold or
    /// --keep-data); `auto`: direct where the data directory's filesystem
    /// supports it, else buffered with a warning (what `make bench` uses).
    #[arg(long, default_value = "buffered", value_name = "MODE")]
    io: String,
    /// Before each timed phase, sync the engine and evict its files from
    /// the page cache, so the phase starts from the device (any engine,
    /// including the reference ones that do their own I/O).
    #[arg(long)]
    cold: bool,
    /// Rate limit, operations per second over all threads; latency is then
    /// also measured from each operation's intended start (`<op>_intended`).
    #[arg(long, value_name = "OPS")]
    target: Option<f64>,
    /// Unmeasured operations before the run phase.
    #[arg(long, default_value_t = 0)]
    warmup_ops: u64,
    /// Results go to DIR/<run-id>/ and DIR/latest.
    #[arg(long, default_value = "results")]
    out: PathBuf,
    /// Write the results into exactly this directory (e.g. a baseline).
    #[arg(long, value_name = "DIR")]
    run_dir: Option<PathBuf>,
    /// Engine files go here (default: a temporary directory in the run dir).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Keep the engine directories after the run.
    #[arg(long)]
    keep_data: bool,
    /// No progress bar or per-phase lines.
    #[arg(long)]
    quiet: bool,
    /// Do not draw charts and report.html.
    #[arg(long)]
    no_plots: bool,
    /// Inline background work (background=false) so one thread's counters repeat exactly.
    #[arg(long)]
    deterministic: bool,
    /// Run each engine x workload N times, interleaved; report the median
    /// repetition with min/median/max throughput (every one in repetitions.csv).
    #[arg(long, visible_alias = "repetitions", default_value_t = 1)]
    repeat: u32,
    /// Timeseries interval, seconds.
    #[arg(long, default_value_t = 1.0)]
    interval: f64,
}

#[derive(Args, Debug, Clone)]
struct SweepArgs {
    /// The plan (e.g. sweeps/default.toml).
    plan: PathBuf,
    /// The sweep directory [default: results/sweep-<plan>-<UTC time>].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Run only the I-th of N disjoint slices (cells whose index mod N is
    /// I), for `harness merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// Count cells run at once [default: the machine's cores].
    #[arg(long)]
    jobs: Option<usize>,
    /// No line per finished cell.
    #[arg(long)]
    quiet: bool,
    /// Print the cells (index, id, kind, spec, workload, seed) and exit
    /// without running any.
    #[arg(long)]
    list: bool,
}

#[derive(Args, Debug, Clone)]
struct GateArgs {
    /// The reference results directory (e.g. results/baseline).
    #[arg(long)]
    baseline: PathBuf,
    /// The results directory to judge (e.g. results/latest).
    #[arg(long)]
    candidate: PathBuf,
    /// Percent increase allowed in deterministic metrics.
    #[arg(long, default_value_t = 1.0)]
    tolerance: f64,
    /// Percent drop allowed in throughput relative to mem's (geometric
    /// mean over its cells): CPU-time throughput when both runs have it.
    #[arg(long, default_value_t = 40.0)]
    throughput_tolerance: f64,
    /// Percent drop allowed in wall-clock throughput relative to mem's,
    /// when CPU-time throughput is compared too.
    #[arg(long, default_value_t = 60.0)]
    wall_throughput_tolerance: f64,
    /// Percent increase allowed in p50 latency relative to mem.
    #[arg(long, default_value_t = 100.0)]
    p50_tolerance: f64,
    /// Percent increase allowed in p99 latency relative to mem.
    #[arg(long, default_value_t = 200.0)]
    p99_tolerance: f64,
    /// Command printed to accept the candidate as the new baseline.
    #[arg(long)]
    update_command: Option<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run(cli.run),
        Some(Command::Run(args)) => run(*args),
        Some(Command::List) => list_cmd(),
        Some(Command::Ops { workload, limit }) => ops(workload, limit),
        Some(Command::Gate(args)) => gate_cmd(args),
        Some(Command::Verify { engine, data_dir }) => verify_cmd(&engine, &data_dir),
        Some(Command::CrashChild {
            engine,
            data_dir,
            seed,
            limit,
            sync_every,
        }) => harness::crash_child::run(&engine, &data_dir, seed, limit, sync_every)
            .map(|()| ExitCode::SUCCESS),
        Some(Command::Overhead { workload, repeat }) => overhead_cmd(workload, repeat),
        Some(Command::Sweep(args)) => sweep_cmd(args),
        Some(Command::Merge { out, dirs }) => merge_cmd(&out, &dirs),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// `--max-time`'s default, seconds per phase.
const DEFAULT_MAX_TIME_S: f64 = 60.0;

fn secs(name: &str, s: f64) -> harness::Result<Duration> {
    Duration::try_from_secs_f64(s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            Error::Usage(format!(
                "{name} must be a positive number of seconds, not {s}"
            ))
        })
}

fn run(args: RunArgs) -> harness::Result<ExitCode> {
    let (workloads, warnings) = workloads::resolve(&args.workload.to_args())?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let names = if args.engines.is_empty() {
        default_specs()
    } else {
        args.engines.clone()
    };
    let engines = names
        .iter()
        .map(|s| EngineSpec::parse(s))
        .collect::<harness::Result<Vec<_>>>()?;
    let sync: Durability = args
        .sync
        .parse()
        .map_err(|e: engine_core::Error| Error::Usage(format!("--sync: {e}")))?;
    if args.target.is_some_and(|t| !(t > 0.0 && t.is_finite())) {
        return Err(Error::Usage(
            "--target must be a positive number of operations per second".into(),
        ));
    }
    let mut cfg = RunConfig::new(engines, &args.out);
    cfg.threads = client_threads(args.threads, &workloads)?;
    cfg.seed = args.workload.seed;
    cfg.max_time = match args.max_time {
        0.0 => None,
        s => Some(secs("--max-time", s)?),
    };
    cfg.sync = sync;
    cfg.cache_mb = args.cache_mb;
    cfg.io = if args.io == "auto" {
        // Where the engines' files will live: the data directory, else
        // (a temporary directory inside) the run directory, which is
        // under --out unless given.
        let probe_dir = args
            .data_dir
            .as_deref()
            .or(args.run_dir.as_deref())
            .unwrap_or(&args.out);
        let (mode, why) = harness::io_mode::auto(probe_dir);
        if let Some(why) = why {
            eprintln!("warning: {why}");
        }
        mode
    } else {
        args.io
            .parse()
            .map_err(|e| Error::Usage(format!("--io: {e}")))?
    };
    cfg.cold = args.cold;
    cfg.compression_ratio = harness::values::check_ratio(args.compression_ratio)
        .map_err(|e| Error::Usage(format!("--compression-ratio: {e}")))?;
    cfg.target_ops = args.target;
    cfg.warmup_ops = args.warmup_ops;
    cfg.run_dir = args.run_dir;
    cfg.data_dir = args.data_dir;
    cfg.keep_data = args.keep_data;
    cfg.quiet = args.quiet;
    cfg.plots = !args.no_plots;
    cfg.deterministic = args.deterministic;
    cfg.repeat = args.repeat.max(1);
    cfg.interval = secs("--interval", args.interval)?;
    cfg.command = std::env::args().collect();

    let outcome = harness::run::execute(&cfg, &workloads)?;
    print!("{}", output::table::render(&outcome.results));
    println!("results: {}", outcome.run_dir.display());
    for w in &outcome.warnings {
        eprintln!("warning: {w}");
    }
    for f in &outcome.failures {
        eprintln!("error: {f}");
    }
    Ok(if outcome.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn list_cmd() -> harness::Result<ExitCode> {
    println!("{}", list::engines());
    print!("{}", list::workloads(&workloads::catalogue()));
    Ok(ExitCode::SUCCESS)
}

fn ops(flags: WorkloadFlags, limit: Option<u64>) -> harness::Result<ExitCode> {
    let (workloads, warnings) = workloads::resolve(&flags.to_args())?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if workloads.len() != 1 {
        return Err(Error::Usage(
            "ops prints one workload: give one --workload (or -P files)".into(),
        ));
    }
    let stdout = std::io::stdout().lock();
    match ops_cmd::write_ops(&workloads[0], limit, std::io::BufWriter::new(stdout)) {
        // `harness ops | head` closes the pipe early: not an error.
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(ExitCode::SUCCESS)
}

fn verify_cmd(engine: &str, dir: &std::path::Path) -> harness::Result<ExitCode> {
    let report = harness::verify_cmd::verify(engine, dir)?;
    print!("{}", harness::verify_cmd::render(&report));
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn gate_cmd(args: GateArgs) -> harness::Result<ExitCode> {
    let pct = |name: &str, v: f64| {
        if v.is_finite() && v >= 0.0 {
            Ok(v / 100.0)
        } else {
            Err(Error::Usage(format!("{name} must be a percentage >= 0")))
        }
    };
    let opts = gate::GateOptions {
        baseline: args.baseline,
        candidate: args.candidate,
        tolerances: Tolerances {
            deterministic: pct("--tolerance", args.tolerance)?,
            throughput: pct("--throughput-tolerance", args.throughput_tolerance)?.min(1.0),
            wall_throughput: pct(
                "--wall-throughput-tolerance",
                args.wall_throughput_tolerance,
            )?
            .min(1.0),
            p50: pct("--p50-tolerance", args.p50_tolerance)?,
            p99: pct("--p99-tolerance", args.p99_tolerance)?,
        },
        update_command: args.update_command,
    };
    let report = gate::gate(&opts)?;
    print!("{}", report.render());
    Ok(if report.failed() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `--threads`, or else the `threadcount` the workloads ask for (YCSB's
/// `-threads` is an override of the same property), or else 1.
fn client_threads(flag: Option<usize>, workloads: &[YcsbWorkload]) -> harness::Result<usize> {
    if let Some(n) = flag {
        return match n {
            0 => Err(Error::Usage("--threads must be at least 1".into())),
            n => Ok(n),
        };
    }
    let asked: Vec<(&str, usize)> = workloads
        .iter()
        .filter_map(|w| w.threads().map(|n| (w.name(), n)))
        .collect();
    match asked.as_slice() {
        [] => Ok(1),
        [(_, n), rest @ ..] if rest.iter().all(|(_, m)| m == n) => Ok(*n),
        _ => Err(Error::Usage(format!(
            "the workloads ask for different threadcount values ({}); give --threads",
            asked
                .iter()
                .map(|(w, n)| format!("{w}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn overhead_cmd(flags: WorkloadFlags, repeat: u32) -> harness::Result<ExitCode> {
    let mut args = flags.to_args();
    if args.workloads.is_empty() && args.property_files.is_empty() {
        args.workloads.push("ycsb-a".into());
    }
    args.records.get_or_insert(100_000);
    args.operations.get_or_insert(1_000_000);
    let (workloads, _) = workloads::resolve(&args)?;
    for w in &workloads {
        println!("workload {}:", harness::workload::Workload::name(w));
        print!("{}", overhead::measure(w, repeat)?.render());
    }
    Ok(ExitCode::SUCCESS)
}

fn sweep_cmd(args: SweepArgs) -> harness::Result<ExitCode> {
    use harness::sweep::{Plan, Shard, SweepOptions};
    let shard = args.shard.as_deref().map(Shard::parse).transpose()?;
    if args.list {
        let plan = Plan::read(&args.plan)?;
        let mut cells = harness::sweep::expand::cells(&plan)?;
        if let Some(s) = shard {
            cells = harness::sweep::expand::shard(cells, s.index, s.count);
        }
        for c in &cells {
            let kind = harness::sweep::execute::kind_of(&plan, c);
            println!(
                "{:>4}  {:<6}  {}  {}  {}  seed {}",
                c.index,
                kind.name(),
                c.id,
                c.spec,
                c.workload,
                c.seed
            );
        }
        println!("{} cell(s)", cells.len());
        return Ok(ExitCode::SUCCESS);
    }
    let out = match args.out {
        Some(d) => d,
        None => {
            let plan = Plan::read(&args.plan)?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let (_, stamp) = harness::output::run_json::utc_stamps(now);
            let shard_part =
                shard.map_or(String::new(), |s| format!("-shard{}of{}", s.index, s.count));
            PathBuf::from("results").join(format!("sweep-{}-{stamp}{shard_part}", plan.name))
        }
    };
    let jobs = match args.jobs {
        Some(0) => return Err(Error::Usage("--jobs must be at least 1".into())),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let outcome = harness::sweep::sweep(&SweepOptions {
        plan: args.plan,
        out,
        shard,
        jobs,
        quiet: args.quiet,
    })?;
    report_sweep(
        &outcome.dir,
        outcome.cells,
        &outcome.notes,
        &outcome.failures,
    )
}

fn merge_cmd(out: &std::path::Path, dirs: &[PathBuf]) -> harness::Result<ExitCode> {
    let outcome = harness::sweep::merge(out, dirs)?;
    report_sweep(
        &outcome.dir,
        outcome.cells,
        &outcome.notes,
        &outcome.failures,
    )
}

fn report_sweep(
    dir: &std::path::Path,
    cells: usize,
    notes: &[String],
    failures: &[String],
) -> harness::Result<ExitCode> {
    for n in notes {
        eprintln!("note: {n}");
    }
    for f in failures {
        eprintln!("error: {f}");
    }
    println!(
        "sweep: {cells} cell(s), {} failed; {}",
        failures.len(),
        dir.join(harness::sweep::assemble::SWEEP_CSV).display()
    );
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
