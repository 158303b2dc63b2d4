#!/usr/bin/env bash
# Validates action.yml against the public JSON schema for GitHub action metadata (SchemaStore)
# and .pre-commit-hooks.yaml against pre-commit's own manifest check. Needs network and
# Python; CI runs it (the offline structural check is the `action_metadata` integration test).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet check-jsonschema pre-commit

# check-jsonschema ships SchemaStore's github-action schema as a vendored schema.
"$work/venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
# Any YAML/structure error in the hook manifest fails here.
"$work/venv/bin/pre-commit" validate-manifest .pre-commit-hooks.yaml
echo "ok: action.yml and .pre-commit-hooks.yaml are valid"
