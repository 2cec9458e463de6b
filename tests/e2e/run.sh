#!/usr/bin/env bash
# End-to-end tests of the Spinlens VS Code extension in a real VS Code (code-server)
# driven by Playwright in Debian's Chromium.
#
#   tests/e2e/run.sh [VSIX]     default VSIX: dist/spinlens-0.1.0.vsix (`make package`)
#
# Needs the repo's .venv with spinlens (`make test`/`make demo` make it) or
# SPINLENS_E2E_PYTHON. SPINLENS_E2E_SKIP_SETUP=1 skips tests/e2e/setup.sh;
# SPINLENS_E2E_KEEP=1 keeps the temporary folder. A failing test leaves a screenshot,
# the browser console, the webview's HTML and code-server's/VS Code's logs (with the
# "Spinlens" output channel) in tests/e2e/artifacts/.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"

VSIX="${1:-${SPINLENS_E2E_VSIX:-$REPO/dist/spinlens-0.1.0.vsix}}"
export SPINLENS_E2E_VSIX="$(realpath -m "$VSIX")"
export SPINLENS_E2E_PYTHON="${SPINLENS_E2E_PYTHON:-$REPO/.venv/bin/python}"

if [ "${SPINLENS_E2E_SKIP_SETUP:-0}" != "1" ]; then
    bash "$HERE/setup.sh" || { echo "e2e: setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi
for need in "$SPINLENS_E2E_VSIX:the VSIX (build it with \`make package\`)" \
            "$SPINLENS_E2E_PYTHON:the Python with spinlens (\`make test\` or \`make demo\` sets up .venv)"; do
    if [ ! -e "${need%%:*}" ]; then
        echo "e2e: missing ${need#*:}: ${need%%:*}"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

# Every process the tests start carries SPINLENS_E2E_TAG=<this tag>.<suffix> in its
# environment. The harness ends them; this sweep catches what an interrupted or
# crashed run left, by pid, and nothing else.
TAG="run-$$-$(date +%s%N)"
any_alive() {
    local pid
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
    return 1
}
sweep() {
    local pids
    pids=$(grep -lsaF "SPINLENS_E2E_TAG=$TAG." /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true)
    if [ -n "$pids" ]; then
        echo "e2e: ending leftover processes: $(echo $pids)"
        kill $pids 2>/dev/null || true
        # Up to 5 s for them to exit on SIGTERM, then SIGKILL whatever is left.
        for _ in $(seq 50); do
            any_alive $pids || break
            sleep 0.1
        done
        kill -9 $pids 2>/dev/null || true
    fi
}
trap sweep EXIT
trap 'exit 130' INT TERM

mkdir -p "$HERE/artifacts"
TAP="$HERE/artifacts/last-run.tap"
rm -f "$TAP"

started=$(date +%s)
SPINLENS_E2E_TAG="$TAG" node --test \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$TAP" \
    "$HERE"/*.e2e.mjs
status=$?
sweep

pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$TAP" 2>/dev/null | tail -1)
fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$TAP" 2>/dev/null | tail -1)
cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$TAP" 2>/dev/null | tail -1)
pass=${pass:-0}
fail=$(( ${fail:-0} + ${cancelled:-0} ))
if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
echo "e2e: $(( $(date +%s) - started )) s"
echo "$pass passed, $fail failed"
[ "$status" -eq 0 ] && [ "$fail" -eq 0 ]
