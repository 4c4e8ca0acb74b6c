#!/usr/bin/env bash
# Runs every test: installs what is missing, builds, then runs the unit and
# integration suites with CTest. Integration tests start the real service
# binaries on free loopback ports and stop them afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j 2 --timeout 300
