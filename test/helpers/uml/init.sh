#!/bin/bash
# PID 1 of a user-mode-linux guest started by test/helpers/uml.ts. The root file system is the
# host's / through hostfs, so everything the guest might write is shadowed by a tmpfs first;
# the job directory KV_JOB (on the host) is the only place shared both ways, mounted at its
# own path. Steps are files KV_JOB/steps/N.{sh,mjs,mts} announced by N.go; each runs in the
# background with its stdout, stderr and exit code written beside it (N.rc last). A file
# KV_JOB/steps/halt powers the guest off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8

poweroff_now() {
  sync
  echo o >/proc/sysrq-trigger
  sleep 5
}
trap poweroff_now EXIT

fail() {
  echo "kv-uml: $*" >&2
  echo "$*" >"$KV_JOB/boot.err.tmp" && mv "$KV_JOB/boot.err.tmp" "$KV_JOB/boot.err"
  exit 1
}

mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sys /sys || fail "mount /sys"
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm 2>/dev/null
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
[ -n "$KV_JOB" ] || fail "no KV_JOB"
# Shadow every place a guest program may write (KV_TMPFS adds more, colon-separated).
IFS=: read -r -a extra <<<"${KV_TMPFS:-}"
for d in /run /tmp /var/tmp /var/log /var/lib/nginx /var/lib/ipvsadm /var/cache /root "${extra[@]}"; do
  [ -n "$d" ] && [ -d "$d" ] && { mount -t tmpfs -o mode=0755 tmpfs "$d" || fail "tmpfs $d"; }
done
chmod 1777 /tmp /var/tmp
mkdir -p /run/lock /run/netns
# The job directory lives under the host's /tmp, now hidden: give it back at the same path.
mkdir -p "$KV_JOB" && mount -t hostfs -o "$KV_JOB" hostfs "$KV_JOB" || fail "hostfs $KV_JOB"
# So does a checkout cloned under one of the shadowed directories (a CI clone in /tmp).
if [ -n "${KV_REPO:-}" ] && [ ! -e "$KV_REPO/package.json" ]; then
  mkdir -p "$KV_REPO" && mount -t hostfs -o "$KV_REPO" hostfs "$KV_REPO" || fail "hostfs $KV_REPO"
fi
mkdir -p /run/kv-modules/lib/modules
mount -t hostfs -o /usr/lib/uml/modules hostfs /run/kv-modules/lib/modules || fail "hostfs modules"
ip link set lo up
hostname kv-uml
IFS=, read -r -a mods <<<"${KV_MODULES:-}"
for m in "${mods[@]}"; do
  [ -n "$m" ] && { modprobe -d /run/kv-modules "$m" 2>"$KV_JOB/modprobe.err" || fail "modprobe $m: $(cat "$KV_JOB/modprobe.err")"; }
done

# Watchdog: power off after KV_TIMEOUT seconds even if the host side died without killing us.
if [ -n "${KV_TIMEOUT:-}" ]; then
  ( sleep "$KV_TIMEOUT"; echo "kv-uml: guest timeout after ${KV_TIMEOUT}s, powering off" >&2; sync; echo o >/proc/sysrq-trigger ) &
  watchdog=$!
fi

steps="$KV_JOB/steps"
mkdir -p "$steps" "$KV_JOB/results"
touch "$KV_JOB/ready"

run_step() {
  local n=$1 file=$2 timeout=$3 rc
  local -a cmd=(bash "$file")
  [[ $file == *.mjs ]] && cmd=(node "$file")
  [[ $file == *.mts ]] && cmd=(node --import "$KV_TSX" "$file")
  (
    cd "$KV_JOB/results" || exit 1
    [ -f "$steps/$n.env" ] && set -a && . "$steps/$n.env" && set +a
    KV_STEP=$n KV_RESULTS="$KV_JOB/results" exec timeout -k 2 "$timeout" "${cmd[@]}"
  ) </dev/null >"$steps/$n.out" 2>"$steps/$n.err"
  rc=$?
  echo "$rc" >"$steps/$n.rc.tmp" && mv "$steps/$n.rc.tmp" "$steps/$n.rc"
}

# A sleep without forking: read with a timeout on a descriptor that never gets data, a FIFO
# opened read-write (the guest's devtmpfs /dev has no /dev/fd, so a process substitution
# `<(:)` fails there, and the loop below then spun at full speed on the guest's one CPU).
mkfifo /run/kv-idle || fail "mkfifo /run/kv-idle"
exec {idle}<>/run/kv-idle || fail "open /run/kv-idle"
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
for i in 0:stdin 1:stdout 2:stderr; do [ -e "/dev/${i#*:}" ] || ln -s "/proc/self/fd/${i%%:*}" "/dev/${i#*:}"; done
next=1
while :; do
  if [ -e "$steps/halt" ]; then
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    wait
    exit 0
  fi
  if [ -e "$steps/$next.go" ]; then
    read -r timeout <"$steps/$next.go"
    file="$steps/$next.sh"
    [ -e "$steps/$next.mjs" ] && file="$steps/$next.mjs"
    [ -e "$steps/$next.mts" ] && file="$steps/$next.mts"
    run_step "$next" "$file" "${timeout:-600}" &
    next=$((next + 1))
    continue
  fi
  read -r -t 0.02 -u "$idle"
done
