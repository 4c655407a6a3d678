#!/usr/bin/env bash
# All 56 Solomon instances, fieldwork (examples/solomon.rs) and PyVRP side by side in the same
# run, one thread each, at 0.5 s and 2 s per instance, seeds 1-3; writes the per-run tables to
# $OUT and prints the per-class comparison (Markdown) on stdout.
#   bash benches/peers/solomon_side_by_side.sh [OUT_DIR]
# Needs: a release build of the example (built here) and `pip install pyvrp` (0.14).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-target/solomon-side-by-side}
mkdir -p "$OUT"
cargo build --release --example solomon >&2
BIN=target/release/examples/solomon
DATA=benches/data/solomon
for budget in 500 2000; do
  for seed in 1 2 3; do
    echo "budget $budget ms, seed $seed: fieldwork" >&2
    "$BIN" --all "$DATA" --budget-ms "$budget" --seed "$seed" --md "$OUT/fieldwork-$budget-s$seed.md" > /dev/null
    echo "budget $budget ms, seed $seed: PyVRP" >&2
    python3 benches/peers/solomon_pyvrp.py "$DATA" --budget-ms "$budget" --seed "$seed" > "$OUT/pyvrp-$budget-s$seed.jsonl"
  done
  python3 benches/peers/compare_solomon.py --bks "$DATA/bks.json" --title "$budget ms per instance, seeds 1-3" \
    --ours "$OUT"/fieldwork-$budget-s*.md --peer "$OUT"/pyvrp-$budget-s*.jsonl
  echo
done
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
