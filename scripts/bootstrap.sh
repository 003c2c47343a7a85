#!/usr/bin/env bash
# Brings a fresh Debian machine (root or not) to what MultiClaw Lab needs to build and test:
# Node 24 (from the npm registry, the only place this kind of machine reaches), pnpm, the
# workspace's dependencies, then every system tool the lab and its tests use for real (PostgreSQL,
# coturn, mitmproxy, squid, nftables, libfaketime, minisign, testssl.sh, nmap, toxiproxy and
# actionlint built with Go, ...) through `lab doctor --install`, schemathesis (PyPI) in a venv, and,
# as root, a Docker daemon for the docker driver (scripts/dockerd.sh).
# Safe to run again: every step checks first.
set -euo pipefail

NODE_VERSION=24.21.0
PNPM_VERSION=10.34.9
# schemathesis, for the whole-run checker that fuzzes the cloud's API (scenarios/src/checkers/schemathesis):
# from PyPI into a venv under node_modules/.cache, never committed; the checker names the same version
SCHEMATHESIS_VERSION=4.32.5
# moto, the AWS APIs (S3, Secrets Manager, IMDS, ...) on loopback for deploy/'s tests: from PyPI into a
# venv under node_modules/.cache; the start-up script's docker test mounts it into a base-image container
MOTO_VERSION=5.2.5

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
is_root=0; [ "$(id -u)" = 0 ] && is_root=1

node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

install_node() {
  local arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;; aarch64) arch=arm64 ;;
    *) die "no Node 24 package for $(uname -m); install Node 24 yourself and re-run" ;;
  esac
  command -v npm >/dev/null 2>&1 || die "npm is needed to fetch Node 24 (apt-get install npm)"
  local prefix bindir
  if [ "$is_root" = 1 ]; then prefix=/opt/multiclaw-lab; bindir=/usr/local/bin
  else prefix="$HOME/.local/share/multiclaw-lab"; bindir="$HOME/.local/bin"; fi
  local dest="$prefix/node-$NODE_VERSION"
  if [ ! -x "$dest/bin/node" ]; then
    say "installing Node $NODE_VERSION into $dest (package node-linux-$arch from the npm registry)"
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_VERSION" >/dev/null)
    mkdir -p "$dest"
    tar -xzf "$tmp"/node-linux-*.tgz -C "$dest" --strip-components=1
    rm -rf "$tmp"
  fi
  mkdir -p "$bindir"
  ln -sf "$dest/bin/node" "$bindir/node"
  hash -r
  if [ "$(node_major)" -lt 24 ]; then
    die "Node 24 is in $bindir/node but another node comes first on PATH; put $bindir first"
  fi
}

if [ "$(node_major)" -lt 24 ]; then install_node; fi
say "node $(node -v)"

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  if [ "$is_root" = 1 ]; then npm install -g --silent --prefix /usr/local "pnpm@$PNPM_VERSION" >/dev/null
  else npm install -g --silent --prefix "$HOME/.local" "pnpm@$PNPM_VERSION" >/dev/null; fi
  hash -r
fi
say "pnpm $(pnpm -v)"

say "installing workspace dependencies"
cd "$repo_root"
if [ "${CI:-}" = true ]; then pnpm install --frozen-lockfile --reporter=silent
else pnpm install --reporter=silent; fi

# The system tools (apt packages, Go, toxiproxy) come from ONE list, lab/cli/src/tools/catalog.ts,
# which `pnpm lab doctor` and `pnpm lab up` use too. Not root: it prints the exact commands to run.
say "checking and installing the lab's system tools (lab doctor --install)"
node lab/cli/src/main.ts doctor --install >&2 || die "system tools are missing; see above for the commands to run"
# A PyPI tool in a venv of its own under node_modules/.cache, made again when its version is not the
# one named here. Debian's python3 (python3-venv comes with lab doctor --install), not whatever
# python3 is first on PATH: the moto venv must also run inside the docker driver's base image,
# which has the same one.
# usage: ensure_venv DIR "PRINTED VERSION" "COMMAND THAT PRINTS IT (run in DIR/bin)" PIP-SPEC
ensure_venv() {
  if [ "$(cd "$1/bin" 2>/dev/null && eval "$3" 2>/dev/null)" != "$2" ]; then
    say "installing $4 into $1 (PyPI)"
    rm -rf "$1"
    /usr/bin/python3 -m venv "$1"
    "$1/bin/pip" install --quiet --disable-pip-version-check "$4"
  fi
  say "$4 ready in $1"
}
ensure_venv node_modules/.cache/schemathesis-venv "schemathesis, version $SCHEMATHESIS_VERSION" \
  './schemathesis --version' "schemathesis==$SCHEMATHESIS_VERSION"
ensure_venv node_modules/.cache/moto-venv "$MOTO_VERSION" \
  "./python -c 'import moto; print(moto.__version__)'" "moto[server]==$MOTO_VERSION"
# The docker driver, and the docker tier of `pnpm test`, need a Docker daemon. scripts/dockerd.sh uses
# one that answers (quick) or, as root, installs Debian's docker.io and starts it with its bridge
# and pools inside 198.18.0.0/15. Not root: `pnpm lab doctor` says how to get one. Without a
# daemon the netns driver still works, so this warns rather than stops.
if [ "$is_root" = 1 ]; then
  say "making sure a Docker daemon answers (scripts/dockerd.sh)"
  bash scripts/dockerd.sh || say "warning: no Docker daemon (see above): the docker driver and the docker test tier cannot run"
fi
# What scripts/ready.sh (in front of `pnpm test` and `pnpm lab`) compares to skip all of this.
sh scripts/ready-stamp.sh > node_modules/.multiclaw-ready
say "ready: run 'pnpm test'"
