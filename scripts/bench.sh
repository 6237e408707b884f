#!/usr/bin/env bash
# `make bench`: every default engine x YCSB A-F, measuring the device.
#
# With BENCH_IO=auto (the default) the run uses `--io direct` when the
# results directory's filesystem accepts O_DIRECT, so our engines' reads and
# writes reach the disk instead of the page cache (on a machine with more
# free memory than the data set, buffered reads after the first are memory
# copies and the throughput columns measure CPU, not I/O). Where O_DIRECT is
# refused (tmpfs, some overlay filesystems) it falls back to `--io buffered`
# and says so. run.json records the mode of every engine either way.
#
# Knobs (environment): BENCH_IO=auto|direct|buffered, RESULTS, BENCH_FLAGS,
# WORKLOADS, CARGO.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO=${CARGO:-cargo}
RESULTS=${RESULTS:-results}
BENCH_IO=${BENCH_IO:-auto}
read -r -a flags <<<"${BENCH_FLAGS:?BENCH_FLAGS unset (run through make bench)}"
read -r -a workloads <<<"${WORKLOADS:?WORKLOADS unset (run through make bench)}"

# Whether DIR's filesystem takes an O_DIRECT write: one aligned 4 KiB block.
direct_ok() {
  local probe="$1/.odirect-probe.$$"
  if dd if=/dev/zero of="$probe" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
    rm -f "$probe"
    return 0
  fi
  rm -f "$probe"
  return 1
}

mkdir -p "$RESULTS"
# tmpfs and ramfs accept O_DIRECT on recent kernels, but there is no device
# behind them: "direct" there would measure memory and call it a disk.
fstype=$(stat -f -c %T "$RESULTS" 2>/dev/null || echo unknown)
case "$BENCH_IO" in
  auto)
    if [ "$fstype" = tmpfs ] || [ "$fstype" = ramfs ]; then
      io=buffered
      echo "warning: $RESULTS is on $fstype (memory, no device); running with" \
        "--io buffered. Point RESULTS at a directory on a real disk to measure it." >&2
    elif direct_ok "$RESULTS"; then
      io=direct
    else
      io=buffered
      echo "warning: $RESULTS is on a filesystem that refuses O_DIRECT;" \
        "running with --io buffered, so reads may be served by the page cache." \
        "Point RESULTS at a directory on a real disk to measure the device." >&2
    fi
    ;;
  direct | buffered) io=$BENCH_IO ;;
  *)
    echo "BENCH_IO=$BENCH_IO: expected auto, direct or buffered" >&2
    exit 2
    ;;
esac
echo "make bench: --io $io" >&2
exec "$CARGO" run --release -p harness -- "${workloads[@]}" "${flags[@]}" --io "$io" --out "$RESULTS"
