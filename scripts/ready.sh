#!/usr/bin/env sh
# The gate in front of `pnpm test` and `pnpm lab`: on a machine that the bootstrap has not yet
# brought up to date (Node older than 24, dependencies missing or stale, the lab's tool list
# changed since), run the bootstrap first, so the README's two commands work on a fresh machine.
# When nothing changed it only compares one stamp, so it costs a few milliseconds.
# Plain POSIX sh on purpose: it must run under whatever Node the machine has, even Node 20.
set -eu

repo_root=$(cd "$(dirname "$0")/.." && pwd)
stamp="$repo_root/node_modules/.multiclaw-ready"

wanted=$(sh "$repo_root/scripts/ready-stamp.sh")
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then exit 0; fi

echo "[ready] this checkout is not bootstrapped for $(node -v 2>/dev/null || echo 'no node') yet; running scripts/bootstrap.sh" >&2
bash "$repo_root/scripts/bootstrap.sh"
