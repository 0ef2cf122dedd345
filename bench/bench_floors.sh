#!/bin/sh
# The physical floors the other figures are reported against, to be run in
# the same sitting as them (the machine's load moves every figure):
#   - txid hashing of the real mainnet sample (bench_parse), and
#   - RocksDB's own random and sequential write rates (db_bench fillrandom
#     and fillseq: 16-byte keys, 24-byte values, WAL off, lz4, batches of
#     1,000; the shape of the index's rows), if db_bench is installed
#     (Debian: apt-get install rocksdb-tools).
#
#   bench/bench_floors.sh [BUILD_DIR] [RUNS]
# Prints each figure's median over RUNS runs (default 3) and the load.
set -eu
BUILD=${1:-build}
RUNS=${2:-3}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tl-bench-floors.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for r in $(seq "$RUNS"); do "$BUILD/bench_parse"; done >"$TMP/parse"
echo "txid hashing (bench_parse): $(awk '/^floor: txid hashing/ {print $5}' "$TMP/parse" | median) tx/s;" \
	"parse + txid: $(awk '/^parse \+ txid/ {print $5}' "$TMP/parse" | median) tx/s;" \
	"ratio $(awk '/^ratio/ {sub("x", "", $3); print $3}' "$TMP/parse" | median)x (median of $RUNS)"
if command -v db_bench >/dev/null; then
	for b in fillseq fillrandom; do
		for r in $(seq "$RUNS"); do
			db_bench --benchmarks=$b --num=2000000 --key_size=16 --value_size=24 --disable_wal=1 \
				--compression_type=lz4 --batch_size=1000 --db="$TMP/db" 2>/dev/null |
				awk -v b=$b '$1 == b {print $5}'
			rm -rf "$TMP/db"
		done | median >"$TMP/$b"
		echo "db_bench $b: $(cat "$TMP/$b") writes/s (median of $RUNS; 2,000,000 rows of 16+24 bytes)"
	done
else
	echo "db_bench: not installed (apt-get install rocksdb-tools); no RocksDB floor"
fi
