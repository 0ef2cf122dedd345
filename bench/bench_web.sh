#!/bin/sh
# The web app at scale: a 5,352-node trace in headless Chromium. Simulates
# a chain (400 blocks of 100 transactions, seed 7), indexes it, serves it
# on 127.0.0.1 (a free port) and runs web/test/measure.mjs over the trace
# of sim-heist-1 (haircut, 14 hops), RUNS times in fresh browser profiles:
# the first load's bytes, the trace's fetch, layout and table times, and
# frame times (p50, p99, max, frames over 100 ms) during a scripted pan and
# zoom sent as real mouse input through the DevTools protocol, done twice
# per run (the first pass with the renderer's caches cold, then warm). The
# per-run lines come first, then the median of each figure over the runs.
# Frame times are wall-clock figures of a shared machine: the load average
# is printed with each run.
#
#   bench/bench_web.sh [BUILD_DIR] [RUNS]
#
# Needs chromium, node and web/node_modules (scripts/install-deps.sh).
# WORK=DIR keeps the simulated chain and its index there (reused when
# present); otherwise they go to a temporary directory, removed at exit.
set -eu
BUILD=${1:-build}
RUNS=${2:-5}
BIN=$(cd "$BUILD" && pwd)/taintline
SRC=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$BIN" ] || { echo "bench_web: $BIN not built" >&2; exit 1; }
command -v chromium >/dev/null || { echo "bench_web: needs chromium" >&2; exit 1; }
[ -d "$SRC/web/node_modules/playwright-core" ] || { echo "bench_web: run 'npm ci' in web/" >&2; exit 1; }
if [ -n "${WORK:-}" ]; then
	mkdir -p "$WORK"
	TMP=$(cd "$WORK" && pwd)
	KEEP=1
else
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/tl-bench-web.XXXXXX")
	KEEP=0
fi
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ "$KEEP" = 1 ] || rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

if [ ! -d "$TMP/db" ]; then
	"$BIN" simulate --out "$TMP/sim" --seed 7 --blocks 400 --txs-per-block 100 --fast --quiet >/dev/null
	"$BIN" index --blocks-dir "$TMP/sim/blocks" --db "$TMP/db" --network regtest --quiet >/dev/null
	"$BIN" tags import --db "$TMP/db" "$TMP/sim/tags.csv" >/dev/null
	"$BIN" heist import --db "$TMP/db" "$TMP/sim/heists.json" >/dev/null
fi
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
"$BIN" serve --db "$TMP/db" --blocks-dir "$TMP/sim/blocks" --listen "127.0.0.1:$PORT" --threads 2 >"$TMP/serve.log" 2>&1 &
PID=$!
i=0
until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
	i=$((i + 1))
	[ $i -lt 300 ] || { echo "bench_web: the server did not start:"; cat "$TMP/serve.log"; exit 1; }
	kill -0 "$PID" 2>/dev/null || { echo "bench_web: the server exited:"; cat "$TMP/serve.log"; exit 1; }
	sleep 0.1
done
echo "chromium: $(chromium --version 2>/dev/null | head -1); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
cd "$SRC/web"
node test/measure.mjs "http://127.0.0.1:$PORT" '/ui/heist/sim-heist-1?policy=haircut&max_hops=14' --runs "$RUNS" --idle-ms 1000
