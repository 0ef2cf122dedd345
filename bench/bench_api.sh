#!/bin/sh
# API throughput and latency on loopback, driven by wrk.
#
#   bench/bench_api.sh [TAINTLINE_BINARY] [SOAK_SECONDS] [SIM_DIR DB]
#
# Simulates a mainnet-shaped chain (or takes SIM_DIR, a 'taintline
# simulate' directory, and DB, its index, which gets the heists imported
# and the screening index materialized), starts 'taintline serve' with 2
# worker threads, then measures with wrk: requests/s and p50/p99 latency
# with random keys (BENCH_KEYS of them, default 5,000 outpoints and their
# addresses drawn over the whole chain by bench_keys, bench/random_keys.lua)
# for /v1/screen?address=, /v1/screen?outpoint=, /api/address/:address
# and /api/tx/:txid, then the same routes with one repeated key (a cache's
# best case, the figure earlier versions reported), and the server's RSS
# over a soak (default 60 s) on random screening. wrk and the server share
# the machine's cores.
#
# BENCH_TAGS: tag files (space-separated) imported before the heists,
# e.g. the sim's tags.csv and the sanctioned users bench_screen_categories
# writes (SIM_DIR/bench-sanctioned.csv), so that the screening answers
# carry category exposures too.
#
# Needs wrk (Debian/Ubuntu: apt-get install wrk) and curl; installs
# nothing. Writes only under a temporary directory, removed at the end.
set -eu

BIN=${1:-build/taintline}
SOAK=${2:-60}
SIM_IN=${3:-}
DB_IN=${4:-}
NKEYS=${BENCH_KEYS:-5000}
HERE=$(dirname "$0")
KEYS_BIN=$(dirname "$BIN")/bench_keys
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

[ -x "$KEYS_BIN" ] || { echo "bench_api: $KEYS_BIN not built" >&2; exit 1; }
if [ -n "$SIM_IN" ]; then
	SIM=$SIM_IN
	DB=$DB_IN
	echo "chain: $SIM, index $DB"
else
	SIM=$TMP/sim
	DB=$TMP/db
	echo "chain: simulating and indexing (mainnet shape, fast mode, 400 blocks x 100 tx)..."
	"$BIN" simulate --out "$SIM" --blocks 400 --txs-per-block 100 --fast --shape mainnet -q
	"$BIN" index --blocks-dir "$SIM/blocks" --db "$DB" --network regtest -q
fi
for t in ${BENCH_TAGS:-}; do
	"$BIN" tags import --db "$DB" "$t" >/dev/null
done
"$BIN" heist import --db "$DB" "$SIM/heists.json" >/dev/null
"$BIN" screen --db "$DB" --rebuild >/dev/null || echo "bench_api: 'screen --rebuild' failed; screening answers come from an empty index" >&2
"$KEYS_BIN" "$SIM/blocks" "$NKEYS" 2>/dev/null >"$TMP/keys"
echo "keys: $(grep -c '^o ' "$TMP/keys") random outpoints and their addresses over the whole chain"

"$BIN" serve --db "$DB" --listen "127.0.0.1:$PORT" --threads 2 2>"$TMP/serve.log" &
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
addr=$(sed -n '2p' "$SIM/tags.csv" | cut -d, -f2)
# The screened address: the first thief address of the heist registry
# (tainted, so the lookup finds exposures), else the exchange address.
thief=$(sed -n 's/.*"address": *"\(bcrt1[0-9a-z]*\)".*/\1/p' "$SIM/heists.json" | head -1)
thief=${thief:-$addr}
tip=$(curl -sf "$base/api/blocks/tip/hash")
txid=$(curl -sf "$base/api/address/$addr/txs" | sed -n 's/^\[{"txid":"\([0-9a-f]*\)".*/\1/p')
[ -n "$txid" ] || { echo "bench_api: could not find a transaction of $addr" >&2; exit 1; }

run() { # name url [random-route]
	if [ -n "${3:-}" ]; then
		out=$(wrk -t1 -c"$CONN" -d"${DUR}s" --latency -s "$HERE/random_keys.lua" "$2" -- "$3" "$TMP/keys")
	else
		out=$(wrk -t1 -c"$CONN" -d"${DUR}s" --latency "$2")
	fi
	rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	non2xx=$(echo "$out" | awk '/Non-2xx/ {print $5}')
	printf '%-28s %12s %10s %10s %s\n' "$1" "$rps" "$p50" "$p99" "${non2xx:+($non2xx non-2xx!)}"
}

echo "server: 2 worker threads; wrk: 1 thread, $CONN connections, ${DUR}s per route; $(nproc) cores shared"
printf '%-28s %12s %10s %10s\n' route "requests/s" p50 p99
screen_code=$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/screen?address=$thief")
echo "-- random keys"
if [ "$screen_code" = 200 ]; then
	run "/v1/screen?address= (random)" "$base" screen-address
	run "/v1/screen?outpoint= (random)" "$base" screen-outpoint
fi
run "/api/address/:a (random)" "$base" address
run "/api/tx/:txid (random)" "$base" tx
echo "-- one repeated key"
run "/api/address/:address" "$base/api/address/$addr"
run "/api/tx/:txid" "$base/api/tx/$txid"
run "/api/blocks/tip/hash" "$base/api/blocks/tip/hash"
if [ "$screen_code" = 200 ]; then
	run "/v1/screen?address=" "$base/v1/screen?address=$thief"
	# a deposit screened by outpoint (its address is read from the blk file)
	run "/v1/screen?outpoint=" "$base/v1/screen?outpoint=$txid:0"
else
	echo "/v1/screen: not available (HTTP $screen_code); skipped"
fi

# Soak: RSS sampled every 5 s while wrk runs on the screening route (or
# the address route when screening is absent).
route=address
[ "$screen_code" = 200 ] && route=screen-address
url="$route, random keys"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SRV/status"; }
rss0=$(rss)
wrk -t1 -c"$CONN" -d"${SOAK}s" -s "$HERE/random_keys.lua" "$base" -- "$route" "$TMP/keys" >"$TMP/soak.txt" &
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
echo "soak ${SOAK}s on ${url}: $soak_rps requests/s; RSS before $((rss0 / 1024)) MiB, max $((max / 1024)) MiB, end $((${last:-$rss0} / 1024)) MiB"
echo "tip $tip"
