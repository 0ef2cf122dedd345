#!/bin/sh
# Installs the Debian packages taintline needs to build and test, the web
# app's packages (web/) and the npm test tools under tests/tools*/ (npm ci,
# from their lock files).
# Idempotent: only missing packages are fetched. Run as root (or via sudo).
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev \
librocksdb-dev libsecp256k1-dev libevent-dev libjansson-dev libssl-dev \
libcmocka-dev libxml2-dev libyaml-dev libjemalloc-dev libzmq3-dev curl openssl jq chromium haproxy"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

# node and npm run the test tools; a node installed otherwise than from
# Debian (it may ship its own npm) is kept.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then
		SUDO="sudo"
	fi
	echo "installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The web app's graph library and browser driver, and the test tools, from
# the npm registry at the versions their lock files pin (tests that need
# them skip with exit 77 while they are absent).
cd "$(dirname "$0")/.."
for d in web/ tests/tools*/; do
	[ -f "$d/package-lock.json" ] || continue
	if [ ! -d "$d/node_modules" ] || [ "$d/package-lock.json" -nt "$d/node_modules" ]; then
		echo "npm ci in $d" >&2
		(cd "$d" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
	fi
done
