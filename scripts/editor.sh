#!/usr/bin/env bash
# Try the Spinlens extension in a real VS Code in your browser (code-server).
#
#   scripts/editor.sh [VSIX]     default: dist/spinlens-0.1.0.vsix (built with `make package` if missing)
#
# Installs what it needs (tests/e2e/setup.sh), installs the VSIX into a persistent,
# git-ignored profile in .editor/, runs the example flow once if it has no successful
# run yet, starts code-server on 127.0.0.1 with examples/ open and prints its URL.
# Stays in the foreground; Ctrl-C stops code-server and everything it started.
#
# SPINLENS_EDITOR_PORT (default 8765, or a free port if that one is taken),
# SPINLENS_EDITOR_PYTHON (default .venv/bin/python).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
say() { printf '[editor] %s\n' "$*"; }

VSIX="$(realpath -m "${1:-$REPO/dist/spinlens-0.1.0.vsix}")"
PYTHON="${SPINLENS_EDITOR_PYTHON:-$REPO/.venv/bin/python}"
PROFILE="$REPO/.editor"
CODE_SERVER="$REPO/tests/e2e/.tools/code-server/node_modules/.bin/code-server"
WORKSPACE="$REPO/examples"

bash "$REPO/tests/e2e/setup.sh"

if [ ! -x "$PYTHON" ]; then
    say "no $PYTHON: setting up .venv (make .venv/.spinlens-installed)"
    make .venv/.spinlens-installed
fi
if [ ! -f "$VSIX" ]; then
    if [ "$VSIX" = "$REPO/dist/spinlens-0.1.0.vsix" ]; then
        say "no VSIX yet: building it (make package)"
        make package
    else
        say "no such VSIX: $VSIX"
        exit 2
    fi
fi

# The profile: code-server's user data, extensions and config. A .gitignore of "*"
# inside keeps the whole folder out of git.
mkdir -p "$PROFILE/user-data/User" "$PROFILE/extensions" "$PROFILE/config" "$PROFILE/data"
[ -f "$PROFILE/.gitignore" ] || printf '*\n' >"$PROFILE/.gitignore"
export XDG_CONFIG_HOME="$PROFILE/config" XDG_DATA_HOME="$PROFILE/data"
export USERNAME="${USERNAME:-$(whoami)}" # Metaflow needs a user name
unset VSCODE_IPC_HOOK_CLI

# Quiet workbench defaults and spinlens.python; settings you changed are kept.
node - "$PROFILE/user-data/User/settings.json" "$PYTHON" <<'EOF'
const fs = require('fs');
const [file, python] = process.argv.slice(2);
let settings = {};
if (fs.existsSync(file)) {
  try {
    settings = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    console.log(`[editor] ${file} is not plain JSON (comments?): left as it is`);
    process.exit(0);
  }
}
const defaults = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'workbench.enableExperiments': false,
};
fs.writeFileSync(file, JSON.stringify({ ...defaults, ...settings, 'spinlens.python': python }, null, 2) + '\n');
EOF

say "installing $(basename "$VSIX") into .editor/extensions"
"$CODE_SERVER" --install-extension "$VSIX" --force \
    --extensions-dir "$PROFILE/extensions" --user-data-dir "$PROFILE/user-data" \
    | sed 's/^/[editor] /'

# A successful run of the example flow to spin against.
if ! (cd "$WORKSPACE" && "$PYTHON" -c '
from metaflow import Flow, namespace
namespace(None)
raise SystemExit(0 if Flow("TrainingFlow").latest_successful_run else 1)
' >/dev/null 2>&1); then
    say "no successful run of examples/training_flow.py yet: running it once (about 20 s)"
    (cd "$WORKSPACE" && "$PYTHON" training_flow.py run)
fi

PORT="${SPINLENS_EDITOR_PORT:-8765}"
if ! node -e '
const s = require("net").createServer();
s.once("error", () => process.exit(1));
s.listen(Number(process.argv[1]), "127.0.0.1", () => s.close());
' "$PORT"; then
    PORT="$(node -e '
const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });
')"
fi

# code-server in its own process group; every process it starts carries the tag, so
# that Ctrl-C also ends kernels that left the group.
TAG="editor-$$-$(date +%s%N)"
export SPINLENS_EDITOR_TAG="$TAG"
setsid "$CODE_SERVER" \
    --auth none \
    --bind-addr "127.0.0.1:$PORT" \
    --disable-telemetry \
    --disable-update-check \
    --disable-workspace-trust \
    --user-data-dir "$PROFILE/user-data" \
    --extensions-dir "$PROFILE/extensions" \
    "$WORKSPACE" >"$PROFILE/code-server.log" 2>&1 &
PID=$!

stop() {
    trap - INT TERM EXIT
    say "stopping code-server"
    kill -TERM -- "-$PID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 -- "-$PID" 2>/dev/null || break
        sleep 0.5
    done
    kill -KILL -- "-$PID" 2>/dev/null || true
    local pids
    pids=$(grep -lsaF "SPINLENS_EDITOR_TAG=$TAG" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | grep -vx "$$" || true)
    if [ -n "$pids" ]; then
        kill $pids 2>/dev/null || true
    fi
}
trap stop EXIT
trap 'exit 130' INT TERM

for _ in $(seq 1 100); do
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
        "http://127.0.0.1:$PORT/healthz"; then break; fi
    if ! kill -0 "$PID" 2>/dev/null; then
        say "code-server exited; its log:"
        cat "$PROFILE/code-server.log"
        exit 1
    fi
    sleep 0.2
done

URL="http://127.0.0.1:$PORT/?folder=$WORKSPACE"
say "code-server is up; log in .editor/code-server.log"
say "open: $URL"
say "(open examples/training_flow.py and use the lenses above each @step; Ctrl-C here to stop)"
wait "$PID"
