#!/usr/bin/env sh
# Prints what a finished bootstrap of this checkout looks like: the Node on PATH, the lockfile, the
# patches, the lab's tool catalogue and the bootstrap itself. scripts/bootstrap.sh writes it to
# node_modules/.multiclaw-ready when it succeeds; scripts/ready.sh compares it.
set -eu
repo_root=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo_root"
{
  node -v 2>/dev/null || echo no-node
  cat pnpm-lock.yaml pnpm-workspace.yaml patches/* lab/cli/src/tools/catalog.ts scripts/bootstrap.sh
} | sha256sum | cut -d' ' -f1
