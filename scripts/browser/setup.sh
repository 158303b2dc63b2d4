#!/usr/bin/env bash
# Installs what the browser test needs, from the package registries only:
#   - Debian's Chromium (/usr/bin/chromium), when it is missing and we may install packages;
#   - playwright-core from npm, exactly as pinned in package-lock.json (it drives the system
#     Chromium; it never downloads a browser of its own).
# Idempotent: an installed Chromium and an up-to-date node_modules are left alone.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { printf 'browser setup: %s\n' "$*" >&2; }
started=$SECONDS

chromium="${PROMPTCI_CHROMIUM:-/usr/bin/chromium}"
if [[ -x "$chromium" ]]; then
    log "chromium present: $("$chromium" --version 2>/dev/null || echo "$chromium")"
elif [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    log "installing chromium (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends chromium >&2
else
    log "ERROR: no Chromium at $chromium and cannot install it (needs root and apt-get); set PROMPTCI_CHROMIUM"
    exit 1
fi

for tool in node npm sha256sum; do
    command -v "$tool" >/dev/null || { log "ERROR: '$tool' is required but not on PATH"; exit 1; }
done
# npm ci always deletes node_modules and reinstalls; a stamp holding the lockfile's hash
# lets repeat runs skip that when nothing changed.
stamp="$here/node_modules/.promptci-lock-sha256"
lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_sum" ]]; then
    log "node_modules already matches package-lock.json"
else
    log "installing playwright-core (npm ci)"
    (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
    printf '%s\n' "$lock_sum" >"$stamp"
fi
log "ready in $((SECONDS - started)) s"
