#!/usr/bin/env bash
# Regenerates package-lock.json after a change to package.json.
#
# Why not plain `npm install`: node-llama-cpp lists one optional prebuilt
# package per platform (win-x64, mac-x64, linux-riscv64, ...). The registry
# reachable from our machines does not serve every one of them at the pinned
# version; npm install shrugs off a missing optional package and leaves it out
# of the lockfile, but `npm ci` then refuses the lockfile as "out of sync"
# ("Missing: @node-llama-cpp/win-x64@ from lock file"). So after npm has
# written the lockfile, this script adds a placeholder entry (version, os, cpu,
# optional) for each such package. `npm ci --omit=optional` never fetches
# optional packages, so the placeholders are only there to keep ci's
# consistency check satisfied.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

rm -f package-lock.json
npm install --package-lock-only --ignore-scripts --no-audit --no-fund

node - <<'JS'
const fs = require("node:fs");
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
const pkgs = lock.packages;
const optional = pkgs["node_modules/node-llama-cpp"].optionalDependencies ?? {};
// Package names are @node-llama-cpp/<os>-<cpu>[-<gpu>].
const osOf = { linux: "linux", mac: "darwin", win: "win32" };
for (const [name, version] of Object.entries(optional)) {
    const key = `node_modules/${name}`;
    if (pkgs[key]) continue;
    const [osName, cpu] = name.split("/")[1].split("-");
    pkgs[key] = { version, cpu: [cpu], license: "MIT", optional: true, os: [osOf[osName] ?? osName] };
    console.error(`relock: added placeholder for ${name}@${version} (not served by the registry)`);
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
fs.writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
JS

# Prove the result installs the way setup.sh installs it.
rm -rf node_modules
npm ci --omit=optional --ignore-scripts --no-audit --no-fund
