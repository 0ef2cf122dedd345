#!/bin/sh
# Builds taintline and runs every test: the unit and end-to-end suite, the
# same suite under AddressSanitizer + UndefinedBehaviorSanitizer, then each
# fuzz target for a short run. Ends with ctest's summary of the main suite.
#   FUZZ_SECONDS=30   seconds per fuzz target (0 skips fuzzing)
#   SKIP_SANITIZE=1   skip the sanitizer pass
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
JOBS=$(nproc 2>/dev/null || echo 2)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

if [ "${SKIP_SANITIZE:-0}" != 1 ]; then
	echo "== ASan+UBSan build and suite"
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTL_SANITIZE=ON >/dev/null
	cmake --build build-asan -j "$JOBS"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan --output-on-failure -j "$JOBS"
fi

if [ "$FUZZ_SECONDS" -gt 0 ]; then
	echo "== fuzz targets ($FUZZ_SECONDS s each)"
	CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DTL_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j "$JOBS"
	for f in build-fuzz/fuzz_*; do
		[ -x "$f" ] || continue
		name=$(basename "$f")
		mkdir -p "build-fuzz/corpus/$name"
		echo "-- $name"
		seeds=""
		[ -d "tests/fuzz/seeds/$name" ] && seeds="tests/fuzz/seeds/$name"
		# shellcheck disable=SC2086
		LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp" \
		"$f" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -timeout=10 \
			-artifact_prefix="build-fuzz/$name-" \
			"build-fuzz/corpus/$name" $seeds >"build-fuzz/$name.log" 2>&1 ||
			{ tail -n 40 "build-fuzz/$name.log"; echo "fuzz target $name failed"; exit 1; }
		grep -E '^(#[0-9]+.*DONE|Done)' "build-fuzz/$name.log" | tail -n 1 || true
	done
fi

echo "== release build and suite"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"
ctest --test-dir build --output-on-failure -j "$JOBS"
