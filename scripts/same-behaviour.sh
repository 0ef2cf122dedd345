#!/bin/sh
# Shows that two builds behave the same, byte for byte, on the demo's work:
#   scripts/same-behaviour.sh OLD_TAINTLINE NEW_TAINTLINE
# Each binary simulates the demo's chains, indexes them, imports the same
# tags and heists, and then the outputs are compared: `db digest` of the
# Bitcoin and Ethereum databases, every policy's trace of the demo heist in
# JSON, CSV, DOT and text, traces from seeds and addresses and with each
# option, the failures of traces (message and exit code), the Ethereum and
# cross-chain traces, screening answers, and a recorded set of HTTP
# requests to `serve` (Esplora, /v1, trace successes and failures).
# Used to check refactorings that must not change behaviour. Exits 1 and
# names the first differing output otherwise. SEED (default 7) picks the
# simulated chains; PORT (default 18931) the loopback port used; KEEP=1
# keeps the outputs.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 OLD_TAINTLINE NEW_TAINTLINE" >&2; exit 2; }
OLD=$(realpath "$1")
NEW=$(realpath "$2")
SEED=${SEED:-7}
PORT=${PORT:-18931}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "outputs kept in $WORK" >&2 || trap 'rm -rf "$WORK"' EXIT

# run BIN DIR: every output of interest goes to DIR/out/NAME.
run() {
	tl=$1 d=$2
	mkdir -p "$d/out"
	o=$d/out
	"$tl" simulate --out "$d/sim" --seed "$SEED" >/dev/null
	"$tl" index --blocks-dir "$d/sim/blocks" --db "$d/db" --network regtest >/dev/null 2>&1
	"$tl" tags import --db "$d/db" "$d/sim/tags.csv" >"$o/tags_import.txt" 2>&1
	"$tl" tags import --db "$d/db" "$ROOT/data/tags/sanctioned.csv" >>"$o/tags_import.txt" 2>&1
	"$tl" heist import --db "$d/db" "$d/sim/heists.json" >"$o/heist_import.txt" 2>&1
	"$tl" heist import --db "$d/db" "$ROOT/data/heists/dprk.json" >>"$o/heist_import.txt" 2>&1
	"$tl" db digest --db "$d/db" >"$o/digest_btc.txt"
	for p in poison haircut fifo tiho; do
		for f in json csv dot text; do
			"$tl" trace --db "$d/db" --heist sim-heist-1 --policy "$p" --format "$f" -o "$o/trace_${p}.$f" >/dev/null 2>&1
		done
	done
	jq -r '.endpoints[].address' "$o/trace_haircut.json" | sort -u | head -20 >"$d/addrs"
	# One trace per option and per failure: what it prints, on both
	# streams, and its exit code.
	stx=$(jq -r '.seeds[0].txid' "$o/trace_haircut.json")
	sa=$(head -1 "$d/addrs")
	n=0
	while IFS= read -r args; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # the arguments are meant to split
		rc=0
		"$tl" trace --db "$d/db" $args >"$o/trace_case_$n.txt" 2>&1 || rc=$?
		echo "exit $rc" >>"$o/trace_case_$n.txt"
	done <<-EOF
	--seed $stx
	--seed $stx:0 --format csv
	--address $sa --from 2009-01-03 --format text
	--address $sa --from 2009-01-03 --to 2009-01-04
	--heist sim-heist-1 --until 250 --format text
	--heist sim-heist-1 --until 2009-01-03
	--heist sim-heist-1 --until 2099-01-01 --format text
	--heist sim-heist-1 --until nope
	--heist sim-heist-1 --stop-categories exchange,mixer --format text
	--heist sim-heist-1 --stop-categories nope
	--heist sim-heist-1 --stop-at-mixers --max-hops 3 --min-sat 10000 --format text
	--heist sim-heist-1 --max-tx 5
	--heist sim-heist-1 --clearance green --format text
	--heist sim-heist-1 --tags $d/sim/tags.csv --format text
	--heist sim-heist-1 --tags $d/nosuchfile
	--heist sim-heist-1 --format html
	--heist sim-heist-1 --format nope
	--heist sim-heist-1 --heists $d/sim/heists.json --format text
	--heist nope --heists $d/sim/heists.json
	--heist sim-heist-1 --heists $d/nosuchfile
	--heist no-such-heist
	--seed 0000000000000000000000000000000000000000000000000000000000000000
	--seed zz
	--seed $stx:999
	--address 1BoatSLRHtKNngkdXEeobR76b53LETtpyT --from 2024-01-01
	--address notanaddress --from 2024-01-01
	EOF
	while read -r a; do
		"$tl" screen --db "$d/db" --address "$a" >>"$o/screen.txt" 2>&1 || true
	done <"$d/addrs"
	"$tl" simulate --chain ethereum --out "$d/esim" --seed "$SEED" --blocks 160 --txs-per-block 10 --no-rpc >/dev/null
	"$tl" index --chain ethereum --etl "$d/esim" --db "$d/edb" -q >/dev/null 2>&1
	"$tl" tags import --db "$d/edb" "$d/esim/tags.csv" >/dev/null 2>&1
	"$tl" heist import --db "$d/edb" "$d/esim/heists.json" >/dev/null 2>&1
	"$tl" db digest --db "$d/edb" >"$o/digest_eth.txt"
	eh=$(jq -r '.heists[0].id' "$d/esim/heists.json")
	for p in poison haircut fifo seniority; do
		"$tl" trace --db "$d/edb" --heist "$eh" --policy "$p" --format json -o "$o/eth_trace_$p.json" >/dev/null 2>&1
	done
	"$tl" simulate --chain multichain --out "$d/x" --seed "$SEED" >/dev/null
	"$tl" index --chain ethereum --etl "$d/x/ethereum" --db "$d/x/eth" --network dev >/dev/null 2>&1
	"$tl" index --blocks-dir "$d/x/bitcoin/blocks" --db "$d/x/btc" --network regtest >/dev/null 2>&1
	"$tl" trace --db "$d/x/btc" --db "$d/x/eth" --heist sim-bybit --heists "$d/x/ethereum/heists.json" \
		--format json -o "$o/xchain_trace.json" >/dev/null 2>&1
	# The HTTP answers, from a real server on loopback.
	"$tl" serve --db "$d/db" --listen "127.0.0.1:$PORT" --blocks-dir "$d/sim/blocks" >"$d/serve.log" 2>&1 &
	pid=$!
	i=0
	until curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || { kill $pid; echo "serve did not start" >&2; exit 1; }
		sleep 0.1
	done
	tip=$(curl -s "http://127.0.0.1:$PORT/api/blocks/tip/hash")
	txid=$(jq -r '.seeds[0].txid' "$o/trace_haircut.json")
	{
		echo "/api/blocks/tip/height"
		echo "/api/block/$tip"
		echo "/api/block/$tip/txids"
		echo "/api/tx/$txid"
		echo "/api/tx/$txid/outspends"
		echo "/api/tx/$txid/merkle-proof"
		echo "/v1/heists"
		for p in poison haircut fifo tiho; do echo "/v1/heists/sim-heist-1/trace?policy=$p"; done
		for q in format=csv format=dot format=html until=250 until=2009-01-03 until=2099-01-01 until=nope \
			stop_categories=exchange,mixer stop_categories=nope 'stop_at_mixers=true&max_hops=3&min_sat=10000' \
			max_tx=5 policy=nope max_hops=x; do
			echo "/v1/heists/sim-heist-1/trace?$q"
		done
		echo "/v1/heists/no-such-heist/trace"
		echo "/v1/heists/dmm-bitcoin-2024-05/trace"
		echo "/v1/heists/bybit-2025-02-21/trace"
		while read -r a; do
			echo "/api/address/$a"
			echo "/api/address/$a/txs"
			echo "/api/address/$a/utxo"
			echo "/v1/screen?address=$a"
		done <"$d/addrs"
		echo "/api/address/notanaddress"
		echo "/api/tx/00"
	} >"$d/requests"
	n=0
	while read -r r; do
		n=$((n + 1))
		curl -s -D - "http://127.0.0.1:$PORT$r" | grep -viE '^(date|x-request-id):' >"$o/http_$n.txt"
	done <"$d/requests"
	# POST /v1/trace, one body a line.
	a1=$(head -1 "$d/addrs")
	cat >"$d/bodies" <<-EOF
	{"seeds": ["$txid"]}
	{"seeds": ["$txid:0"], "policy": "fifo", "format": "csv"}
	{"address": "$a1", "from": "2009-01-03", "max_hops": 5}
	{"address": "$a1", "from": "2009-01-03", "to": "2009-01-04"}
	{"address": "$a1", "from": "2009-13-01"}
	{"heist": "sim-heist-1", "until": 250, "stop_categories": ["exchange", "mixer"], "format": "dot"}
	{"heist": "sim-heist-1", "stop_categories": ["nope"]}
	{"heist": "sim-heist-1", "seeds": ["$txid"], "stop_at_mixers": true}
	{}
	{"seeds": []}
	{"seeds": [1]}
	{"seeds": ["zz"]}
	{"seeds": ["0000000000000000000000000000000000000000000000000000000000000000"]}
	{"address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"}
	{"address": "notanaddress"}
	{"heist": "no-such-heist"}
	[]
	EOF
	while IFS= read -r b; do
		n=$((n + 1))
		curl -s -D - -X POST -H 'Content-Type: application/json' --data-binary "$b" \
			"http://127.0.0.1:$PORT/v1/trace" | grep -viE '^(date|x-request-id):' >"$o/http_$n.txt"
	done <"$d/bodies"
	kill $pid
	wait $pid 2>/dev/null || true
}

run "$OLD" "$WORK/old"
run "$NEW" "$WORK/new"
# Reports record their generation time, the software version and the
# paths of their inputs: those are not behaviour.
for side in old new; do
	for f in "$WORK/$side"/out/*; do
		sed -i -E -e '/"(generated_at|screened_at|software|version)"/d' -e "s#$WORK/$side#DIR#g" -e 's/screened at [0-9T:Z-]*/screened at TIME/' -e 's#Generated at</th><td>[^<]*#Generated at</th><td>TIME#' "$f"
	done
done
fail=0
for f in "$WORK"/old/out/*; do
	b=$(basename "$f")
	[ -s "$f" ] || { echo "EMPTY: $b (the command failed on both builds?)" >&2; fail=1; }
	if ! cmp -s "$f" "$WORK/new/out/$b"; then
		echo "DIFFERS: $b" >&2
		diff "$f" "$WORK/new/out/$b" | head -20 >&2
		fail=1
	fi
done
count=$(ls "$WORK/old/out" | wc -l)
[ "$(ls "$WORK/new/out" | wc -l)" -eq "$count" ] || { echo "output sets differ" >&2; fail=1; }
[ $fail -eq 0 ] && echo "same behaviour: $count outputs byte-identical ($(cat "$WORK/old/requests" "$WORK/old/bodies" | grep -c .) HTTP requests; digests $(cut -c1-16 "$WORK/old/out/digest_btc.txt" | head -1)…)"
exit $fail
