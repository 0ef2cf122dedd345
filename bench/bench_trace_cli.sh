#!/bin/sh
# Trace speed as users get it: 'taintline trace --format json -o FILE' in a
# fresh process on an on-disk index, per policy, for every heist of a
# simulated chain. Reports wall and CPU seconds, peak RSS, transactions
# visited, JSON bytes written, and the time per 100,000 transactions
# visited beside the floor measured in the same run: the txid hashing of
# 100,000 mainnet transactions (bench_parse on the reference blocks).
#
#   bench/bench_trace_cli.sh SIM_DIR DB [BUILD_DIR] [RUNS]
#
# SIM_DIR is a 'taintline simulate' directory (heists.json, tags.csv),
# DB its index ('taintline index'). Each trace runs RUNS times (default
# 3); the median is printed. The page cache is warm (the runs follow each
# other); nothing is written outside a temporary directory.
set -eu
SIM=$1
DB=$2
BUILD=${3:-build}
RUNS=${4:-3}
BIN=$BUILD/taintline
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tl-bench-trace.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
[ -x "$BIN" ] || { echo "bench_trace_cli: $BIN not built" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench_trace_cli: needs /usr/bin/time (Debian: time)" >&2; exit 1; }

floor=$("$BUILD/bench_parse" 2>/dev/null | awk '/^floor: txid hashing/ {print $5}')
echo "floor: txid hashing at $floor tx/s = $(awk -v f="$floor" 'BEGIN {printf "%.4f", 100000 / f}') s per 100,000 transactions"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
heists=$(sed -n 's/^ *"id": *"\([^"]*\)".*/\1/p' "$SIM/heists.json" | sort -u)
printf '%-22s %-8s %9s %8s %8s %9s %10s %12s %8s\n' heist policy visited wall_s cpu_s rss_MiB json_MB s/100k_tx x_floor
for h in $heists; do
	for pol in poison haircut fifo; do
		: >"$TMP/runs"
		for r in $(seq "$RUNS"); do
			/usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$BIN" trace --db "$DB" --heists "$SIM/heists.json" \
				--heist "$h" --tags "$SIM/tags.csv" --policy "$pol" --format json -o "$TMP/out.json" \
				>/dev/null 2>"$TMP/err" || { echo "trace failed:"; cat "$TMP/err"; exit 1; }
			visited=$(grep -o '"visited": *[0-9]*' "$TMP/out.json" | head -1 | grep -o '[0-9]*$')
			bytes=$(stat -c %s "$TMP/out.json")
			echo "$(cat "$TMP/time") $visited $bytes" >>"$TMP/runs"
		done
		sort -n "$TMP/runs" | awk -v n="$RUNS" -v h="$h" -v p="$pol" -v f="$floor" 'NR == int((n + 1) / 2) {
			per = $5 ? $1 * 100000 / $5 : 0
			printf "%-22s %-8s %9d %8.2f %8.2f %9.0f %10.1f %12.3f %8.0f\n", h, p, $5, $1, $2 + $3, $4 / 1024, $6 / 1e6, per, per / (100000 / f)
		}'
	done
done
