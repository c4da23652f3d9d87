#!/usr/bin/env bash
# Installs, builds and runs every test (ctest starts and stops its own
# throwaway PostgreSQL). Also checks layering and the bundled incidents.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/check_layering.sh
if [ -f ../shared/tools/validate_incidents.py ]; then
  python3 ../shared/tools/validate_incidents.py datasets/samples
fi
tools/build.sh build -DKFIX_BUILD_TESTS=ON -DKFIX_WERROR=ON
cd build
ctest --output-on-failure -j2 --timeout 300
