# Entry points of the workbench. Everything runs on a fresh clone with only a
# Rust toolchain installed.

CARGO ?= cargo
RESULTS ?= results

# The full comparison: every built-in engine x YCSB A-F. Sized to finish in
# under 15 minutes on 2 cores in direct I/O mode, with a data set (100k
# records x 1 KiB = ~100 MiB) larger than the 16 MiB memory budget the
# engines get.
BENCH_FLAGS ?= --records 100000 --operations 50000 --cache-mb 16 --max-time 60 --interval 0.25
QUICK_FLAGS ?= --records 5000 --operations 5000 --cache-mb 4 --max-time 5 --interval 0.1
WORKLOADS = --workload ycsb-a --workload ycsb-b --workload ycsb-c \
            --workload ycsb-d --workload ycsb-e --workload ycsb-f

.PHONY: all build test test-long bench bench-quick plots gate baseline crash-loop fmt clippy lint clean fuzz

## Cargo features for the benchmark runs: `--features reference` adds the
## production engines fjall and redb (crate engines/reference, measured with
## the kernel's I/O accounting) to the default engine set.
BENCH_FEATURES ?= --features reference

.PHONY: bench-reference bench-rocksdb compare

## Ours against theirs (btree vs redb, lsm-leveled vs fjall) on ycsb-a and
## ycsb-c, threads 1, 2 and 4, sync=never and sync=always, same memory
## budget: the ratio table of issue 17 (results/compare/compare.txt). Not
## part of CI: it builds the reference engines and runs for many minutes.
compare:
	scripts/compare.sh

all: build

build:
	$(CARGO) build --workspace --release

## Every test (what CI runs).
test:
	$(CARGO) test --workspace

## The long variants: every crash point of larger workloads, more seeds.
test-long:
	KIT_LONG=1 $(CARGO) test --workspace --release

## Kill loops against the real kernel: 100 SIGKILLs per persistent engine,
## each followed by `verify` and a reopen that checks every acknowledged
## write (make test runs 3 per engine).
CRASH_CYCLES ?= 100
crash-loop:
	KILL_CYCLES=$(CRASH_CYCLES) $(CARGO) test --release -p harness --test kill_loop -- --nocapture

## The main job: all engines x YCSB A-F, CSV + charts + report under results/.
## The harness draws the charts and report.html itself once the run is
## written (the plots crate, as `make plots` does); results/latest points at it.
## It measures the device: `--io auto` is direct where $(RESULTS)'s
## filesystem takes O_DIRECT (not tmpfs), buffered with a warning where not;
## BENCH_IO=buffered|direct to choose.
BENCH_IO ?= auto
bench:
	$(CARGO) run --release -p harness -- $(WORKLOADS) $(BENCH_FLAGS) --io $(BENCH_IO) --out $(RESULTS)

## A one-minute smoke version of `make bench`.
bench-quick:
	$(CARGO) run --release -p harness -- $(WORKLOADS) $(QUICK_FLAGS) --out $(RESULTS)

## A design-space sweep (docs/sweep.md): SWEEP_PLAN's cells, the
## deterministic ones in parallel, into results/sweep-<UTC time>/ with
## sweep.csv (measured beside the models) and each cell's results under
## cells/. The default plan takes a few minutes on 2 cores.
.PHONY: sweep
SWEEP_PLAN ?= sweeps/default.toml
sweep:
	$(CARGO) run --release -p harness -- sweep $(SWEEP_PLAN) --out $(RESULTS)/sweep-$$(date -u +%Y%m%d-%H%M%S)

## Charts and report.html for the latest run (or RUN=results/<id>).
RUN ?= $(RESULTS)/latest
plots:
	$(CARGO) run --release -p plots -- $(RUN)

## `make bench` with the reference engines (fjall, redb) beside ours.
bench-reference:
	$(CARGO) run --release -p harness $(BENCH_FEATURES) -- $(WORKLOADS) $(BENCH_FLAGS) --out $(RESULTS)

## The same with RocksDB as well. The `rocksdb` crate compiles RocksDB's C++
## sources (several minutes of CPU) and its bindings need libclang: installed
## here with apt-get when missing and running as root, otherwise the target
## says what to install.
bench-rocksdb:
	@if ! ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/*/libclang.so* /usr/lib/*/libclang-[0-9]*.so* >/dev/null 2>&1 \
	    || ! command -v c++ >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && apt-get install -y -qq libclang-dev clang g++; \
	  else \
	    echo "bench-rocksdb needs libclang and a C++ compiler; install them with:"; \
	    echo "  sudo apt-get install libclang-dev clang g++"; \
	    echo "(or point LIBCLANG_PATH at a directory holding libclang.so)"; \
	    exit 1; \
	  fi; \
	fi
	$(CARGO) run --release -p harness --features rocksdb -- $(WORKLOADS) $(BENCH_FLAGS) --out $(RESULTS)

## The regression gate (issue #7). Both targets run the same command: one
## client thread, a fixed seed and inline background work, so every byte
## counter repeats exactly (on any machine, debug or release); five
## interleaved repetitions, the median of which is compared relative to
## mem's in the same run. About a minute per run on 2 cores (plus the build).
## GATE_ENGINES: `--engine X` flags; empty = every default engine. The
## naive log is left out: at these sizes its gets scan tens of MB each, so
## it reaches --max-time, and a time-limited phase's counters depend on the
## machine's speed, which the exact byte gate cannot accept.
GATE_ENGINES ?= --engine mem --engine hash-log --engine btree --engine lsm-leveled \
                --engine lsm-tiered --engine lsm-leveled-nobloom \
                --engine lsm-tiered-nobloom
GATE_FLAGS ?= --workload ycsb-a --workload ycsb-c --threads 1 --seed 1 \
              --deterministic --records 50000 --operations 50000 \
              --repetitions 5 --max-time 30 --quiet --no-plots $(GATE_ENGINES)
BASELINE ?= $(RESULTS)/baseline
CANDIDATE ?= $(RESULTS)/gate-candidate
HARNESS = $(CARGO) run --release -q -p harness --

## Re-measure the committed baseline (after an intended change, or when an
## engine is added), then commit results/baseline/.
baseline:
	$(HARNESS) $(GATE_FLAGS) --run-dir $(BASELINE)

## Run the baseline's command into $(CANDIDATE) and compare: exit non-zero on
## a regression or when the runs cannot be compared.
gate:
	@status=0; \
	$(HARNESS) $(GATE_FLAGS) --run-dir $(CANDIDATE) || status=$$?; \
	$(HARNESS) gate --baseline $(BASELINE) --candidate $(CANDIDATE) \
	    --update-command "make baseline && git add $(BASELINE)" || status=$$?; \
	exit $$status

## Fuzz every on-disk decoder (fuzz/, cargo-fuzz + libFuzzer) for
## FUZZ_SECS seconds each, starting from the valid files in fuzz/seeds/
## and the corpus of earlier runs; FUZZ_TARGETS to pick some. Installs cargo-fuzz
## when missing. RUSTC_BOOTSTRAP=1 lets the stable toolchain accept the
## nightly-only sanitizer flags cargo-fuzz passes. Stops at the first crash
## (the input is saved under fuzz/artifacts/<target>/).
FUZZ_SECS ?= 60
FUZZ_TARGETS ?= $$(RUSTC_BOOTSTRAP=1 $(CARGO) fuzz list)
fuzz:
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz
	@for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t for $(FUZZ_SECS)s"; \
	  mkdir -p fuzz/corpus/$$t fuzz/seeds/$$t; \
	  RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run $$t fuzz/corpus/$$t fuzz/seeds/$$t -- \
	    -max_total_time=$(FUZZ_SECS) -print_final_stats=1 || exit 1; \
	done

fmt:
	$(CARGO) fmt --all

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

lint: clippy
	$(CARGO) fmt --all -- --check

clean:
	$(CARGO) clean

## Prove deploy/slurm/ on a real scheduler (scripts/sweep-slurm.sh): a
## one-node Slurm cluster on this machine (installs slurm-wlm and munge
## when root), sweeps/slurm-smoke.toml as a 3-shard job array plus the
## dependent merge job, checked equal to the unsharded run's counters.
## Not part of CI: runs daemons as root; stops them on exit.
.PHONY: sweep-slurm
sweep-slurm:
	CARGO="$(CARGO)" scripts/sweep-slurm.sh
