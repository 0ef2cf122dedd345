#!/bin/sh
# The main job, end to end, on a simulated chain: installs dependencies,
# builds, simulates a regtest chain with a DPRK-style heist, indexes it into
# RocksDB, imports tags and heists, traces the heist, writes the HTML flow
# report, prints a summary; then the same on a simulated Ethereum chain with
# a Bybit-shaped heist (account-model taint); then serves the API until
# Ctrl-C.
#   DEMO_DIR=demo-out     where everything is written (emptied first)
#   DEMO_PORT=8080        port of the API on 127.0.0.1
#   DEMO_SEED=7           simulator seed
#   DEMO_SKIP_BUILD=1     use an already built binary (TAINTLINE, default
#                         build/taintline); installs and builds nothing
#   DEMO_NO_SERVE=1       stop after the summary
#   TAINTLINE=PATH        the binary to run
set -eu
cd "$(dirname "$0")/.."

OUT=${DEMO_DIR:-demo-out}
PORT=${DEMO_PORT:-8080}
SEED=${DEMO_SEED:-7}
TL=${TAINTLINE:-./build/taintline}

step() { printf '\n== %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

case $PORT in
'' | *[!0-9]*) die "DEMO_PORT must be a port number, not '$PORT'" ;;
esac

if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then
	step "0/7 installing Debian packages (if missing) and building taintline"
	./scripts/install-deps.sh
	JOBS=$(nproc 2>/dev/null || echo 2)
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build -j "$JOBS" --target taintline >/dev/null
	TL=./build/taintline
fi
[ -x "$TL" ] || die "no taintline binary at $TL (build it, or unset DEMO_SKIP_BUILD)"

# A directory that is not ours is never emptied: only one that is empty or
# that an earlier demo made (it has the marker file).
if [ -e "$OUT" ] && [ ! -f "$OUT/.taintline-demo" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then
	die "$OUT exists and was not made by this demo; set DEMO_DIR to another directory"
fi
rm -rf "$OUT"
mkdir -p "$OUT"
: >"$OUT/.taintline-demo"
SIM=$OUT/sim
DB=$OUT/db

step "1/7 simulating a regtest chain with a DPRK-style heist ($SIM)"
"$TL" simulate --out "$SIM" --seed "$SEED"
echo "blocks in $SIM/blocks; ground truth in $SIM/truth.json"

step "2/7 indexing it into RocksDB ($DB)"
"$TL" index --blocks-dir "$SIM/blocks" --db "$DB" --network regtest

step "3/7 importing tags and heists"
"$TL" tags import --db "$DB" "$SIM/tags.csv"
"$TL" tags import --db "$DB" data/tags/sanctioned.csv
"$TL" heist import --db "$DB" "$SIM/heists.json"
"$TL" heist import --db "$DB" data/heists/dprk.json
echo "(the shipped DPRK heists are real mainnet and ethereum thefts: on this regtest chain they are listed as not traceable)"

# The simulated heist is the first entry of the simulation's registry.
HEIST=$(sed -n 's/^ *"id": *"\([^"]*\)".*/\1/p' "$SIM/heists.json" | head -n 1)
[ -n "$HEIST" ] || die "no heist id in $SIM/heists.json"

step "4/7 tracing heist $HEIST (haircut policy)"
"$TL" trace --db "$DB" --heist "$HEIST" --format json -o "$OUT/trace.json"
"$TL" trace --db "$DB" --heist "$HEIST" --format html -o "$OUT/report.html"
echo "flow report: $OUT/report.html (open it in a browser); JSON: $OUT/trace.json"

step "5/7 summary"
"$TL" trace --db "$DB" --heist "$HEIST" --format text

step "5b/6 across chains: a Bybit-shaped theft followed from Ethereum through THORChain into Bitcoin exchanges"
X=$OUT/xchain
"$TL" simulate --chain multichain --out "$X" --seed "$SEED"
"$TL" index --chain ethereum --etl "$X/ethereum" --db "$X/eth" --network dev >/dev/null 2>&1
"$TL" index --blocks-dir "$X/bitcoin/blocks" --db "$X/btc" --network regtest >/dev/null 2>&1
"$TL" trace --db "$X/btc" --db "$X/eth" --heist sim-bybit --heists "$X/ethereum/heists.json" \
	--tags "$X/ethereum/tags.csv" --tags "$X/bitcoin/tags.csv" -o "$X/trace.json"
echo "THORChain crossings followed: $(grep -c '"bridge": "thorchain"' "$X/trace.json"); totals by chain and asset:"
sed -n '/^  "totals"/,/^  "crossings"/p' "$X/trace.json" | sed '$d'
"$TL" trace --db "$X/btc" --db "$X/eth" --heist sim-bybit --heists "$X/ethereum/heists.json" \
	--tags "$X/ethereum/tags.csv" --tags "$X/bitcoin/tags.csv" --format html -o "$X/report.html"
echo "(one report over both chains: $X/trace.json, $X/report.html; ground truth: $X/truth.json)"

# A real cash-out address and outpoint for the examples: the first one the
# simulator's ground truth records.
CASHOUT=$(sed -n 's/.*"cashouts": *\[{\([^}]*\)}.*/\1/p' "$SIM/truth.json" | head -n 1 |
	sed -n 's/.*"address": *"\([^"]*\)".*/\1/p')
OUTPOINT=$(sed -n 's/.*"cashouts": *\[{\([^}]*\)}.*/\1/p' "$SIM/truth.json" | head -n 1 |
	sed -n 's/.*"outpoint": *"\([^"]*\)".*/\1/p')
if [ -n "$CASHOUT" ]; then
	echo
	echo "screening the first cash-out deposit the simulator recorded ($CASHOUT):"
	"$TL" screen --db "$DB" --address "$CASHOUT"
fi


# The Ethereum pipeline: an ethereum-etl export of a simulated account-model
# chain with a Bybit-shaped heist (drain of an exchange's cold wallet, a
# staking token swapped to ether, splits, the mixer, the bridge, cash-outs
# at deposit accounts), indexed into its own database.
ESIM=$OUT/eth-sim
EDB=$OUT/eth-db
step "6/7 Ethereum: simulate, index, import, trace the Bybit-shaped heist ($ESIM)"
"$TL" simulate --chain ethereum --out "$ESIM" --seed "$SEED" --blocks 220 --txs-per-block 20 --no-rpc
"$TL" index --chain ethereum --etl "$ESIM" --db "$EDB" -q
"$TL" tags import --db "$EDB" "$ESIM/tags.csv"
"$TL" heist import --db "$EDB" "$ESIM/heists.json"
"$TL" heist import --db "$EDB" data/heists/dprk.json
echo "(the shipped Bybit, Ronin and WazirX records seed real mainnet addresses: this simulated chain has none of them)"
EHEIST=$(sed -n 's/^ *"id": *"\([^"]*\)".*/\1/p' "$ESIM/heists.json" | head -n 1)
[ -n "$EHEIST" ] || die "no heist id in $ESIM/heists.json"
"$TL" trace --db "$EDB" --heist "$EHEIST" --policy fifo --deposit-heuristic --format json -o "$OUT/eth-trace.json"
"$TL" trace --db "$EDB" --heist "$EHEIST" --policy fifo --deposit-heuristic --format html -o "$OUT/eth-report.html"
echo "flow report: $OUT/eth-report.html; JSON: $OUT/eth-trace.json"
echo "summary (fifo, exchange deposit accounts found by the deposit-address heuristic):"
"$TL" trace --db "$EDB" --heist "$EHEIST" --policy fifo --deposit-heuristic --format text

if [ "${DEMO_NO_SERVE:-0}" = 1 ]; then
	echo
	echo "done (DEMO_NO_SERVE=1: not serving)"
	exit 0
fi

URL=http://127.0.0.1:$PORT
step "7/7 serving the API on $URL (Ctrl-C stops it)"
cat <<EOF
the heist's trace in the web app (open it in a browser):
  $URL/ui/heist/$HEIST?policy=haircut
try, from another terminal:
  curl -s $URL/healthz
  curl -s '$URL/v1/screen?address=$CASHOUT'
  curl -s '$URL/v1/screen?outpoint=$OUTPOINT'
  curl -s '$URL/v1/heists/$HEIST/trace?policy=fifo&format=json' | head -c 600
  curl -s '$URL/v1/heists/$HEIST/trace?format=html' -o report-fifo.html
  curl -s -X POST $URL/v1/screen -d '{"items":[{"address":"$CASHOUT"},{"outpoint":"$OUTPOINT"}]}'
  curl -s $URL/api/address/$CASHOUT
See docs/api.md for every route and docs/guide.md for real use.
EOF
exec "$TL" serve --db "$DB" --listen "127.0.0.1:$PORT" --blocks-dir "$SIM/blocks"
