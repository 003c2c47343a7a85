#!/bin/sh
# Runs one program inside a lab host (a container) the way the netns driver runs it in a
# namespace: with exactly the environment the harness gave (docker exec adds variables of its
# own, HOSTNAME and HOME, and the image's PATH; every variable not named in KEEP is dropped),
# and with its process id written where the harness can read it (to signal the program and
# to match it in `ss -p`). exec keeps that process id for the program itself.
# usage: in-host.sh PIDFILE "KEEP KEYS" COMMAND [ARGS...]
pidfile=$1
keep=$2
shift 2
for name in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p'); do
  case " $keep " in
    *" $name "*) ;;
    *) unset "$name" ;;
  esac
done
# a program the harness named by a path of its own machine that this host lacks: the host's
# own program of that name (the image puts the lab's tools on PATH)
case "$1" in
  /*) if [ ! -x "$1" ]; then
        program=$(basename "$1")
        shift
        set -- "$program" "$@"
      fi ;;
esac
echo $$ > "$pidfile"
exec "$@"
