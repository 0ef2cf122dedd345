#!/bin/sh
# Holds the sources to the layering of docs/architecture.md: a folder
# includes only the folders below it; only store/ includes RocksDB; only
# api/ (the server), live/ and the Ethereum node client use libevent; no
# file outside store/ but the few listed names a raw column family.
# Prints every include that breaks a rule and exits 1.
#   tests/check_layers.sh [SOURCE_ROOT]
set -eu
cd "${1:-$(dirname "$0")/..}"

# folder: the folders it may include (besides itself)
allowed() {
	case $1 in
	base) echo "" ;;
	bitcoin | ethereum) echo "base" ;;
	taint) echo "base ethereum" ;;
	sim) echo "base bitcoin ethereum" ;;
	bridge) echo "base bitcoin ethereum taint" ;;
	intel) echo "base bitcoin ethereum" ;;
	store) echo "base bitcoin ethereum taint bridge intel" ;;
	indexer) echo "base bitcoin ethereum taint bridge intel store" ;;
	tracer) echo "base bitcoin ethereum taint bridge intel store" ;;
	report) echo "base bitcoin ethereum taint bridge intel store tracer" ;;
	api) echo "base bitcoin ethereum taint bridge intel store indexer tracer report" ;;
	live) echo "base bitcoin ethereum taint bridge intel store indexer tracer report api" ;;
	cli) echo "*" ;;
	*) echo "?" ;;
	esac
}

# Raw column families (TL_CF_*, TL_ECF_* names) are store/'s: outside it
# only these files still name them, and no other may start (typed row
# functions in store/ instead; docs/architecture.md, "Raw family access").
raw_family_ok() {
	case $1 in
	store/* | tests/* | bench/*) return 0 ;;
	cli/cmd_db.c | cli/eth_db.c | indexer/cluster.c | indexer/indexer.c | report/manifest.c) return 0 ;;
	tracer/entities.c | tracer/screen.c) return 0 ;;
	*) return 1 ;;
	esac
}

bad=0
for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]'); do
	dir=${f%%/*}
	case $dir in tests | bench | build* | web) continue ;; esac
	ok=$(allowed "$dir")
	if [ "$ok" = "?" ]; then
		echo "$f: folder $dir/ has no place in the layering (tests/check_layers.sh, docs/architecture.md)"
		bad=1
		continue
	fi
	if ! raw_family_ok "$f"; then
		grep -nE 'TL_E?CF_' "$f" | sed "s|^\([0-9]*\):.*|$f:\1: names a raw column family outside store/ (add a typed row function there)|"
	fi
	grep -n '^#include' "$f" | while IFS= read -r line; do
		inc=$(printf '%s\n' "$line" | sed -n 's/.*#include[ 	]*[<"]\([^">]*\)[">].*/\1/p')
		case $inc in
		rocksdb/*)
			[ "$dir" = store ] || echo "$f:${line%%:*}: only store/ includes RocksDB ($inc)"
			continue ;;
		event2/*)
			case $f in api/* | live/* | indexer/eth_rpc_client.c) ;;
			*) echo "$f:${line%%:*}: only api/, live/ and the node client use libevent ($inc)" ;;
			esac
			continue ;;
		*/*) ;;
		*) continue ;;
		esac
		top=${inc%%/*}
		[ -d "$top" ] || continue # a system header such as <sys/stat.h>
		[ "$top" = "$dir" ] && continue
		[ "$ok" = "*" ] && continue
		case " $ok " in *" $top "*) ;; *) echo "$f:${line%%:*}: $dir/ may not include $top/ ($inc)" ;; esac
	done
done >"${TMPDIR:-/tmp}/check_layers.$$"
if [ -s "${TMPDIR:-/tmp}/check_layers.$$" ]; then
	cat "${TMPDIR:-/tmp}/check_layers.$$"
	bad=1
fi
rm -f "${TMPDIR:-/tmp}/check_layers.$$"
[ $bad -eq 0 ] && echo "layering holds: $(git ls-files '*.c' '*.h' | grep -cvE '^(tests|bench)/') sources checked"
exit $bad
