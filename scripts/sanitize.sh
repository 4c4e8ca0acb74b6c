#!/usr/bin/env bash
# Builds everything with AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer into build-sanitize/ and runs every test there:
# the integration tests then drive a sanitized service binary.
#
# cmake/grpc_asan_abi.h is force-included so our instrumented code agrees
# with Debian's uninstrumented libgrpc about the layout of its mutexes (see
# docs/TESTING.md). vptr checks are off: they misfire across uninstrumented
# libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
scripts/install-deps.sh
cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DISMS_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-include $root/cmake/grpc_asan_abi.h -fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  >/dev/null
cmake --build build-sanitize -j "${ISMS_BUILD_JOBS:-2}"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize --output-on-failure -j 2 --timeout 300
