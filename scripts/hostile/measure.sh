#!/usr/bin/env bash
# Runs `promptci check` on every hostile input (fixtures/hostile/ plus the large inputs
# tests/integration/hostile.rs generates) and prints, per input, the exit code, wall time, peak
# RSS and stderr size, then the worst of each; an input still running after 60 s counts as
# hung. Needs GNU time (/usr/bin/time), coreutils `timeout` and python3.
#
#   scripts/hostile/measure.sh [PATH-TO-PROMPTCI]     (default: target/release/promptci)
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(realpath "${1:-$repo/target/release/promptci}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

templated=$'prompt:\n  id: p\n  template: t.j2\ncases:\n  - name: a\n    user: hi\n    mock-answer: hi\n'
plain=$'cases:\n  - name: a\n    user: hi\n    mock-answer: hi\n'

# The generated inputs, as the integration test makes them.
mkdir -p "$work/generated"
python3 - "$work/generated" <<'PY'
import sys, os
out = sys.argv[1]
def write(name, text):
    with open(os.path.join(out, name), "w") as f:
        f.write(text)
write("long-line.yaml", "cases:\n  - name: a\n    user: hi\n    bogus: " + "a" * 10_000_000 + "\n")
write("long-line-value.yaml", "cases:\n  - name: a\n    user: " + "b" * 10_000_000 + "\n    repeat: x\n")
write("deep-flow.yaml", "cases: " + "[" * 100_000 + "]" * 100_000 + "\n")
write("deep-block.yaml", "".join("  " * d + "a:\n" for d in range(2_000)))
write("many-aliases.yaml", "vars:\n  x: &x hi\ncases:\n  - name: a\n    user: hi\n    tags: [" + ", ".join(["*x"] * 60_000) + "]\n")
write("many-cases.yaml", "cases:\n" + "".join(
    f"  - name: c{i}\n    user: case {i}\n    mock-answer: yes\n    assert: [{{contains: yes}}]\n"
    for i in range(25_000)))
write("deep-parentheses.j2", "{{ " + "(" * 100_000 + "1" + ")" * 100_000 + " }}")
write("deep-ifs.j2", "{% if true %}" * 10_000 + "x" + "{% endif %}" * 10_000)
PY

printf '%-40s %5s %8s %10s %10s\n' input exit seconds peak-KiB stderr-B
max_seconds=0; max_kib=0; max_stderr=0; crashes=0
measure() { # NAME FILE DESTINATION BASE
  local project="$work/project"
  rm -rf "$project" && mkdir -p "$project/suites"
  printf '%s' "$4" > "$project/suites/s.yaml"
  cp "$2" "$project/$3"
  local code=0
  (cd "$project" && timeout 60 /usr/bin/time -o "$work/time" -f '%e %M' "$binary" check >/dev/null 2>"$work/stderr") || code=$?
  if [ "$code" = 124 ]; then
    printf '%-40s %5s %8s\n' "$1" hung ">60"
    crashes=$((crashes + 1)); max_seconds=60
    return 0
  fi
  read -r seconds kib < <(tail -n 1 "$work/time")
  local bytes; bytes=$(wc -c < "$work/stderr")
  printf '%-40s %5s %8s %10s %10s\n' "$1" "$code" "$seconds" "$kib" "$bytes"
  if [ "$code" -gt 2 ] || grep -q panicked "$work/stderr"; then crashes=$((crashes + 1)); fi
  max_seconds=$(python3 -c "print(max($max_seconds, $seconds))")
  [ "$kib" -gt "$max_kib" ] && max_kib=$kib
  [ "$bytes" -gt "$max_stderr" ] && max_stderr=$bytes
  return 0
}
for file in "$repo"/fixtures/hostile/suites/*; do measure "suites/$(basename "$file")" "$file" suites/s.yaml "$plain"; done
for file in "$repo"/fixtures/hostile/config/*; do measure "config/$(basename "$file")" "$file" promptci.yaml "$plain"; done
for file in "$repo"/fixtures/hostile/templates/*; do measure "templates/$(basename "$file")" "$file" suites/t.j2 "$templated"; done
for file in "$work"/generated/*.yaml; do measure "generated/$(basename "$file")" "$file" suites/s.yaml "$plain"; done
for file in "$work"/generated/*.j2; do measure "generated/$(basename "$file")" "$file" suites/t.j2 "$templated"; done
echo
echo "crashes, panics or hangs: $crashes; slowest: ${max_seconds} s; largest peak RSS: ${max_kib} KiB; largest stderr: ${max_stderr} B"
