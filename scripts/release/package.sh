#!/bin/sh
# Packs one release build the way scripts/install.sh and the GitHub Action unpack it:
#
#   scripts/release/package.sh TARGET BINARY OUT_DIR
#
# writes OUT_DIR/promptci-TARGET.tar.gz (.zip for Windows) holding promptci-TARGET/promptci
# (promptci.exe), README.md and CHANGELOG.md, and beside it ARCHIVE.sha256 in `sha256sum`'s
# format. The release workflow runs it for each target; the install tests run it on the debug
# binary, so what they install is laid out as a release is.

set -eu

if [ $# -ne 3 ]; then
    echo "usage: $0 TARGET BINARY OUT_DIR" >&2
    exit 2
fi
target=$1
binary=$2
out_dir=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)

[ -f "$binary" ] || {
    echo "error: no binary at $binary" >&2
    exit 1
}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
name=promptci-$target
mkdir "$stage/$name"
case $target in
    *windows*) exe=promptci.exe ;;
    *) exe=promptci ;;
esac
cp "$binary" "$stage/$name/$exe"
chmod 755 "$stage/$name/$exe"
cp "$repo/README.md" "$repo/CHANGELOG.md" "$stage/$name/"

case $target in
    *windows*)
        archive=$name.zip
        rm -f "$out_dir/$archive"
        if command -v 7z >/dev/null 2>&1; then
            (cd "$stage" && 7z a -tzip -bd "$out_dir/$archive" "$name" >/dev/null)
        else
            (cd "$stage" && zip -qr "$out_dir/$archive" "$name")
        fi
        ;;
    *)
        archive=$name.tar.gz
        (cd "$stage" && tar -czf "$out_dir/$archive" "$name")
        ;;
esac

cd "$out_dir"
if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$archive" >"$archive.sha256"
else
    shasum -a 256 "$archive" >"$archive.sha256"
fi
cat "$archive.sha256"
