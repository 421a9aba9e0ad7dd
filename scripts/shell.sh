#!/usr/bin/env bash
# A shell in picorun's default distro, from a fresh clone: builds picorun,
# and the first time makes a Debian bookworm minbase distro (debootstrap as
# root, or through sudo, into a temporary folder; then imported by you, so
# the distro and its metadata sidecar belong to you). Arguments go to picorun.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
need=()
[ -e /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing: ${need[*]}" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi
swift build -c release >&2
picorun=$(swift build -c release --show-bin-path)/picorun
if ! "$picorun" list 2>/dev/null | grep -q '(default)'; then
  echo "== first run: making a Debian bookworm distro with debootstrap (a few minutes)" >&2
  tmp=$(mktemp -d /tmp/picorun-debian.XXXXXX)
  trap '$SUDO rm -rf "$tmp"' EXIT
  $SUDO /usr/sbin/debootstrap --variant=minbase bookworm "$tmp/rootfs" "${PICORUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >&2
  $SUDO tar -C "$tmp/rootfs" --numeric-owner -cf - . | "$picorun" import debian -
  "$picorun" set-default debian
fi
exec "$picorun" "$@"
