#!/usr/bin/env bash
# setup.sh — make this machine able to build and test keepvip. Idempotent: each step runs
# only when what it provides is missing or stale. Called by `npm test` and `npm run demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# Debian packages the suites use: the reference peer (keepalived), the proxy (nginx), the
# network tools that build test topologies, fault injection (nftables), a kernel with IPVS
# (user-mode-linux) and its tools, the `mail` command for notify scripts, Prometheus (alert
# rules), dnsmasq (DNS_CHECK), tmux (status --watch), openssl (SSL_GET certificates).
need_pkgs=()
want() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$1"); }
for p in keepalived nginx iproute2 psmisc nftables kmod ipvsadm user-mode-linux procps curl msmtp msmtp-mta bsd-mailx iputils-arping tcpdump prometheus dnsmasq-base tmux openssl; do want "$p"; done
if ((${#need_pkgs[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages (${need_pkgs[*]}) and not root: integration tests will skip"
  else
    log "installing Debian packages: ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Debian starts nginx (and keepalived, given a config) on install. The tests run their own
    # instances in namespaces and never touch the host's, so ask invoke-rc.d not to start
    # services during this install (policy-rc.d exit 101), unless the host already has a policy.
    own_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && own_policy=1
    fi
    trap '[ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
fi
# Host services are the operator's: setup never stops, restarts or kills anything. The tests use
# only processes they start, in namespaces of their own, with pid files of their own.

# npm packages: exactly the lockfile (npm ci), when node_modules is missing or older than it.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# TypeScript and the native addon: rebuild when a source is newer than the output.
if [ ! -f dist/.stamp ] || [ -n "$(find src -newer dist/.stamp -print -quit)" ]; then
  log "building TypeScript"
  rm -rf dist
  npx tsc -p tsconfig.json
  touch dist/.stamp
fi
addon=native/build/Release/keepvip_native.node
if [ ! -f "$addon" ] || [ -n "$(find native/src native/binding.gyp -newer "$addon" -print -quit)" ]; then
  log "building native addon"
  npm run --silent build:native
fi
log "ready"
