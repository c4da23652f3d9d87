#!/usr/bin/env bash
# Load test of K-Fix's webhook intake against a durable PostgreSQL, with the
# original design's stack (FastAPI + uvicorn + psycopg2) as the baseline and
# K-Fix's own HTTP server answering 202 without any work as the ceiling.
# See bench/README.md.
#
#   bench/intake/run.sh [--quick]
#
# Everything listens on 127.0.0.1 only and every load is bounded by wrk's -d.
# Environment (all optional):
#   KFIX_BENCH_DIR       work folder (default /tmp/kfix-bench), wiped first
#   KFIX_BENCH_PG_PORT   PostgreSQL port (55470); the servers use the next
#                        four: kfix +1, no-op ceiling +2, baseline +3,
#                        baseline with a thread pool +4
#   KFIX_BENCH_NO_BUILD  1: use build-bench as it is (no incremental build)
#   KFIX_BENCH_KEEP      1: keep the work folder (logs, results.json)
set -euo pipefail

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0 ;;
    *) echo "usage: bench/intake/run.sh [--quick]" >&2; exit 2 ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${KFIX_BENCH_DIR:-/tmp/kfix-bench}
pg_port=${KFIX_BENCH_PG_PORT:-55470}
kfix_port=$((pg_port + 1))
noop_port=$((pg_port + 2))
base_port=$((pg_port + 3))
basetp_port=$((pg_port + 4))
pgbin=/usr/lib/postgresql/15/bin
build=$root/build-bench
kfix=$build/tools/kfix/kfix
noop=$build/bench/noop_server
py=/usr/bin/python3 # Debian's: the baseline's packages live there
run_id=$(date +%s)
build_log=${TMPDIR:-/tmp}/kfix-bench-build.log

say() { echo "bench: $*" >&2; }

# -- packages ----------------------------------------------------------------
# wrk and the baseline's stack come from Debian. python3-uvloop and
# python3-httptools are what `uvicorn[standard]` adds: the baseline gets its
# fastest event loop and HTTP parser.
packages=(wrk python3-fastapi python3-uvicorn python3-psycopg2 python3-uvloop
          python3-httptools postgresql-15 postgresql-client-15)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

# -- build ---------------------------------------------------------------------
if [ "${KFIX_BENCH_NO_BUILD:-0}" != 1 ] || [ ! -x "$kfix" ]; then
  say "building kfix (Release) in build-bench"
  "$root/tools/build.sh" build-bench -DKFIX_BUILD_TESTS=OFF >"$build_log" 2>&1 \
    || { tail -30 "$build_log" >&2; exit 1; }
fi
# The ceiling: K-Fix's Beast server (kfix::http::start_server) answering 202
# at once, linked by hand against build-bench's static libraries:
libs=("$build/libkfix_adapters.a" "$build/libkfix_domain.a"
      "$build/libkfix_config.a" "$build/libkfix_messages.a")
if [ ! -x "$noop" ] || [ "$here/noop_server.cpp" -nt "$noop" ] \
   || [ "$build/libkfix_adapters.a" -nt "$noop" ]; then
  say "building the no-op server"
  mkdir -p "$(dirname "$noop")"
  g++ -std=c++17 -O3 -DNDEBUG -pthread -I"$root" -isystem /usr/include/postgresql \
    "$here/noop_server.cpp" -o "$noop" "${libs[@]}" \
    -lcaf_core -lpthread -lcurl -lpqxx -lpq -lgit2 -lre2 -lssl -lcrypto \
    -lyaml-cpp -lsimdjson -lspdlog -lfmt
fi

# -- clean-up ------------------------------------------------------------------
pids=()
pgdata=$work/pgdata
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}
cleanup() {
  set +e
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  if [ -f "$pgdata/PG_VERSION" ]; then
    as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1
  fi
  if [ "${KFIX_BENCH_KEEP:-0}" = 1 ]; then
    rm -rf "$pgdata"
    say "kept $work (logs, results.json, report.txt)"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for port in "$pg_port" "$kfix_port" "$noop_port" "$base_port" "$basetp_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "bench: port $port is in use; set KFIX_BENCH_PG_PORT" >&2
    exit 1
  fi
done
rm -rf "$work"
mkdir -p "$work"
chmod 755 "$work"

# -- PostgreSQL, durable ---------------------------------------------------------
# tools/pg.sh's recipe (initdb -A trust, C.UTF-8, 127.0.0.1 only, no unix
# socket) but WITHOUT its fsync=off / synchronous_commit=off /
# full_page_writes=off: PostgreSQL 15's defaults (fsync on, synchronous
# commit on, full-page writes on, wal_sync_method fdatasync), so a 202 means
# the alert's commit is flushed to disk. The data lives on $work's disk.
id postgres >/dev/null 2>&1 \
  || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
mkdir -p "$pgdata"
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pgdata"
chmod 700 "$pgdata"
as_pg "$pgbin/initdb" -D "$pgdata" -U postgres -A trust -E UTF8 \
  --locale=C.UTF-8 >/dev/null
as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 \
  -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" \
  start >/dev/null
pg_pid=$(head -1 "$pgdata/postmaster.pid")
psql_pg() { psql -X -q -h 127.0.0.1 -p "$pg_port" -U postgres "$@"; }
psql_pg -d postgres -c "CREATE DATABASE kfix" -c "CREATE DATABASE kfix_baseline"
pg_settings=$(psql_pg -d postgres -tA -c "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync','synchronous_commit','full_page_writes','wal_sync_method','shared_buffers','max_connections')")
say "PostgreSQL 15 on 127.0.0.1:$pg_port ($pg_settings)"
db=postgresql://postgres@127.0.0.1:$pg_port

wait_http() { # URL NAME PID
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    kill -0 "$3" 2>/dev/null || { echo "bench: $2 exited; see $work/$2.log" >&2; tail -20 "$work/$2.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: $2 not ready at $1" >&2
  exit 1
}

# -- kfix ------------------------------------------------------------------------
# From the repository root (config/policy.yaml, datasets/samples), with no
# KFIX_* variables: simulated Kubernetes and Datadog, local-git publishing
# under $work/state. Its JSON log (one line per alert) goes to a file.
unset_kfix=()
for v in $(compgen -e | grep '^KFIX_' || true); do unset_kfix+=(-u "$v"); done
(cd "$root" && exec env "${unset_kfix[@]}" "$kfix" serve \
  --listen "127.0.0.1:$kfix_port" --database-url "$db/kfix" \
  --state-dir "$work/state" 2>"$work/kfix.log" >&2) &
kfix_pid=$!
pids+=("$kfix_pid")
wait_http "http://127.0.0.1:$kfix_port/readyz" kfix "$kfix_pid"
sleep 2
rss_idle=$(awk '/^VmRSS:/ {print $2}' "/proc/$kfix_pid/status")
say "kfix ready on 127.0.0.1:$kfix_port, idle VmRSS ${rss_idle} kB"

# -- ceiling ---------------------------------------------------------------------
"$noop" "$noop_port" 2 >"$work/noop.log" 2>&1 &
noop_pid=$!
pids+=("$noop_pid")
wait_http "http://127.0.0.1:$noop_port/" noop "$noop_pid"

# -- baseline --------------------------------------------------------------------
# One uvicorn worker per core; the supervisor forwards SIGTERM to them. Two
# variants of the same app (baseline_app.py), both reported: psycopg2 called
# on the event loop ("inline", the faster one here, used for the ratio) and
# through Starlette's thread pool with 8 connections per worker.
start_baseline() { # NAME PORT DB_CALLS
  BASELINE_DB_CALLS="$3" BASELINE_DATABASE_URL="$db/kfix_baseline" \
    "$py" -m uvicorn baseline_app:app \
    --app-dir "$here" --host 127.0.0.1 --port "$2" --workers 2 \
    --loop uvloop --http httptools --no-access-log --log-level warning \
    >"$work/$1.log" 2>&1 &
  started_pid=$!
  pids+=("$started_pid")
  wait_http "http://127.0.0.1:$2/healthz" "$1" "$started_pid"
}
start_baseline baseline "$base_port" inline
base_pid=$started_pid
start_baseline baseline-threadpool "$basetp_port" threadpool
basetp_pid=$started_pid

cat >"$work/meta.json" <<EOF
{"date": "$(date -u +%Y-%m-%dT%H:%MZ)",
 "machine": "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME"), shared by wrk, the servers and PostgreSQL)",
 "pg_settings": "$pg_settings",
 "payload": "datasets/samples/oom-checkout-0314/alert.json",
 "payload_bytes": $(stat -c %s "$root/datasets/samples/oom-checkout-0314/alert.json"),
 "rss_idle_kib": $rss_idle,
 "quick": $quick}
EOF

quick_flag=()
[ "$quick" = 1 ] && quick_flag=(--quick)
"$py" "$here/loads.py" "${quick_flag[@]}" --out "$work" --run-id "$run_id" \
  --meta "$work/meta.json" \
  --kfix-port "$kfix_port" --baseline-port "$base_port" --noop-port "$noop_port" \
  --baseline-tp-port "$basetp_port" --baseline-tp-pid "$basetp_pid" \
  --pg-port "$pg_port" --kfix-pid "$kfix_pid" --baseline-pid "$base_pid" \
  --noop-pid "$noop_pid" --pg-pid "$pg_pid"
