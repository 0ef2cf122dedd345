#!/bin/sh
# Installs the Debian packages taintline needs to build and test.
# Idempotent: only missing packages are fetched. Run as root (or via sudo).
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev \
librocksdb-dev libsecp256k1-dev libevent-dev libjansson-dev libssl-dev \
libcmocka-dev libxml2-dev libyaml-dev libjemalloc-dev curl chromium nodejs"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

# Debian's nodejs comes without npm (a separate package); other builds of
# nodejs bring their own and conflict with it.
if ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi

# The web app's graph library and browser-test driver, pinned in
# web/package-lock.json; installed again only when the lock file changed.
web_deps() {
	web=$(dirname "$0")/../web
	if [ ! -f "$web/node_modules/.package-lock.json" ] ||
		! cmp -s "$web/package-lock.json" "$web/node_modules/.taintline-lock"; then
		echo "installing web/node_modules (npm ci)" >&2
		(cd "$web" && npm ci --no-audit --no-fund >/dev/null &&
			cp package-lock.json node_modules/.taintline-lock)
	fi
}

if [ -z "$missing" ]; then
	web_deps
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
web_deps
