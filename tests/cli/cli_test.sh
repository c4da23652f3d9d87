#!/usr/bin/env bash
# The kfix command line contract: --help everywhere, exit code 0 on
# success, 2 on bad usage, 1 on failure, clear messages naming the file and
# field.
set -uo pipefail
kfix=${1:?path to kfix}
src=${2:?source dir}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
passes=0

expect() {  # expect CODE DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, wanted $want"; sed 's/^/  | /' "$work/err" | head -5
    failures=$((failures + 1))
  else
    passes=$((passes + 1))
  fi
}

expect_text() {  # expect_text FILE PATTERN DESCRIPTION
  if grep -qE "$2" "$1"; then passes=$((passes + 1)); else
    echo "FAIL: $3: /$2/ not in output"; head -5 "$1" | sed 's/^/  | /'
    failures=$((failures + 1)); fi
}

expect 0 "kfix --help" -- "$kfix" --help
expect_text "$work/out" "serve" "top-level help lists serve"
for sub in serve replay "config check"; do
  # shellcheck disable=SC2086
  expect 0 "kfix $sub --help" -- "$kfix" $sub --help
done
expect 2 "no subcommand" -- "$kfix"
expect 2 "unknown subcommand" -- "$kfix" frobnicate
expect 2 "unknown flag" -- "$kfix" serve --no-such-flag
expect 2 "replay without a folder" -- "$kfix" replay
expect 2 "replay of a missing folder" -- "$kfix" replay /nonexistent/incident
expect 0 "kfix record --help" -- "$kfix" record --help
expect_text "$work/out" "[-][-]alert" "record help names --alert"
expect 2 "record without --out" -- "$kfix" record --alert "$src/datasets/samples/oom-checkout-0314/alert.json"
expect 2 "record of a missing alert file" -- "$kfix" record --alert /nonexistent.json --out x
# Nothing live configured: a clear refusal, nothing written.
expect 1 "record with simulated APIs" -- env -u KFIX_KUBERNETES_TOKEN \
  -u KFIX_DATADOG_API_KEY -u KUBERNETES_SERVICE_HOST "$kfix" record \
  --alert "$src/datasets/samples/oom-checkout-0314/alert.json" --out rec-x
expect_text "$work/err" "captures a live incident" "record refusal says why"

# config check: defaults pass; a bad file names the file and field.
expect 0 "config check on defaults" -- "$kfix" config check
cat > bad.yaml <<'YAML'
server:
  listen: 127.0.0.1:8080
  threads: many
YAML
expect 1 "config with a wrong type" -- "$kfix" config check --config bad.yaml
expect_text "$work/err" "bad.yaml: server.threads" "error names file and field"
cat > secret.yaml <<'YAML'
gitlab:
  token: glpat-123
YAML
expect 1 "config holding a secret" -- "$kfix" --config secret.yaml config check
expect_text "$work/err" "secret.yaml: gitlab.token: secrets are never read" \
  "secret in config refused"
cat > unknown.yaml <<'YAML'
datadog:
  sight: eu
YAML
expect 1 "config with an unknown key" -- "$kfix" serve --config unknown.yaml
expect_text "$work/err" "datadog.sight: unknown key" "unknown key named"

# serve refuses a non-loopback address without a webhook token.
expect 1 "serve on 0.0.0.0 without token" -- env -u KFIX_WEBHOOK_TOKEN \
  "$kfix" serve --listen 0.0.0.0:0 --database-url postgresql://127.0.0.1:1/x
expect_text "$work/err" "KFIX_WEBHOOK_TOKEN" "refusal names the token"

# replay of a bundled incident succeeds offline, as JSON.
cd "$src"
expect 0 "replay --json of a sample" -- "$kfix" replay --json \
  datasets/samples/oom-checkout-0314
expect_text "$work/out" '"decision"' "replay JSON has a decision"
expect_text "$work/out" '"sources"' "replay JSON has the sources"
expect_text "$work/out" '"plans"' "replay JSON has the plans"

# eval: usage errors are 2; a run writes the three reports; the gate and
# the diff exit 1 on a regression.
for sub in eval "eval diff"; do
  # shellcheck disable=SC2086
  expect 0 "kfix $sub --help" -- "$kfix" $sub --help
done
expect 2 "eval without a dataset" -- "$kfix" eval
expect 2 "eval of a missing dataset" -- "$kfix" eval --dataset /nonexistent
expect 2 "eval with an unknown strategy" -- "$kfix" eval \
  --dataset datasets/samples --strategy telepathy
expect_text "$work/err" "telepathy: unknown \(available: rules" \
  "unknown strategy named with the available ones"
expect 0 "eval of the samples" -- "$kfix" eval --dataset datasets/samples \
  --report "$work/report" --write-baseline "$work/baseline.json"
for f in report.json report.md report.html; do
  if [ -s "$work/report/$f" ]; then passes=$((passes + 1)); else
    echo "FAIL: eval wrote no $f"; failures=$((failures + 1)); fi
done
expect_text "$work/out" "\\| rules \\| 3 \\|" "eval prints the summary table"
expect 0 "eval gate against its own baseline" -- "$kfix" eval \
  --dataset datasets/samples --baseline "$work/baseline.json"
python3 - "$work/baseline.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
b["strategies"]["rules"]["summary"]["top1_correct_rate"] = 1.01
json.dump(b, open(sys.argv[1], "w"))
PY
expect 1 "eval gate below the baseline" -- "$kfix" eval \
  --dataset datasets/samples --baseline "$work/baseline.json"
expect_text "$work/err" "top1_correct_rate .* below the baseline" \
  "gate names the figure"
expect 0 "eval diff of a report with itself" -- "$kfix" eval diff \
  "$work/report/report.json" "$work/report/report.json"
expect_text "$work/out" "0 regression" "diff counts regressions"
expect 2 "eval diff of missing files" -- "$kfix" eval diff /nonexistent/a \
  /nonexistent/b
echo '{"not": "a report"}' > "$work/bogus.json"
expect 1 "eval diff of a non-report" -- "$kfix" eval diff "$work/bogus.json" \
  "$work/report/report.json"
expect_text "$work/err" "not an eval report" "diff names the problem"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
