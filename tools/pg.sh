#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for local runs and tests.
#   tools/pg.sh start DIR PORT   initialise (once) and start; prints the URL
#   tools/pg.sh stop DIR         stop it
#   tools/pg.sh url DIR PORT     print the URL
#   tools/pg.sh destroy DIR      stop it and delete its data
# The cluster listens on 127.0.0.1:PORT only (no unix socket); the default
# ports (25432 run, 25433 tests) lie below Linux's ephemeral port range, so
# no client socket can hold them. As root it
# runs as the `postgres` user; when that user cannot reach DIR (a clone under
# /root), the data lives under /var/tmp/kfix-pg-<hash of DIR> instead.
set -euo pipefail

cmd=${1:?usage: pg.sh start|stop|url DIR [PORT]}
dir=${2:?missing DIR}
port=${3:-25432}
pgbin=/usr/lib/postgresql/15/bin
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

as_pg() {
  # From /: the postgres user may not be able to enter the caller's folder.
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

data_dir() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 \
      || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
      echo "/var/tmp/kfix-pg-$(printf '%s' "$dir" | sha1sum | cut -c1-12)"
      return
    fi
  fi
  echo "$dir/pgdata"
}

url() { echo "postgresql://postgres@127.0.0.1:$port/kfix"; }

case "$cmd" in
  start)
    data=$(data_dir)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data"
      [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data"
      chmod 700 "$data"
      as_pg "$pgbin/initdb" -D "$data" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_pg "$pgbin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null
    fi
    for _ in $(seq 1 50); do
      "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
      sleep 0.1
    done
    "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'kfix'" | grep -q 1 \
      || "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc \
        "CREATE DATABASE kfix" >/dev/null
    url
    ;;
  stop)
    data=$(data_dir)
    if [ -f "$data/PG_VERSION" ]; then
      as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  destroy)
    data=$(data_dir)
    if [ -f "$data/PG_VERSION" ]; then
      as_pg "$pgbin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$data"
    ;;
  url) url ;;
  *) echo "usage: pg.sh start|stop|url DIR [PORT]" >&2; exit 2 ;;
esac
