#!/usr/bin/env bash
# Installs every Debian 12 package K-Fix needs to build, test and run.
# Idempotent: does nothing when all are present. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache git curl ca-certificates
  libcaf-dev libboost-dev libsimdjson-dev libcurl4-openssl-dev
  libpqxx-dev libpq-dev libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev
  libcli11-dev libgit2-dev libre2-dev libssl-dev
  libgtest-dev libgmock-dev
  postgresql-15 postgresql-client-15
  python3 python3-yaml clang-format
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
