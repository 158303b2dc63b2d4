#!/bin/sh
# Installs a prebuilt promptci: downloads this machine's release archive, checks it against the
# SHA-256 published beside it, and puts the `promptci` binary into a directory. Needs no Rust
# toolchain: only sh, curl or wget, tar (unzip on Windows) and sha256sum, shasum or openssl.
#
#   curl -fsSL https://github.com/your-org/promptci/releases/latest/download/install.sh | sh
#   sh install.sh --version v0.2.0 --to /usr/local/bin
#
# Options (each has a variable; an option wins over its variable):
#   --to DIR        PROMPTCI_INSTALL_DIR   where the binary goes (default: $XDG_BIN_HOME, else
#                                          ~/.local/bin, the directory uv and pipx use; the
#                                          script never writes outside it)
#   --version TAG   PROMPTCI_VERSION       a release tag such as v0.2.0 (default: latest)
#   --target TRIPLE PROMPTCI_TARGET        the build to fetch (default: this machine's)
#   --base-url URL  PROMPTCI_DOWNLOAD_URL  the directory holding the release's files, for a
#                                          mirror or a test (https://, http:// or file://;
#                                          default: the GitHub release of PROMPTCI_REPOSITORY)
#                   PROMPTCI_REPOSITORY    owner/name on GitHub (default: your-org/promptci)
#
# Exit codes: 0 installed; 1 a local problem (no downloader, unwritable directory, a binary
# that does not run); 2 bad usage; 3 the archive or its checksum could not be downloaded (no
# such release, or no build of it for this platform); 4 the archive does not match its
# checksum; 5 no build exists for this platform at all. The GitHub Action falls back to
# building from source on 3 and 5, and never on 4.

set -eu

repository=${PROMPTCI_REPOSITORY:-your-org/promptci}
version=${PROMPTCI_VERSION:-latest}
target=${PROMPTCI_TARGET:-}
base_url=${PROMPTCI_DOWNLOAD_URL:-}
install_dir=${PROMPTCI_INSTALL_DIR:-}

say() {
    printf 'promptci-install: %s\n' "$*" >&2
}

# Prints the message and leaves with the given code.
fail() {
    code=$1
    shift
    say "error: $*"
    exit "$code"
}

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2 2>/dev/null || true
}

while [ $# -gt 0 ]; do
    case $1 in
        --to | --version | --target | --base-url)
            [ $# -ge 2 ] || fail 2 "\`$1\` needs a value (see --help)"
            case $1 in
                --to) install_dir=$2 ;;
                --version) version=$2 ;;
                --target) target=$2 ;;
                --base-url) base_url=$2 ;;
            esac
            shift 2
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *) fail 2 "unknown argument \`$1\` (options: --to, --version, --target, --base-url, --help)" ;;
    esac
done

# The triples the release workflow builds; keep both lists in step.
detect_target() {
    os=$(uname -s)
    arch=$(uname -m)
    case $arch in
        x86_64 | amd64) arch=x86_64 ;;
        aarch64 | arm64) arch=aarch64 ;;
    esac
    case $os in
        Linux) os=unknown-linux-musl ;;
        Darwin) os=apple-darwin ;;
        MINGW* | MSYS* | CYGWIN* | Windows_NT) os=pc-windows-msvc ;;
    esac
    printf '%s-%s\n' "$arch" "$os"
}

if [ -z "$target" ]; then
    target=$(detect_target)
fi
case $target in
    x86_64-unknown-linux-musl | aarch64-unknown-linux-musl | x86_64-apple-darwin | \
        aarch64-apple-darwin | x86_64-pc-windows-msvc) ;;
    *) fail 5 "no prebuilt promptci for \`$target\`; build it instead: cargo install --locked --git https://github.com/$repository promptci" ;;
esac

case $target in
    *windows*)
        archive=promptci-$target.zip
        binary=promptci.exe
        ;;
    *)
        archive=promptci-$target.tar.gz
        binary=promptci
        ;;
esac

if [ -z "$base_url" ]; then
    case $version in
        latest) base_url=https://github.com/$repository/releases/latest/download ;;
        v*) base_url=https://github.com/$repository/releases/download/$version ;;
        *) base_url=https://github.com/$repository/releases/download/v$version ;;
    esac
fi
base_url=${base_url%/}

if [ -z "$install_dir" ]; then
    if [ -n "${XDG_BIN_HOME:-}" ]; then
        install_dir=$XDG_BIN_HOME
    elif [ -n "${HOME:-}" ]; then
        install_dir=$HOME/.local/bin
    else
        fail 2 "neither HOME nor XDG_BIN_HOME is set: choose a directory with --to DIR"
    fi
fi

# Downloads URL to FILE; any failure (404, refused connection, missing file) is exit 3.
download() {
    if command -v curl >/dev/null 2>&1; then
        curl --fail --silent --show-error --location --retry 2 --connect-timeout 20 \
            --output "$2" "$1" || fail 3 "could not download $1"
    elif command -v wget >/dev/null 2>&1; then
        case $1 in
            file://*) cp "${1#file://}" "$2" 2>/dev/null || fail 3 "could not download $1" ;;
            *) wget --quiet --tries=3 --output-document="$2" "$1" || fail 3 "could not download $1" ;;
        esac
    else
        fail 1 "neither curl nor wget is installed: install one of them and run this again"
    fi
}

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d ' ' -f 1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d ' ' -f 1
    elif command -v openssl >/dev/null 2>&1; then
        openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
    else
        fail 1 "no SHA-256 tool (sha256sum, shasum or openssl) to verify the download with"
    fi
}

work=$(mktemp -d 2>/dev/null || mktemp -d -t promptci-install)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

say "downloading $base_url/$archive"
download "$base_url/$archive" "$work/$archive"
download "$base_url/$archive.sha256" "$work/$archive.sha256"

expected=$(cut -d ' ' -f 1 <"$work/$archive.sha256" | head -n 1 | tr 'A-F' 'a-f')
case $expected in
    *[!0-9a-f]* | '') fail 4 "$archive.sha256 holds no SHA-256 (expected 64 hex digits)" ;;
esac
[ ${#expected} -eq 64 ] || fail 4 "$archive.sha256 holds no SHA-256 (expected 64 hex digits)"
actual=$(sha256_of "$work/$archive")
if [ "$actual" != "$expected" ]; then
    fail 4 "checksum mismatch for $archive: expected $expected, got $actual; nothing was installed (a corrupted download, or a tampered mirror)"
fi
say "verified SHA-256 $actual"

mkdir "$work/unpacked"
case $archive in
    *.zip)
        if command -v unzip >/dev/null 2>&1; then
            unzip -q "$work/$archive" -d "$work/unpacked" || fail 1 "could not unpack $archive"
        else
            tar -xf "$work/$archive" -C "$work/unpacked" || fail 1 "could not unpack $archive"
        fi
        ;;
    *) tar -xzf "$work/$archive" -C "$work/unpacked" || fail 1 "could not unpack $archive" ;;
esac
unpacked=$work/unpacked/promptci-$target/$binary
[ -f "$unpacked" ] || fail 1 "$archive holds no promptci-$target/$binary"
chmod 755 "$unpacked"
installed_version=$("$unpacked" --version 2>/dev/null) ||
    fail 1 "the downloaded promptci does not run on this machine (built for $target)"

mkdir -p "$install_dir" || fail 1 "could not create $install_dir: choose another with --to DIR"
# Copied beside the destination, then renamed, so a running or half-written binary is never
# replaced in place.
staged=$install_dir/.promptci-install.$$
cp "$unpacked" "$staged" || fail 1 "could not write into $install_dir: choose another with --to DIR"
chmod 755 "$staged"
mv -f "$staged" "$install_dir/$binary" || {
    rm -f "$staged"
    fail 1 "could not replace $install_dir/$binary"
}
say "installed $installed_version to $install_dir/$binary"

case ":${PATH:-}:" in
    *":$install_dir:"*) ;;
    *) say "$install_dir is not on PATH; add it, for example: export PATH=\"$install_dir:\$PATH\"" ;;
esac
