#!/usr/bin/env bash
# Checks every ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED annotation with
# clang's thread-safety analysis (gcc ignores them). Needs build/ (generated
# proto headers): run after scripts/build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang++ >/dev/null; then
  sudo=""
  [[ "$(id -u)" -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang
fi
[[ -d build/gen ]] || { echo "build/gen missing: run scripts/build.sh first" >&2; exit 1; }
git ls-files 'common/*.cc' 'services/*.cc' |
  xargs -P 2 -n 4 clang++ -std=c++17 -fsyntax-only -Wthread-safety -Werror=thread-safety \
    -I. -Ibuild/gen
echo "thread-safety analysis: clean"
