#!/usr/bin/env bash
# The real-model CI stage (.ci/run and .github/workflows/ci.yml both call it): install the
# model and runtime, serve them, run suites/real-model against the live server, stop it.
#
# Usage: scripts/real-model/ci-stage.sh [PROMPTCI_BINARY]   (default: target/debug/promptci,
# built here with `cargo build --locked` when no binary is given)
#
# Keeps the JUnit report (and the JSON report beside it) in $PROMPTCI_CI_ARTIFACTS (default
# target/ci-artifacts) as real-model.xml / real-model.json and prints their path. Exits non-zero
# when a case fails or promptci cannot talk to the model. `timeout` bounds the whole stage at
# PROMPTCI_REAL_STAGE_TIMEOUT seconds (default 900; a cold run takes under a minute).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if [[ $# -gt 0 ]]; then
    promptci="$1"
else
    cargo build --locked --bin promptci
    promptci=target/debug/promptci
fi
artifacts="${PROMPTCI_CI_ARTIFACTS:-target/ci-artifacts}"
mkdir -p "$artifacts"
rm -f "$artifacts"/real-model.xml "$artifacts"/real-model.json

started=$SECONDS
status=0
# --foreground: on timeout only with-server.sh gets the signal; it interrupts promptci (which
# still writes its reports) and then stops the server itself.
# --cache off: the answers must come from the live server, never from a local response cache.
timeout --foreground --kill-after=60 "${PROMPTCI_REAL_STAGE_TIMEOUT:-900}" \
    scripts/real-model/with-server.sh \
    "$promptci" run suites/real-model --target smollm2 --cache off \
    --junit "$artifacts/real-model.xml" --json "$artifacts/real-model.json" ||
    status=$?
echo "real-model: stage took $((SECONDS - started)) s, exit status $status"
if [[ -f "$artifacts/real-model.xml" ]]; then
    echo "real-model: JUnit report: $(cd "$artifacts" && pwd)/real-model.xml"
fi
if [[ "$status" != 0 ]]; then
    echo "real-model: FAILED: a case failed or promptci could not talk to the real model" >&2
fi
exit "$status"
