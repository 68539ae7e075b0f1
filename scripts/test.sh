#!/usr/bin/env bash
# Sets up and runs every test: installs what the tests need (Debian + npm packages), builds, and
# runs ctest, which covers the GoogleTest unit tests, the pytest suites under both boto3 versions,
# the AWS CLI smoke test, the AWS SDK for JavaScript v3 tests, the crash/durability test, short
# libFuzzer runs and a seconds-long benchmark smoke run. Every server a test needs is started by
# that test on 127.0.0.1 with a free port and a temporary data directory.
set -euo pipefail
cd "$(dirname "$0")/.."

# The layering first (only src/storage sees RocksDB, ...): it needs nothing installed or built and
# fails in a second. ctest runs it again (test `layering`).
bash scripts/check-layering.sh

bash scripts/setup.sh
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
# -Werror holds in every build type a user may pick: Release (-O3) too, where GCC 12 finds
# warnings that -O2 does not. Built, not tested (the tests run on the build above).
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build-release -j"$(nproc)"

cd build
ctest --output-on-failure --timeout 1200 "$@"
