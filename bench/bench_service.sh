#!/bin/sh
# The service under hostile load, one build or two side by side:
#
#   bench/bench_service.sh NEW_BINARY [OLD_BINARY]
#
# Simulates a chain (400 blocks x 100 tx), indexes it, imports its heist
# and builds the screening index, then for each binary starts
# 'taintline serve' (2 worker threads, a keys file) and measures:
#   1. screening latency (p50/p99/max of /v1/screen?address=) alone, then
#      while 6 no-limit poison traces of the heist are kept in flight, 4
#      of them abandoned 0.2 s after sending;
#   2. the server's RSS under 2,000 idle connections;
#   3. its peak RSS under 150 keyless 4 MiB bodies (POST /v1/tags).
# The new binary runs a second time with --pool-threads 1.
# BENCH_SCREEN_ONLY=1 runs only the screening phases (1.). BENCH_RUNS=N
# (N > 1) instead runs only 1., N rounds, each round every configuration
# (old binary with its defaults and with --pool-threads 1, new binary
# with its defaults) in turn, and prints the median of each figure.
# Needs python3 and curl; raises the descriptor limit to 8192 for the
# server and the clients. Writes only under a temporary directory.
set -eu

NEW=${1:?usage: bench_service.sh NEW_BINARY [OLD_BINARY]}
OLD=${2:-}
PORT=${BENCH_PORT:-18211}
SECS=${BENCH_SECONDS:-10}
# BENCH_NICE=-10 runs the server and the load at that niceness (root
# only), which shields the measurement from other work on the machine:
# what is left is the server's own expensive work against its cheap
# requests. The pool's threads set their own niceness either way.
NICE=
[ -n "${BENCH_NICE:-}" ] && NICE="nice -n $BENCH_NICE"
HERE=$(cd "$(dirname "$0")" && pwd)
ulimit -n 8192

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tl-bench-svc.XXXXXX")
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

echo "chain: simulating and indexing (400 blocks x 100 tx)..."
"$NEW" simulate --out "$TMP/sim" --blocks 400 --txs-per-block 100 --fast -q
"$NEW" index --blocks-dir "$TMP/sim/blocks" --db "$TMP/db" --network regtest -q
"$NEW" heist import --db "$TMP/db" "$TMP/sim/heists.json" >/dev/null
"$NEW" screen --db "$TMP/db" --rebuild >/dev/null
KEY=$("$NEW" keys add --file "$TMP/keys" --role investigate --rate 0 2>/dev/null)
heist=$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' "$TMP/sim/heists.json" | head -1)
thief=$(sed -n 's/.*"address": *"\(bcrt1[0-9a-z]*\)".*/\1/p' "$TMP/sim/heists.json" | head -1)
SCREEN="/v1/screen?address=$thief"
TRACE="/v1/heists/$heist/trace?policy=poison&max_hops=0&stop_categories=,,,"

start() { # binary [extra serve options]
	b=$1
	shift
	$NICE "$b" serve --db "$TMP/db" --listen "127.0.0.1:$PORT" --threads 2 --keys "$TMP/keys" "$@" 2>"$TMP/serve.log" &
	SRV=$!
	i=0
	until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "server did not start" >&2; cat "$TMP/serve.log" >&2; exit 1; }
		sleep 0.1
	done
}
stop() {
	kill "$SRV"
	wait "$SRV" 2>/dev/null || true
	SRV=
	sleep 1
}

# Each phase on a freshly started server, so that one phase's leftovers
# (traces still running for clients long gone) do not weigh on the next.
bench_one() { # label binary [extra serve options]
	echo "== $1: $2 $3"
	start "$2" $3
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT$TRACE")
	echo "one trace alone: HTTP $code"
	printf 'screening alone:     '
	python3 "$HERE/bench_service.py" screen "$PORT" "$SCREEN" - "$KEY" 3 | sed 's/^screen: //'
	printf 'screening saturated: '
	python3 "$HERE/bench_service.py" screen "$PORT" "$SCREEN" "$TRACE" "$KEY" "$SECS" | sed 's/^screen: //'
	stop
	[ "${BENCH_SCREEN_ONLY:-0}" = 1 ] && return 0
	start "$2" $3
	python3 "$HERE/bench_service.py" idle "$PORT" "$SRV" 2000
	stop
	start "$2" $3
	python3 "$HERE/bench_service.py" bodies "$PORT" "$SRV" 150 4
	stop
}

# One screening measurement (alone, then saturated) on a fresh server,
# as one parsable line.
screen_round() { # label binary [extra serve options]
	start "$2" $3
	a=$($NICE python3 "$HERE/bench_service.py" screen "$PORT" "$SCREEN" - "$KEY" 3)
	b=$($NICE python3 "$HERE/bench_service.py" screen "$PORT" "$SCREEN" "$TRACE" "$KEY" "$SECS")
	stop
	echo "round|$1|$a|$b"
}

RUNS=${BENCH_RUNS:-1}
if [ "$RUNS" -gt 1 ]; then
	# Rounds alternate the configurations, so that the machine's load
	# (other work on it comes and goes) weighs on each alike; medians
	# over the rounds.
	round=1
	while [ $round -le "$RUNS" ]; do
		if [ -n "$OLD" ]; then
			screen_round before "$OLD" ""
			screen_round "before, --pool-threads 1" "$OLD" "--pool-threads 1"
		fi
		screen_round after "$NEW" ""
		round=$((round + 1))
	done | tee "$TMP/rounds"
	python3 "$HERE/bench_service.py" medians <"$TMP/rounds"
	exit 0
fi

[ -n "$OLD" ] && bench_one before "$OLD" ""
bench_one after "$NEW" ""
# One expensive thread leaves a core of this machine to the event loops.
bench_one "after, --pool-threads 1" "$NEW" "--pool-threads 1"
