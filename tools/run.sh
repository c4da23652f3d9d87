#!/usr/bin/env bash
# Installs, builds and starts the agent on its embedded default: a throwaway
# PostgreSQL under state/ (kept across runs), simulated Kubernetes and
# Datadog APIs from datasets/samples, rules-only reasoning, and the local-git
# publisher under state/. Extra arguments go to `kfix serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh build -DKFIX_BUILD_TESTS=OFF
db_url=$(tools/pg.sh start state/postgres "${KFIX_PG_PORT:-25432}")
echo "run: PostgreSQL at $db_url; agent on http://127.0.0.1:8080" >&2
exec build/tools/kfix/kfix serve --database-url "$db_url" --state-dir state "$@"
