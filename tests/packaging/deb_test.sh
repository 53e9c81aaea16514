#!/usr/bin/env bash
# The Debian package (cmake/packaging.cmake), ctest DebPackage (label packaging).
# Usage: tests/packaging/deb_test.sh BUILD_DIR   (billingd built in BUILD_DIR)
# Packs BUILD_DIR with cpack -G DEB into a temporary directory and checks the
# package's name, control fields and files. As root it then installs it with
# apt-get, checks the meterline user, /var/lib/meterline and the env file,
# runs billingd as meterline with the env file's settings (production without
# JWT_SECRET is refused; with one, migrate creates the SQLite database), runs
# systemd-analyze verify on the installed unit, purges the package and checks
# that the user, the binary and the data are gone. Whatever fails, the package
# is purged on exit. Not root: only the package checks, then "skipped: needs root".
set -euo pipefail

build_dir=${1:?usage: deb_test.sh BUILD_DIR}
build_dir=$(cd "$build_dir" && pwd)
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "--- $*"; }

work=$(mktemp -d)
installed_by_us=0
user_before=$(getent passwd meterline || true)

# dpkg's state of the package: installed, config-files, half-configured, not-installed, ...
package_state() { dpkg-query -W -f='${db:Status-Status}' meterline 2>/dev/null || echo not-installed; }

cleanup() {
  local status=$?
  set +e
  if ((installed_by_us)) && [[ "$(package_state)" != not-installed ]]; then
    echo "--- cleanup: purging meterline" >&2
    dpkg --purge meterline >/dev/null 2>&1 || dpkg --purge --force-remove-reinstreq meterline >/dev/null 2>&1
  fi
  if ((installed_by_us)) && [[ -z "$user_before" ]]; then
    getent passwd meterline >/dev/null && userdel meterline
    getent group meterline >/dev/null && groupdel meterline
    rm -rf /var/lib/meterline
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- The package ------------------------------------------------------------------
[[ -x "$build_dir/src/billingd" ]] || fail "$build_dir/src/billingd is not built (ninja -C $build_dir billingd)"
[[ -f "$build_dir/CPackConfig.cmake" ]] || fail "$build_dir/CPackConfig.cmake is missing (configure again)"
command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps is missing (apt-get install dpkg-dev)"

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build_dir/CPackConfig.cmake")
[[ -n "$version" ]] || fail "no CPACK_PACKAGE_VERSION in $build_dir/CPackConfig.cmake"
deb_name="meterline_${version}_$(dpkg --print-architecture).deb"

step "cpack -G DEB"
if ! cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/dist" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  fail "cpack failed"
fi
deb="$work/dist/$deb_name"
[[ -f "$deb" ]] || fail "expected $deb_name, cpack wrote: $(cd "$work/dist" && ls ./*.deb 2>/dev/null)"
echo "$deb_name ($(du -h "$deb" | cut -f1))"

step "dpkg-deb --info"
dpkg-deb --info "$deb" | tee "$work/info"
grep -q '^ Package: meterline$' "$work/info" || fail "Package field"
grep -q "^ Version: $version\$" "$work/info" || fail "Version field"
depends=$(sed -n 's/^ Depends: //p' "$work/info")
[[ -n "$depends" ]] || fail "no Depends line"
depends_names=$(tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/[ (].*//')
for dep in adduser libc6 libstdc++6 libsqlite3-0 libssl3 libpq5; do
  grep -qFx "$dep" <<<"$depends_names" || fail "Depends lacks $dep: $depends"
done
for script in postinst prerm postrm conffiles; do
  grep -q "^ *[0-9]* bytes, *[0-9]* lines *[*]* *$script" "$work/info" || fail "control file $script missing"
done
dpkg-deb --info "$deb" conffiles | grep -qx /etc/meterline/meterline.env || fail "meterline.env is not a conffile"

step "dpkg-deb --contents"
dpkg-deb --contents "$deb" | tee "$work/contents"
expect_entry() { # mode path
  grep -qE "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \.$2\$" "$work/contents" || fail "no $1 $2 in the package"
}
expect_entry -rwxr-xr-x /usr/bin/billingd
expect_entry -rw-r--r-- /lib/systemd/system/meterline.service
expect_entry -rw-r----- /etc/meterline/meterline.env
expect_entry -rw-r--r-- /usr/share/doc/meterline/README.md
expect_entry -rw-r--r-- /usr/share/doc/meterline/docs/architecture.md

# --- Installed ----------------------------------------------------------------------
if [[ $(id -u) -ne 0 ]]; then
  echo "skipped: needs root (install, the meterline user, purge)"
  exit 0
fi
if [[ "$(package_state)" != not-installed ]]; then
  fail "a meterline package is installed on this machine; the test would replace and purge it"
fi
[[ -z "$user_before" ]] || fail "a meterline user exists already; the test would remove it"
[[ ! -e /var/lib/meterline ]] || fail "/var/lib/meterline exists already; the test would remove it"

step "apt-get install ./$deb_name"
chmod 0755 "$work" "$work/dist" # apt's _apt user reads the file
installed_by_us=1
apt-get install -y -q --no-install-recommends "$deb" >"$work/apt.log" 2>&1 || {
  cat "$work/apt.log" >&2
  fail "apt-get install failed"
}
[[ "$(package_state)" == installed ]] || fail "meterline is $(package_state) after apt-get install"

step "the meterline user, /var/lib/meterline, the env file"
getent passwd meterline >/dev/null || fail "no meterline user"
IFS=: read -r _ _ uid _ _ home shell <<<"$(getent passwd meterline)"
((uid < 1000)) || fail "meterline is not a system user (uid $uid)"
[[ "$home" == /var/lib/meterline ]] || fail "meterline's home is $home"
[[ "$shell" == /usr/sbin/nologin ]] || fail "meterline's shell is $shell"
getent group meterline >/dev/null || fail "no meterline group"
[[ "$(id -gn meterline)" == meterline ]] || fail "meterline's primary group is $(id -gn meterline)"
stat_of() { stat -c '%a %U:%G' "$1"; }
[[ "$(stat_of /var/lib/meterline)" == "700 meterline:meterline" ]] || fail "/var/lib/meterline is $(stat_of /var/lib/meterline)"
[[ "$(stat_of /etc/meterline/meterline.env)" == "640 root:meterline" ]] ||
  fail "/etc/meterline/meterline.env is $(stat_of /etc/meterline/meterline.env)"
[[ -f /lib/systemd/system/meterline.service && -x /usr/bin/billingd ]] || fail "unit or binary missing"
echo "meterline uid $uid, home $home, shell $shell; $(stat_of /var/lib/meterline) /var/lib/meterline; $(stat_of /etc/meterline/meterline.env) meterline.env"

step "runuser -u meterline -- billingd version"
runuser -u meterline -- /usr/bin/billingd version | tee "$work/version"
grep -q "$version" "$work/version" || fail "billingd version does not print $version"

# billingd as meterline with the env file's settings, the way an admin runs a command.
as_meterline() {
  runuser -u meterline -- sh -c 'cd /var/lib/meterline && set -a && . /etc/meterline/meterline.env && set +a && exec "$@"' sh "$@"
}

step "production without JWT_SECRET: refused (exit 2)"
status=0
as_meterline /usr/bin/billingd migrate >"$work/refused" 2>&1 || status=$?
cat "$work/refused"
if [[ $status -ne 2 ]] || ! grep -q JWT_SECRET "$work/refused"; then
  fail "expected exit 2 naming JWT_SECRET, got $status"
fi

step "JWT_SECRET set in the env file; billingd migrate as meterline"
echo "JWT_SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>/etc/meterline/meterline.env
as_meterline /usr/bin/billingd migrate
as_meterline /usr/bin/billingd migrate --status | tail -n 3
db=/var/lib/meterline/meterline.db
[[ -f "$db" ]] || fail "no $db after migrate: $(ls -la /var/lib/meterline)"
[[ "$(stat -c %U:%G "$db")" == meterline:meterline ]] || fail "$db is owned by $(stat -c %U:%G "$db")"
ls -la /var/lib/meterline

if command -v systemd-analyze >/dev/null; then
  step "systemd-analyze verify /lib/systemd/system/meterline.service"
  systemd-analyze verify /lib/systemd/system/meterline.service || fail "systemd-analyze verify failed"
  echo "verify: ok"
else
  echo "--- systemd-analyze not installed: unit not verified"
fi

step "apt-get purge meterline"
apt-get purge -y -q meterline >"$work/purge.log" 2>&1 || {
  cat "$work/purge.log" >&2
  fail "apt-get purge failed"
}
installed_by_us=0
[[ "$(package_state)" == not-installed ]] || fail "meterline is $(package_state) after purge"
! getent passwd meterline >/dev/null || fail "the meterline user is still there"
! getent group meterline >/dev/null || fail "the meterline group is still there"
[[ ! -e /usr/bin/billingd ]] || fail "/usr/bin/billingd is still there"
[[ ! -e /var/lib/meterline ]] || fail "/var/lib/meterline is still there"
[[ ! -e /etc/meterline ]] || fail "/etc/meterline is still there"
[[ ! -e /lib/systemd/system/meterline.service ]] || fail "the unit is still there"
echo "purged: no user, group, binary, unit, /etc/meterline or /var/lib/meterline"
echo "PASS"
