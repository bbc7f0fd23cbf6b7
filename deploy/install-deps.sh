#!/usr/bin/env bash
# Installs the Debian bookworm packages Missionlog builds, tests and lints with.
# Idempotent: installs only what is missing, so a second run does nothing.
# Usage: deploy/install-deps.sh   (as root, or as a user with sudo)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgrpc++-dev libgrpc-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang clang-format libclang-rt-14-dev
  # A cluster's sequencer (README "Running three nodes"): the cluster
  # tests and `make cluster` run real etcd members; etcdctl for operators.
  etcd-server etcd-client
  # missionlogd's HTTP listener (the console and its JSON API), and the
  # browser the console's tests drive headless.
  libcpp-httplib-dev chromium
  # Sealed fields: salted commitments, encrypted openings, role keys.
  libsodium-dev
  # missionlogd's allocator (tcmalloc_minimal): CMakeLists.txt says why.
  libgoogle-perftools-dev
  # `make package` and its test: dpkg-shlibdeps (in dpkg-dev) computes the
  # .deb's Depends; lintian checks the packages as Debian would.
  dpkg-dev lintian
)
# Node and npm build the console (npm ci from console/package-lock.json);
# a machine that has them from elsewhere (e.g. NodeSource) keeps its own.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
