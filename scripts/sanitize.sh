#!/usr/bin/env bash
# Builds everything with clang's AddressSanitizer, LeakSanitizer and
# UndefinedBehaviorSanitizer into build-sanitize/ and runs every test there:
# the integration tests then drive a sanitized service binary.
#
# clang, not gcc: gcc 12's ASan build crashes inside gRPC's callback dispatch
# against Debian's uninstrumented gRPC (see docs/TESTING.md); clang's
# is clean. vptr checks are off: they misfire across uninstrumented libraries.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if ! command -v clang++ >/dev/null || [[ ! -d /usr/lib/llvm-14/lib/clang ]] ||
   ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.a >/dev/null 2>&1; then
  sudo=""
  [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang libclang-rt-14-dev
fi
CXX=clang++ cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  >/dev/null
cmake --build build-sanitize -j "${ISMS_BUILD_JOBS:-2}"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize --output-on-failure -j 2 --timeout 300
