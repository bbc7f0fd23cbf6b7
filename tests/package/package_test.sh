#!/usr/bin/env bash
# The Debian packages as an operator meets them: built with CPack from this
# build tree, checked by lintian (no errors), unpacked into a scratch root,
# the installed programs run, the installed systemd unit checked by
# `systemd-analyze verify`, and the installed server started with the
# installed configuration and answered by the installed CLI.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
scratch=$(mktemp -d /tmp/missionlog-package-XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The packages, from what is built (cpack installs the build tree).
(cd "$scratch" && cpack -G DEB --config "$build/CPackConfig.cmake" \
  -B "$scratch/out" >"$scratch/cpack.log" 2>&1) ||
  { cat "$scratch/cpack.log"; fail "cpack"; }
server_deb=$(ls "$scratch"/out/missionlog_*.deb)
demo_deb=$(ls "$scratch"/out/missionlog-demo_*_all.deb)
echo "built $(basename "$server_deb") ($(du -k "$server_deb" | cut -f1) KB)" \
  "and $(basename "$demo_deb") ($(du -k "$demo_deb" | cut -f1) KB)"

# Their control data: dependencies from dpkg-shlibdeps, the conffiles.
dpkg-deb -f "$server_deb" Depends | grep -q 'librocksdb7.8' ||
  fail "Depends lacks librocksdb7.8: $(dpkg-deb -f "$server_deb" Depends)"
dpkg-deb -f "$server_deb" Depends | grep -q 'libgrpc++1.51' ||
  fail "Depends lacks libgrpc++1.51"
dpkg-deb -f "$server_deb" Depends | grep -q 'libtcmalloc-minimal4' ||
  fail "Depends lacks libtcmalloc-minimal4 (missionlogd's allocator)"
[ "$(dpkg-deb -f "$demo_deb" Architecture)" = all ] || fail "demo not arch all"
dpkg-deb --ctrl-tarfile "$server_deb" | tar -xO ./conffiles >"$scratch/conffiles"
grep -qx /etc/missionlog/missionlogd.flags "$scratch/conffiles" ||
  fail "missionlogd.flags is not a conffile"

# lintian: no errors and no warnings (notes are printed, not fatal).
if command -v lintian >/dev/null; then
  for deb in "$server_deb" "$demo_deb"; do
    lintian --fail-on error,warning "$deb" ||
      fail "lintian reports errors or warnings on $(basename "$deb")"
  done
else
  fail "lintian is not installed (deploy/install-deps.sh installs it)"
fi

# Unpacked into a scratch root: every file where Debian keeps it.
root="$scratch/root"
dpkg-deb -x "$server_deb" "$root"
dpkg-deb -x "$demo_deb" "$root"
for file in usr/bin/missionlogd usr/bin/missionlog \
  lib/systemd/system/missionlogd.service usr/lib/sysusers.d/missionlog.conf \
  usr/lib/tmpfiles.d/missionlog.conf etc/missionlog/missionlogd.flags \
  etc/missionlog/policy.textproto usr/share/doc/missionlog/copyright \
  usr/share/doc/missionlog/changelog.gz usr/share/man/man8/missionlogd.8.gz \
  usr/share/man/man1/missionlog.1.gz \
  usr/share/missionlog/demo/missions-2024.jsonl; do
  [ -e "$root/$file" ] || fail "the packages do not install /$file"
done

# The installed programs run and describe themselves.
"$root/usr/bin/missionlogd" --help >"$scratch/help" 2>&1 || true
grep -q -- "--data_dir" "$scratch/help" || { cat "$scratch/help"; fail "missionlogd --help"; }
"$root/usr/bin/missionlog" --help >"$scratch/help" 2>&1 || true
grep -q "verify" "$scratch/help" || { cat "$scratch/help"; fail "missionlog --help"; }

# The unit: systemd's own check, against the scratch root's binaries (with
# the system's own units and /bin/kill beside them, as on a real system).
cp -an /lib/systemd/system/. "$root/lib/systemd/system/"
mkdir -p "$root/bin" && cp /bin/kill "$root/bin/"
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --root="$root" \
  missionlogd.service >"$scratch/verify" 2>&1 ||
  { cat "$scratch/verify"; fail "systemd-analyze verify"; }
[ ! -s "$scratch/verify" ] || { cat "$scratch/verify"; fail "systemd-analyze verify printed warnings"; }
for setting in User=missionlog StateDirectory=missionlog ProtectSystem=strict \
  NoNewPrivileges=yes CapabilityBoundingSet= PrivateDevices=yes; do
  grep -qx "$setting" "$root/lib/systemd/system/missionlogd.service" ||
    fail "the unit lacks $setting"
done

# The installed server with the installed configuration (only the paths
# changed for a scratch directory and free ports), then the installed CLI.
sed -e "s|/var/lib/missionlog/store|$scratch/store|" \
  -e 's|^--listen=.*|--listen=127.0.0.1:0|' \
  -e 's|^--http_listen=.*|--http_listen=127.0.0.1:0|' \
  "$root/etc/missionlog/missionlogd.flags" >"$scratch/missionlogd.flags"
# The log exists before the server's shell opens it: reading it first
# must not fail (set -e, pipefail).
: >"$scratch/server.log"
"$root/usr/bin/missionlogd" --flagfile="$scratch/missionlogd.flags" \
  >"$scratch/server.log" 2>&1 &
pid=$!
address=
for _ in $(seq 1 300); do
  address=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$scratch/server.log" | head -1)
  [ -n "$address" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$address" ] || { cat "$scratch/server.log"; fail "the installed missionlogd did not start"; }
"$root/usr/bin/missionlog" --server="$address" append package/test/1 \
  package.tested.v1 '{"ok":true}' >"$scratch/append" 2>&1 ||
  { cat "$scratch/append"; fail "append through the installed CLI"; }
grep -q "at position 0" "$scratch/append" || { cat "$scratch/append"; fail "append"; }
demo="$root/usr/share/missionlog/demo"
"$root/usr/bin/missionlog" --server="$address" import govuk-orgs \
  "$demo/govuk-organisations/organisations-2023-02-01.json" \
  "$demo/govuk-organisations/organisations-2023-03-01.json" >"$scratch/demo" 2>&1 ||
  { cat "$scratch/demo"; fail "importing the demo data's organisations"; }
"$root/usr/bin/missionlog" --server="$address" import ifg-ministers \
  "$demo/ifg-ministers" >"$scratch/demo" 2>&1 ||
  { cat "$scratch/demo"; fail "importing the demo data's ministers"; }
"$root/usr/bin/missionlog" --server="$address" command \
  --file="$root/usr/share/missionlog/demo/missions-2024.jsonl" >"$scratch/demo" 2>&1 ||
  { cat "$scratch/demo"; fail "the demo data's commands"; }
kill -TERM "$pid"
wait "$pid" || fail "missionlogd exited $? on SIGTERM"
pid=
echo "ok: packages built, lintian clean, unit verified, installed server and CLI work"
