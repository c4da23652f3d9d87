#!/usr/bin/env bash
# Enforces the layering of STYLE.md: CAF actor headers only in actor shells,
# the system layer, type ids and tests; libcurl, Beast and libpqxx only in
# their adapters. Prints each violation; exits 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
report() { echo "layering: $1"; status=1; }

sources=$(git ls-files 'messages/*' 'config/*' 'actors/*' 'eval/*' 2>/dev/null \
  | grep -E '\.(hpp|cpp)$' || true)
for f in $sources; do
  case "$f" in
    actors/actors.hpp|*_actor.hpp|*_actor.cpp|actors/system/*|actors/store/store_actors.*) allowed_caf=1 ;;
    *) allowed_caf=0 ;;
  esac
  if [ $allowed_caf -eq 0 ] && grep -nE '#include <caf/(all|actor|typed_actor|scoped_actor|stateful_actor|event_based_actor|actor_system|behavior|fwd)' "$f" >/dev/null; then
    report "$f includes CAF actor headers (only caf/error.hpp, caf/expected.hpp outside actor shells)"
  fi
  case "$f" in
    actors/common/curl_client.cpp) ;;
    *) grep -nq '#include <curl/' "$f" && report "$f includes libcurl (only actors/common/curl_client.cpp)" ;;
  esac
  case "$f" in
    actors/common/http_server.cpp) ;;
    *) grep -nqE '#include <boost/(beast|asio)' "$f" && report "$f includes Beast/Asio (only actors/common/http_server.cpp)" ;;
  esac
  case "$f" in
    actors/store/pg_store.cpp) ;;
    *) grep -nq '#include <pqxx/' "$f" && report "$f includes libpqxx (only actors/store/pg_store.cpp)" ;;
  esac
done
# Domain code (eval/, the pure files) must not depend on the actor layer.
for f in $(git ls-files 'eval/*' | grep -E '\.(hpp|cpp)$' || true); do
  grep -nq '#include "actors/actors.hpp"' "$f" && report "$f depends on actor interfaces"
done
[ $status -eq 0 ] && echo "layering: ok ($(echo "$sources" | wc -w) files)"
exit $status
