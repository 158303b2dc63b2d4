#!/usr/bin/env bash
# Usage: scripts/real-model/with-server.sh CMD [ARGS...]
#
# Starts server.mjs (SmolLM2-135M on llama.cpp, CPU) on a free loopback port,
# waits until it reports healthy, runs CMD with
#   PROMPTCI_REAL_BASE_URL=http://127.0.0.1:PORT/v1
# in its environment, and stops the server however CMD ends. Exits with CMD's
# exit status (or 1 if the server never became healthy).
#
# Runs setup.sh first (quick when everything is already installed); set
# PROMPTCI_REAL_SKIP_SETUP=1 to skip that.
#
# Environment:
#   PROMPTCI_REAL_STARTUP_TIMEOUT  seconds to wait for /health (default 120)
#   PROMPTCI_REAL_LOG              server log file (default: a temp file, kept
#                                  only if the server fails to start)
#   PROMPTCI_REAL_MODEL_DIR, PROMPTCI_REAL_THREADS, PROMPTCI_REAL_CTX
#                                  passed through to setup.sh / server.mjs
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
timeout_s="${PROMPTCI_REAL_STARTUP_TIMEOUT:-120}"

log() { printf 'with-server: %s\n' "$*" >&2; }

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

if [[ "${PROMPTCI_REAL_SKIP_SETUP:-0}" != 1 ]]; then
    "$here/setup.sh"
fi

if [[ -n "${PROMPTCI_REAL_LOG:-}" ]]; then
    server_log="$PROMPTCI_REAL_LOG"
    keep_log=1
    : >"$server_log"
else
    server_log="$(mktemp "${TMPDIR:-/tmp}/promptci-real-server.XXXXXX.log")"
    keep_log=0
fi

server_pid=""
# shellcheck disable=SC2317  # only ever called from the EXIT trap
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        # The server exits within ~2 s of SIGTERM; escalate if it does not.
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
    if [[ "$keep_log" == 0 ]]; then rm -f "$server_log"; fi
}
cmd_pid=""
# Sends signal $1 to the command and gives it $2 tenths of a second to exit.
# shellcheck disable=SC2317  # only ever called from on_signal
signal_cmd() {
    kill -"$1" "$cmd_pid" 2>/dev/null || return 0
    for _ in $(seq "$2"); do
        kill -0 "$cmd_pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}
# On INT/TERM, stop the command too (it runs in the background, see below),
# then exit; the EXIT trap then stops the server, exactly once. The command
# gets INT first because that is what promptci treats as "stop and still write
# the reports" (so a CI timeout leaves a JUnit file), then TERM, then KILL.
# shellcheck disable=SC2317  # only ever called from the INT/TERM traps
on_signal() {
    local status="$1"
    if [[ -n "$cmd_pid" ]] && kill -0 "$cmd_pid" 2>/dev/null; then
        signal_cmd INT 50 || signal_cmd TERM 50 || kill -KILL "$cmd_pid" 2>/dev/null || true
    fi
    exit "$status"
}
trap stop_server EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

fail_start() {
    log "ERROR: $*"
    log "last lines of the server log ($server_log):"
    tail -n 30 "$server_log" >&2 || true
    keep_log=1
    exit 1
}

# Port 0: the server binds a free port itself and prints it, so there is no
# window in which another process can take a port we picked.
PROMPTCI_REAL_PORT=0 node "$here/server.mjs" >"$server_log" 2>&1 &
server_pid=$!

started=$SECONDS
t0=$EPOCHREALTIME
port=""
base=""
while :; do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        wait "$server_pid" 2>/dev/null && rc=0 || rc=$?
        server_pid=""
        fail_start "server exited with status $rc before becoming healthy"
    fi
    if [[ -z "$port" ]]; then
        port="$(sed -n 's|^listening on http://127\.0\.0\.1:\([0-9][0-9]*\)$|\1|p' "$server_log" | head -n 1)"
        [[ -n "$port" ]] && base="http://127.0.0.1:$port"
    fi
    # Node is already required, so use its fetch rather than depend on curl.
    if [[ -n "$port" ]] && node -e '
        fetch(process.argv[1], { signal: AbortSignal.timeout(2000) })
            .then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1));
    ' "$base/health"; then
        break
    fi
    if (( SECONDS - started >= timeout_s )); then
        fail_start "server not healthy after ${timeout_s}s"
    fi
    sleep 0.25
done
elapsed_ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
log "server healthy at $base after ${elapsed_ms} ms (pid $server_pid)"

export PROMPTCI_REAL_BASE_URL="$base/v1"
# The command runs in the background with `wait` so that a TERM sent to this
# script alone is handled at once (bash defers traps until a foreground child
# exits). `<&0` keeps our stdin, which a background job would otherwise lose.
"$@" <&0 &
cmd_pid=$!
rc=0
wait "$cmd_pid" || rc=$?
cmd_pid=""
exit "$rc"
