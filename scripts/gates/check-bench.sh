#!/usr/bin/env bash
# Times `promptci check` on a generated project of SUITES suites × CASES cases, each suite with
# a ~250-token template, assertions (contains, regex, json-schema) and a prompt-tokens budget.
# Usage: [BUDGET=prompt-tokens] scripts/gates/check-bench.sh [BINARY] [SUITES] [CASES] [RUNS]
# The default budget (2000) is cleared by the byte bound; BUDGET=300 needs exact counts.
set -euo pipefail
binary=${1:-target/release/promptci}
binary=$(realpath "$binary")
suites=${2:-100}
cases=${3:-10}
runs=${4:-10}
budget=${BUDGET:-2000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/suites"
printf 'targets:\n  default:\n    provider: mock\n    model: gpt-4o-mini\n' > "$dir/promptci.yaml"
policy="Refunds take five business days. Exchanges need a receipt. Escalate to a human when asked."
for s in $(seq -w 1 "$suites"); do
  sub="$dir/suites/team$s"
  mkdir -p "$sub"
  {
    printf 'You are the support assistant of {{ company }} for {{ product }} (tier: {{ tier }}).\n'
    for i in 1 2 3 4 5 6; do printf '%s Rule %s for suite %s: be brief, be exact, never guess.\n' "$policy" "$i" "$s"; done
    printf '{%% if tier == "enterprise" %%}Offer the phone line.{%% endif %%}\n'
  } > "$sub/system.j2"
  {
    printf 'prompt: { id: prompt_%s, template: system.j2 }\n' "$s"
    printf 'vars: { company: Acme, product: Widget, tier: standard }\n'
    printf 'budget: { prompt-tokens: %s, completion-tokens: 400 }\n' "$budget"
    printf 'assert:\n  - max-chars: 900\n  - not-regex: "(?i)as an ai"\n'
    printf 'cases:\n'
    for c in $(seq 1 "$cases"); do
      printf '  - name: case_%s\n    vars: { tier: %s }\n    user: "Question %s about order %s: where is it?"\n' \
        "$c" "$([ $((c % 3)) -eq 0 ] && echo enterprise || echo standard)" "$c" "$s$c"
      printf '    assert:\n      - icontains-any: [order, shipping]\n      - regex: "\\\\b(day|days|hour)s?\\\\b"\n'
      printf '      - json-schema: { type: object, required: [answer] }\n'
    done
  } > "$sub/suite.yaml"
done
cd "$dir"
"$binary" check >/dev/null
best=999999
total=0
cpu_best=999999
for _ in $(seq 1 "$runs"); do
  # wall and CPU (user + system) milliseconds of one run
  read -r wall cpu < <(/usr/bin/time -f "%e %U %S" "$binary" check 2>&1 >/dev/null | tail -1 |
    awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }')
  total=$((total + wall))
  [ "$wall" -lt "$best" ] && best=$wall
  [ "$cpu" -lt "$cpu_best" ] && cpu_best=$cpu
done
echo "check of $suites suites × $cases cases (prompt budget $budget): wall best ${best} ms, mean $((total / runs)) ms; CPU best ${cpu_best} ms; over $runs runs (load: $(cut -d' ' -f1 /proc/loadavg))"
