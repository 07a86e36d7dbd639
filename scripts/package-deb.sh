#!/usr/bin/env bash
# package-deb.sh builds keepvip_VERSION_ARCH.deb with dpkg-deb into .build/deb/ (npm run package).
#
# Layout of the package:
#   /usr/lib/keepvip/            package.json, bin/keepvip, dist/ (compiled program), templates/,
#                                node_modules/ (production only: npm ci --omit=dev in a staging
#                                dir, raw-socket built there), native/build/Release/keepvip_native.node
#   /usr/sbin/keepvip            launcher: exec /usr/bin/node /usr/lib/keepvip/bin/keepvip "$@"
#   /lib/systemd/system/keepvip.service   scripts/keepvip.service with the package's paths
#   /etc/keepvip/keepalived.conf          example configuration (a conffile)
#   /usr/share/man/man8/keepvip.8.gz      generated from the CLI help (scripts/man/help2roff.ts)
#   /usr/share/doc/keepvip/               README.md, ARCHITECTURE.md, copyright
# The package enables and starts nothing: installing it never touches the host's network.
# Prints the path of the .deb on its last line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${KEEPVIP_DEB_OUT:-$ROOT/.build/deb}"

log() { echo "package-deb: $*" >&2; }
die() { echo "package-deb: error: $*" >&2; exit 1; }

for tool in dpkg-deb dpkg node npm gzip du; do
  command -v "$tool" >/dev/null || die "$tool is missing (Debian: apt-get install dpkg-dev nodejs npm)"
done

NPM_VERSION="$(node -p 'require("./package.json").version')"
# Debian versions sort '~' before anything, as semver sorts a pre-release before its release.
DEB_VERSION="${NPM_VERSION//-/\~}"
ARCH="$(dpkg --print-architecture)"
DEB="$OUT/keepvip_${DEB_VERSION}_${ARCH}.deb"
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

STAGE="$OUT/root"
rm -rf "$STAGE" "$OUT/npm"
mkdir -p "$STAGE/DEBIAN" "$OUT/npm"
LIB="$STAGE/usr/lib/keepvip"
mkdir -p "$LIB/bin" "$LIB/native/build/Release"

# A fresh compile straight into the package (no stale files from an old dist/, no source maps
# pointing at sources the package does not ship). A tree that does not typecheck is no release.
log "compiling the program (tsc) and checking the native addon"
npx tsc -p tsconfig.json --outDir "$LIB/dist" --sourceMap false
[[ -f native/build/Release/keepvip_native.node ]] || npm run --silent build:native
[[ -f native/build/Release/keepvip_native.node ]] || die "native addon not built"

# Production node_modules, exactly the lockfile's, in a staging dir. The install scripts that run
# are the lockfile's native packages that package.json's allowScripts approves (raw-socket's
# node-gyp build); anything else with an install script fails here.
log "installing production node_modules (npm ci --omit=dev)"
cp package.json package-lock.json "$OUT/npm/"
[[ -f .npmrc ]] && cp .npmrc "$OUT/npm/"
approved="$(node -p 'Object.keys(require("./package.json").allowScripts ?? {}).join(" ")')"
(cd "$OUT/npm" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >&2)
for pkg in $(cd "$OUT/npm" && node -e '
  const lock = require("./package-lock.json");
  for (const [path, p] of Object.entries(lock.packages ?? {}))
    if (path && p.hasInstallScript && !p.dev) console.log(path.replace(/^.*node_modules\//, ""));'); do
  [[ " $approved " == *" $pkg "* ]] || die "production dependency $pkg has an install script that allowScripts does not approve"
done
if [[ "$(node -p 'Boolean(require("./package.json").dependencies?.["raw-socket"])')" == true ]]; then
  [[ -f "$OUT/npm/node_modules/raw-socket/build/Release/raw.node" ]] || die "raw-socket was not built"
fi
# Build intermediates and other platforms' prebuilt addons are not needed at run time.
node_arch="$(node -p process.arch)"
while IFS= read -r dir; do
  for sub in "$dir"/*; do
    [[ "$(basename "$sub")" == "linux-$node_arch" ]] || rm -rf "$sub"
  done
done < <(find "$OUT/npm/node_modules" -type d -name prebuilds)
find "$OUT/npm/node_modules" -depth -type d \( -name obj.target -o -name .deps \) -path '*/build/*' \
  -exec rm -rf {} +
cp -a "$OUT/npm/node_modules" "$LIB/"

log "staging files"
cp package.json "$LIB/"
cp bin/keepvip "$LIB/bin/keepvip"
cp -a templates "$LIB/"
cp native/build/Release/keepvip_native.node "$LIB/native/build/Release/"

mkdir -p "$STAGE/usr/sbin"
# The node flags are bin/keepvip's own (its #! line): the launcher passes the same ones.
node_flags="$(head -1 bin/keepvip | sed -n 's|^#!/usr/bin/env -S node||p')"
cat >"$STAGE/usr/sbin/keepvip" <<EOF
#!/bin/sh
# keepvip launcher (Debian package): the program lives in /usr/lib/keepvip.
exec /usr/bin/node${node_flags} /usr/lib/keepvip/bin/keepvip "\$@"
EOF

# The unit is copied from scripts/keepvip.service as it is at build time, with the package's
# paths: the launcher in /usr/sbin and the example configuration in /etc/keepvip.
mkdir -p "$STAGE/lib/systemd/system"
sed -e 's#/usr/bin/env keepvip#/usr/sbin/keepvip#g' \
    -e 's#^\(Exec[A-Za-z]*=\)keepvip #\1/usr/sbin/keepvip #' \
    -e 's#KEEPVIP_CONF=/etc/keepalived/keepalived.conf#KEEPVIP_CONF=/etc/keepvip/keepalived.conf#' \
    scripts/keepvip.service >"$STAGE/lib/systemd/system/keepvip.service.in"
{
  echo "# Installed by the keepvip Debian package (from scripts/keepvip.service, paths adapted);"
  echo "# not enabled by it: systemctl enable --now keepvip"
  cat "$STAGE/lib/systemd/system/keepvip.service.in"
} >"$STAGE/lib/systemd/system/keepvip.service"
rm "$STAGE/lib/systemd/system/keepvip.service.in"
if grep -E '^Exec(Start|StartPre)=' "$STAGE/lib/systemd/system/keepvip.service" | grep -qv '/usr/sbin/keepvip'; then
  die "scripts/keepvip.service has an ExecStart that does not run keepvip in a form this script adapts"
fi

mkdir -p "$STAGE/etc/keepvip"
cp scripts/deb/keepalived.conf "$STAGE/etc/keepvip/keepalived.conf"

log "generating keepvip(8) from the CLI help"
mkdir -p "$STAGE/usr/share/man/man8"
node --import tsx scripts/man/help2roff.ts "$LIB/bin/keepvip" "$NPM_VERSION" | gzip -9n >"$STAGE/usr/share/man/man8/keepvip.8.gz"

mkdir -p "$STAGE/usr/share/doc/keepvip"
cp README.md ARCHITECTURE.md "$STAGE/usr/share/doc/keepvip/"
license="$(node -p 'require("./package.json").license ?? "UNKNOWN"')"
cat >"$STAGE/usr/share/doc/keepvip/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: keepvip

Files: *
License: $license

Files: usr/lib/keepvip/node_modules/*
License: see each package's own license in its directory
EOF

# Permissions: dirs 0755, files 0644, programs 0755 (also .node addons, as npm leaves them).
find "$STAGE" -type d -exec chmod 0755 {} +
find "$STAGE" -type f -exec chmod 0644 {} +
chmod 0755 "$STAGE/usr/sbin/keepvip" "$LIB/bin/keepvip"
find "$LIB/node_modules" -path '*/.bin/*' -prune -o -type f -name '*.node' -exec chmod 0755 {} +
find "$LIB/node_modules/.bin" -mindepth 1 -exec chmod 0755 {} + 2>/dev/null || true

# Maintainer scripts: tell a running systemd about the unit; nothing is enabled or started.
for script in postinst postrm; do
  cat >"$STAGE/DEBIAN/$script" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  systemctl daemon-reload >/dev/null 2>&1 || true
fi
exit 0
EOF
  chmod 0755 "$STAGE/DEBIAN/$script"
done
echo /etc/keepvip/keepalived.conf >"$STAGE/DEBIAN/conffiles"

installed_kb="$(du -sk --apparent-size --exclude=DEBIAN "$STAGE" | cut -f1)"
description="$(node -p 'require("./package.json").description')"
cat >"$STAGE/DEBIAN/control" <<EOF
Package: keepvip
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: keepvip developers <root@localhost>
Installed-Size: $installed_kb
Depends: nodejs (>= 20)
Section: net
Priority: optional
Description: $description
 keepvip reads keepalived.conf (keepalived 2.2.7's language) and speaks the same VRRP
 (RFC 3768 v2, RFC 5798 v3, IPv4 and IPv6) on the wire, so a keepvip node and a keepalived
 node form one VRRP group during a migration. It tracks scripts, files and processes,
 renders nginx upstreams and fails over faster than keepalived on the same configuration.
EOF

log "dpkg-deb --build"
rm -f "$DEB"
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >&2
log "built $DEB ($(du -k "$DEB" | cut -f1) KiB, Installed-Size $installed_kb KiB)"
echo "$DEB"
