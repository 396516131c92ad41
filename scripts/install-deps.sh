#!/usr/bin/env bash
# Installs the Debian 12 packages Andon's build and tests need. Idempotent: when every
# package is already installed it asks apt nothing and returns at once.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config make git python3 procps clang libclang-rt-14-dev
  libboost-dev libfmt-dev nlohmann-json3-dev libre2-dev libyaml-cpp-dev
  librocksdb-dev zlib1g-dev libzstd-dev liblz4-dev libsnappy-dev libbz2-dev
  libprotobuf-dev protobuf-compiler libssl-dev libcrypt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  prometheus prometheus-alertmanager victoria-metrics
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
