#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer into build-fuzz/, then runs each from its seed
# corpus (fuzz/corpus/<target>/) for ISMS_FUZZ_SECONDS (default 15) seconds.
# Fails on the first crash, leak, sanitizer report or timeout; the input that
# caused it is left in build-fuzz/artifacts/. Inputs found along the way go to
# build-fuzz/corpus/, never into the tree.
#
# The targets link Debian's gcc-built protobuf, Abseil and libstdc++;
# cmake/grpc_asan_abi.h is force-included as in scripts/sanitize.sh, since the
# generated role stubs reach gRPC's headers.
#
# Reproduce a crash: build-fuzz/fuzz/<target> build-fuzz/artifacts/<file>
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
scripts/install-deps.sh
# clang, and its runtime libraries (libFuzzer, ASan, UBSan): only recommended
# by clang, so --no-install-recommends would leave them out.
missing=()
for package in clang libclang-rt-dev; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  sudo=""
  [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

seconds="${ISMS_FUZZ_SECONDS:-15}"
targets=(role_requests_fuzzer catalogue_fuzzer token_file_fuzzer page_token_fuzzer
         audit_requests_fuzzer asset_requests_fuzzer)

cmake -S . -B build-fuzz -DISMS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="-include $root/cmake/grpc_asan_abi.h -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
  >/dev/null
cmake --build build-fuzz -j "${ISMS_BUILD_JOBS:-2}" --target fuzzers

mkdir -p build-fuzz/artifacts
for target in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$target"
  echo "fuzzing $target for ${seconds}s"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build-fuzz/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=8192 -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$target-" \
    "build-fuzz/corpus/$target" "fuzz/corpus/$target" 2>"build-fuzz/$target.log" || {
    tail -40 "build-fuzz/$target.log"
    echo "$target: FAILED (log build-fuzz/$target.log, input in build-fuzz/artifacts/)" >&2
    exit 1
  }
  grep -E "stat::number_of_executed_units|cov:" "build-fuzz/$target.log" | tail -2
done
echo "fuzzing: no crash in ${#targets[@]} targets"
