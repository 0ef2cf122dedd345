#!/bin/sh
# Installs the Debian packages taintline needs to build and test.
# Idempotent: only missing packages are fetched. Run as root (or via sudo).
set -eu

PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev \
librocksdb-dev libsecp256k1-dev libevent-dev libjansson-dev libssl-dev \
libcmocka-dev libxml2-dev libyaml-dev libjemalloc-dev libzmq3-dev curl chromium"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
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
