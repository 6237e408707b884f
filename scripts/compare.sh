#!/usr/bin/env bash
# `make compare`: our engines against the production ones on the same
# workloads, durability and memory budget, one harness run per cell, and
# the ratios issue 17 sets bars for. Not part of CI (it builds fjall and
# redb; 6 minutes on 2 cores at RECORDS=100000 OPS=200000 SYNC_RECORDS=10000
# SYNC_OPS=10000, more at the defaults).
#
# Every ratio is taken between two engines of the SAME harness run (or,
# for thread scaling, between two runs minutes apart on the same machine):
# the machine's speed cancels out, its noise does not. Repeat the command
# before trusting a ratio within 10 % of its bar.
#
# Knobs (environment): OUT (results directory, default results/compare),
# RECORDS / OPS (sync=never cells), SYNC_RECORDS / SYNC_OPS (sync=always
# cells), CACHE_MB, THREADS (default "1 2 4"), HARNESS (a prebuilt binary).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-results/compare}
RECORDS=${RECORDS:-200000}
OPS=${OPS:-400000}
SYNC_RECORDS=${SYNC_RECORDS:-20000}
SYNC_OPS=${SYNC_OPS:-20000}
CACHE_MB=${CACHE_MB:-16}
THREADS=${THREADS:-"1 2 4"}
MAX_TIME=${MAX_TIME:-60}

if [ -z "${HARNESS:-}" ]; then
  cargo build --release -p harness --features reference
  HARNESS=target/release/harness
fi

# cell SYNC THREADS: one run of our engines and theirs side by side.
cell() {
  local sync=$1 threads=$2 records ops
  if [ "$sync" = always ]; then records=$SYNC_RECORDS ops=$SYNC_OPS; else records=$RECORDS ops=$OPS; fi
  local dir="$OUT/sync-$sync-t$threads"
  echo "== sync=$sync threads=$threads ($records records, $ops operations)" >&2
  "$HARNESS" --engine btree --engine redb --engine lsm-leveled --engine fjall \
    --workload ycsb-a --workload ycsb-c \
    --records "$records" --operations "$ops" --cache-mb "$CACHE_MB" \
    --threads "$threads" --sync "$sync" --max-time "$MAX_TIME" \
    --no-plots --run-dir "$dir" >/dev/null
}

for sync in never always; do
  for t in $THREADS; do cell "$sync" "$t"; done
done

# The table: one line per (sync, threads, workload, phase), ops/s of each
# engine, ours over theirs, and each engine's scaling over its 1-thread
# cell. Column positions come from summary.csv's header, not fixed indexes.
for sync in never always; do
  for t in $THREADS; do
    f="$OUT/sync-$sync-t$t/summary.csv"
    awk -F, -v sync="$sync" -v t="$t" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
      { print sync, t, $col["workload"], $col["phase"], $col["engine"], $col["ops_per_sec"] }' "$f"
  done
done | awk '
  { key = $1 " " $3 " " $4; ops[$1, $2, $3, $4, $5] = $6; if (!(key in seen)) { seen[key] = 1; order[++n] = key }
    if (!($2 in tseen)) { tseen[$2] = 1; ts[++nt] = $2 } }
  function r(a, b) { return (b > 0) ? sprintf("%.2fx", a / b) : "-" }
  END {
    printf "%-6s %-3s %-7s %-5s %9s %9s %9s %9s %9s %9s %8s %8s\n", "sync", "thr", "wl", "phase",
      "btree", "redb", "btr/redb", "lsm", "fjall", "lsm/fjall", "btr/1t", "lsm/1t"
    for (i = 1; i <= n; i++) {
      split(order[i], k, " ")
      for (j = 1; j <= nt; j++) {
        t = ts[j]
        b = ops[k[1], t, k[2], k[3], "btree"]; d = ops[k[1], t, k[2], k[3], "redb"]
        l = ops[k[1], t, k[2], k[3], "lsm-leveled"]; f = ops[k[1], t, k[2], k[3], "fjall"]
        b1 = ops[k[1], ts[1], k[2], k[3], "btree"]; l1 = ops[k[1], ts[1], k[2], k[3], "lsm-leveled"]
        printf "%-6s %-3s %-7s %-5s %9.0f %9.0f %9s %9.0f %9.0f %9s %8s %8s\n", k[1], t, k[2], k[3],
          b, d, r(b, d), l, f, r(l, f), r(b, b1), r(l, l1)
      }
    }
  }' | tee "$OUT/compare.txt"
echo "table written to $OUT/compare.txt; the runs are under $OUT/" >&2
