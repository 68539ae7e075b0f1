#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need on a fresh Debian 12
# machine. Idempotent: packages already present are skipped, so a second run costs a dpkg query.
set -euo pipefail

debian_packages=(
  # build
  build-essential cmake ninja-build pkg-config
  libboost-dev libboost-system-dev librocksdb-dev rapidjson-dev libpugixml-dev libssl-dev
  libcurl4-openssl-dev libzip-dev libcli11-dev libspdlog-dev libfmt-dev zlib1g-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev libjemalloc-dev
  # fuzzing (libFuzzer ships with clang's runtime)
  clang-14 libclang-rt-14-dev
  # black-box tests: Debian's boto3 1.26 + pytest, AWS CLI v2
  python3-boto3 python3-pytest awscli
  # SNS delivery tests: a real SMTP server, and signature checks against the served certificate
  python3-aiosmtpd python3-cryptography
  # metrics tests: promtool checks GET /_runnel/metrics' text
  prometheus
  # benchmarks
  wrk curl
)

missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi
