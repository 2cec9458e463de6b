#!/usr/bin/env bash
# Installs what the end-to-end tests need on a fresh Debian machine with Node 20:
#   - Debian's chromium, libkrb5-dev (headers for a code-server native module) and
#     ripgrep (fed to @vscode/ripgrep, whose postinstall would otherwise download);
#   - code-server 4.100.3 (the last release that runs on Node 20) in tests/e2e/.tools/;
#   - playwright-core from tests/e2e/package-lock.json into tests/e2e/node_modules
#     (no browser download: Debian's chromium is used).
# Idempotent: each part is skipped when it is already there. Safe to run as root.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS="$HERE/.tools"
CODE_SERVER_VERSION=4.100.3
RIPGREP_CACHE_NAME=vscode-ripgrep-cache-1.15.11
case "$(uname -m)" in
    aarch64 | arm64) RIPGREP_TARGET=aarch64-unknown-linux-musl ;;
    *) RIPGREP_TARGET=x86_64-unknown-linux-musl ;;
esac
RIPGREP_ARCHIVE="ripgrep-v13.0.0-10-$RIPGREP_TARGET.tar.gz"

say() { printf '[e2e setup] %s\n' "$*"; }
started=$(date +%s)

# --- Debian packages -------------------------------------------------------
missing=()
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for pkg in chromium libkrb5-dev ripgrep; do
    installed "$pkg" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    say "installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    say "Debian packages present (chromium, libkrb5-dev, ripgrep)"
fi

# --- code-server -----------------------------------------------------------
CS_DIR="$TOOLS/code-server"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"
have_version=""
if [ -x "$CS_BIN" ]; then
    have_version="$(node -p "require('$CS_DIR/node_modules/code-server/package.json').version" 2>/dev/null || true)"
fi
if [ "$have_version" = "$CODE_SERVER_VERSION" ]; then
    say "code-server $CODE_SERVER_VERSION present in tests/e2e/.tools/code-server"
else
    say "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (about a minute)"
    mkdir -p "$CS_DIR" "$TOOLS/tmp/$RIPGREP_CACHE_NAME"
    # @vscode/ripgrep's postinstall downloads rg from GitHub unless its cache holds
    # the archive: give it one holding Debian's rg.
    archive="$TOOLS/tmp/$RIPGREP_CACHE_NAME/$RIPGREP_ARCHIVE"
    if [ ! -s "$archive" ]; then
        stage="$(mktemp -d)"
        cp "$(command -v rg)" "$stage/rg"
        tar -czf "$archive" -C "$stage" rg
        rm -rf "$stage"
    fi
    if [ ! -f "$CS_DIR/package.json" ]; then
        printf '{\n  "name": "spinlens-e2e-code-server",\n  "private": true\n}\n' >"$CS_DIR/package.json"
    fi
    # root needs unsafe-perm for the postinstalls; node-pty's runs `npx node-gyp`.
    (
        cd "$CS_DIR"
        TMPDIR="$TOOLS/tmp" npm_config_unsafe_perm=true npm_config_yes=true \
            npm install --no-audit --no-fund --loglevel=error \
            "code-server@$CODE_SERVER_VERSION"
    )
    test -x "$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" \
        || { say "code-server's ripgrep is missing: the install failed"; exit 1; }
    say "code-server $(node -p "require('$CS_DIR/node_modules/code-server/package.json').version") installed"
fi

# --- playwright-core -------------------------------------------------------
PW_WANT="$(node -p "require('$HERE/package-lock.json').packages['node_modules/playwright-core'].version")"
PW_HAVE="$(node -p "require('$HERE/node_modules/playwright-core/package.json').version" 2>/dev/null || true)"
if [ "$PW_HAVE" = "$PW_WANT" ]; then
    say "playwright-core $PW_HAVE present in tests/e2e/node_modules"
else
    say "installing playwright-core $PW_WANT (npm ci, no browser download)"
    (cd "$HERE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

say "done in $(($(date +%s) - started)) s"
