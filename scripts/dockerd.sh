#!/usr/bin/env bash
# Makes sure a Docker daemon answers for the docker driver. Where one already runs (a laptop's
# Docker Desktop, a CI job's Docker) it is used as it is: the lab gives every network an explicit
# subnet inside 198.18.0.0/15, so the daemon's own pools never decide a lab address. Where none
# runs and we are root, Debian's docker.io is installed and dockerd is started with its default
# bridge and address pools inside 198.18.0.0/15 (never another private range), no iptables rules
# and no IP forwarding of its own, and the socket's group `docker`, so docker-group users can
# run the lab without root.
set -euo pipefail

say() { printf '[dockerd] %s\n' "$*" >&2; }
die() { printf '[dockerd] error: %s\n' "$*" >&2; exit 1; }

CONFIG=/etc/multiclaw-lab/dockerd.json
LOG=/var/log/multiclaw-lab-dockerd.log

answers() { timeout 10 docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && answers; then
  say "a Docker daemon answers ($(docker info --format '{{.ServerVersion}}')); using it as it is"
  exit 0
fi
[ "$(id -u)" = 0 ] || die "no Docker daemon answers. Start Docker (Docker Desktop, or 'sudo systemctl start docker'), or as root: sudo bash scripts/dockerd.sh"

if ! command -v dockerd >/dev/null 2>&1; then
  say "installing Debian's docker.io"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null \
    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null; } \
    || die "apt-get install docker.io failed"
fi
getent group docker >/dev/null || groupadd --system docker

mkdir -p "$(dirname "$CONFIG")"
cat > "$CONFIG" <<'JSON'
{
  "bip": "198.18.128.1/24",
  "default-address-pools": [{ "base": "198.18.192.0/18", "size": 24 }],
  "iptables": false,
  "ip-forward": false,
  "ip-masq": false,
  "ipv6": false,
  "group": "docker"
}
JSON
say "starting dockerd (bridge and pools inside 198.18.0.0/15; config $CONFIG, log $LOG)"
# setsid: the daemon outlives this script and the shell that ran it
setsid dockerd --config-file "$CONFIG" >>"$LOG" 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  if answers; then say "dockerd is up ($(docker info --format '{{.ServerVersion}}'))"; exit 0; fi
  sleep 0.5
done
tail -n 20 "$LOG" >&2
die "dockerd did not answer within 30 s; its log is $LOG"
