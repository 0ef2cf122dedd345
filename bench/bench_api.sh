#!/bin/sh
# API throughput and latency on loopback, driven by wrk.
#
#   bench/bench_api.sh [TAINTLINE_BINARY] [SOAK_SECONDS]
#
# Simulates a chain, indexes it, imports its heists (and materializes the
# screening index when the binary has 'taintline screen'), starts
# 'taintline serve' with 2 worker threads, then measures with wrk:
# requests/s and p50/p99 latency for /api/address/:address, /api/tx/:txid
# and /v1/screen?address=, and the server's RSS over a soak (default 60 s)
# on the screening route. wrk and the server share the machine's cores.
#
# Needs wrk (Debian/Ubuntu: apt-get install wrk) and curl; installs
# nothing. Writes only under a temporary directory, removed at the end.
set -eu

BIN=${1:-build/taintline}
SOAK=${2:-60}
DUR=${BENCH_SECONDS:-10}
CONN=${BENCH_CONNECTIONS:-8}
PORT=${BENCH_PORT:-18089}

command -v wrk >/dev/null || { echo "bench_api: wrk not found (apt-get install wrk)" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench_api: curl not found" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench_api: $BIN is not an executable (build first)" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tl-bench-api.XXXXXX")
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

echo "chain: simulating and indexing (fast mode, 400 blocks x 100 tx)..."
"$BIN" simulate --out "$TMP/sim" --blocks 400 --txs-per-block 100 --fast -q
"$BIN" index --blocks-dir "$TMP/sim/blocks" --db "$TMP/db" --network regtest -q
"$BIN" heist import --db "$TMP/db" "$TMP/sim/heists.json" >/dev/null
if "$BIN" screen --help >/dev/null 2>&1; then
	"$BIN" screen --db "$TMP/db" --rebuild >/dev/null || echo "bench_api: 'screen --rebuild' failed; screening answers come from an empty index" >&2
fi

"$BIN" serve --db "$TMP/db" --listen "127.0.0.1:$PORT" --threads 2 2>"$TMP/serve.log" &
SRV=$!
base="http://127.0.0.1:$PORT"
i=0
until curl -sf "$base/healthz" >/dev/null; do
	i=$((i + 1))
	[ $i -gt 100 ] && { echo "bench_api: server did not start:" >&2; cat "$TMP/serve.log" >&2; exit 1; }
	sleep 0.1
done

# A busy address (a thief's, from the heist registry's seeds is not
# guaranteed to exist; take the first tagged exchange address) and a txid.
addr=$(sed -n '2p' "$TMP/sim/tags.csv" | cut -d, -f2)
# The screened address: the first thief address of the heist registry
# (tainted, so the lookup finds exposures), else the exchange address.
thief=$(sed -n 's/.*"address": *"\(bcrt1[0-9a-z]*\)".*/\1/p' "$TMP/sim/heists.json" | head -1)
thief=${thief:-$addr}
tip=$(curl -sf "$base/api/blocks/tip/hash")
txid=$(curl -sf "$base/api/address/$addr/txs" | sed -n 's/^\[{"txid":"\([0-9a-f]*\)".*/\1/p')
[ -n "$txid" ] || { echo "bench_api: could not find a transaction of $addr" >&2; exit 1; }

run() { # name url
	out=$(wrk -t1 -c"$CONN" -d"${DUR}s" --latency "$2")
	rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
	printf '%-28s %12s %10s %10s %s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:+($non2xx non-2xx!)}"
}

echo "server: 2 worker threads; wrk: 1 thread, $CONN connections, ${DUR}s per route; $(nproc) cores shared"
printf '%-28s %12s %10s %10s\n' route "requests/s" p50 p99
run "/api/address/:address" "$base/api/address/$addr"
run "/api/tx/:txid" "$base/api/tx/$txid"
run "/api/blocks/tip/hash" "$base/api/blocks/tip/hash"
screen_code=$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/screen?address=$thief")
if [ "$screen_code" = 200 ]; then
	run "/v1/screen?address=" "$base/v1/screen?address=$thief"
	# a deposit screened by outpoint (its address is read from the blk file)
	run "/v1/screen?outpoint=" "$base/v1/screen?outpoint=$txid:0"
else
	echo "/v1/screen: not available (HTTP $screen_code); skipped"
fi

# Soak: RSS sampled every 5 s while wrk runs on the screening route (or
# the address route when screening is absent).
url="$base/api/address/$addr"
[ "$screen_code" = 200 ] && url="$base/v1/screen?address=$thief"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SRV/status"; }
rss0=$(rss)
wrk -t1 -c"$CONN" -d"${SOAK}s" "$url" >"$TMP/soak.txt" &
W=$!
min=$rss0
max=$rss0
t=0
while kill -0 $W 2>/dev/null; do
	sleep 5
	t=$((t + 5))
	r=$(rss)
	[ "$r" -gt "$max" ] && max=$r
	[ "$r" -lt "$min" ] && min=$r
	last=$r
done
wait $W || true
soak_rps=$(awk '/^Requests\/sec/ {print $2}' "$TMP/soak.txt")
echo "soak ${SOAK}s on ${url#"$base"}: $soak_rps requests/s; RSS before $((rss0 / 1024)) MiB, max $((max / 1024)) MiB, end $((${last:-$rss0} / 1024)) MiB"
echo "tip $tip"
