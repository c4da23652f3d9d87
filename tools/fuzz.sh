#!/usr/bin/env bash
# Fuzzes the intake parsers with libFuzzer (ASan + UBSan), each target for a
# fixed time, in build-fuzz/ (configured and built with clang when needed).
#
# Usage: tools/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  time per target (default 60)
#   TARGET   fuzz_alert_parser, fuzz_monitor_query (default: both)
# Environment: KFIX_JOBS (build parallelism, default 2),
#   KFIX_FUZZ_BUILD_DIR (default build-fuzz), KFIX_FUZZ_ARGS (extra libFuzzer
#   flags, e.g. "-seed=1 -rss_limit_mb=4096").
#
# Needs the Debian packages clang, libclang-rt-14-dev (libFuzzer and the
# sanitizer runtimes) and llvm (llvm-symbolizer, for readable traces).
#
# Inputs that grow coverage go to build-fuzz/corpus/<target>/ (the seed corpus
# tests/fuzz/corpus/<name>/ is read, never written). A crash, leak, timeout
# or out-of-memory input goes to build-fuzz/artifacts/<target>/; the script
# then exits 1 and says how to keep it as a regression input under
# tests/data/fuzz/<name>/, which the unit test FuzzRegression* replays.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-60}
shift || true
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: tools/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(fuzz_alert_parser fuzz_monitor_query)
fi
for t in "${targets[@]}"; do
  case $t in
    fuzz_alert_parser | fuzz_monitor_query) ;;
    *)
      echo "fuzz.sh: unknown target $t" >&2
      exit 2
      ;;
  esac
done

# The fuzzing toolchain, installed when missing (root or sudo).
missing=()
for p in clang libclang-rt-14-dev llvm; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

build=${KFIX_FUZZ_BUILD_DIR:-build-fuzz}
case $build in /*) ;; *) build=$root/$build ;; esac

for tool in clang clang++; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fuzz.sh: $tool not found (apt-get install clang libclang-rt-14-dev llvm)" >&2
    exit 2
  fi
done

# Configure when the tree is missing or not a clang KFIX_FUZZ tree.
cache=$build/CMakeCache.txt
if [ ! -f "$cache" ] || ! grep -q '^KFIX_FUZZ:BOOL=ON' "$cache" \
  || ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$cache"; then
  echo "fuzz.sh: configuring $build"
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKFIX_FUZZ=ON -DKFIX_BUILD_TESTS=OFF \
    >"$build.configure.log" 2>&1 || {
    cat "$build.configure.log" >&2
    exit 2
  }
fi
echo "fuzz.sh: building ${targets[*]}"
cmake --build "$build" -j"${KFIX_JOBS:-2}" --target "${targets[@]}"

if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && command -v llvm-symbolizer >/dev/null 2>&1; then
  export ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer)
fi
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
summary=()
for t in "${targets[@]}"; do
  name=${t#fuzz_} # alert_parser, monitor_query
  case $name in
    alert_parser) dict=$root/tests/fuzz/alert.dict ;;
    monitor_query) dict=$root/tests/fuzz/query.dict ;;
  esac
  seeds=$root/tests/fuzz/corpus/$name
  corpus=$build/corpus/$t
  artifacts=$build/artifacts/$t
  log=$build/fuzz-$t.log
  mkdir -p "$corpus" "$artifacts"
  marker=$(mktemp)
  echo "fuzz.sh: running $t for ${seconds}s (log: $log)"
  set +e
  # shellcheck disable=SC2086
  "$build/tests/fuzz/$t" -max_total_time="$seconds" -max_len=65536 \
    -timeout=5 -dict="$dict" -artifact_prefix="$artifacts/" \
    -print_final_stats=1 ${KFIX_FUZZ_ARGS:-} "$corpus" "$seeds" >"$log" 2>&1
  rc=$?
  set -e
  found=$(find "$artifacts" -type f -newer "$marker" 2>/dev/null | sort)
  rm -f "$marker"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
  line="$t: ${execs:-?} execs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    status=1
    line="$line, FAILED (exit $rc)"
    echo "fuzz.sh: $t found a problem (exit $rc):" >&2
    grep -E 'ERROR: |SUMMARY: |runtime error|invariant violated|Test unit written' "$log" | head -8 >&2 || true
    for f in $found; do
      echo "  input: $f" >&2
      echo "  reproduce: $build/tests/fuzz/$t $f" >&2
      echo "  keep as a regression: cp $f tests/data/fuzz/$name/<what-it-is>-$(basename "$f")" >&2
    done
    [ -n "$found" ] || echo "  no input written; see $log" >&2
  fi
  summary+=("$line")
done

echo "fuzz.sh: summary"
printf '  %s\n' "${summary[@]}"
if [ "$status" -ne 0 ]; then
  echo "fuzz.sh: crashes found. Copy each input into tests/data/fuzz/<alert_parser|monitor_query>/ (the unit test FuzzRegression* replays them) and report it to the parser's owner." >&2
fi
exit "$status"
