#!/usr/bin/env bash
# Builds the Debian bookworm minbase rootfs the distro tests run in, once per
# machine, with debootstrap from Debian's archive; prints its path.
# Cached outside the repository: ${PICORUN_TEST_ROOTFS:-~/.cache/picorun-test/bookworm-minbase}.
set -euo pipefail
dest=${PICORUN_TEST_ROOTFS:-${XDG_CACHE_HOME:-$HOME/.cache}/picorun-test/bookworm-minbase}
if [ -e "$dest/.picorun-complete" ]; then echo "$dest"; exit 0; fi
if ! command -v debootstrap >/dev/null; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq debootstrap >&2
fi
if [ "$(id -u)" != 0 ]; then
  echo "make-test-rootfs: debootstrap needs root (or fakeroot); run once as root" >&2
  exit 1
fi
rm -rf "$dest.partial"
mkdir -p "$(dirname "$dest")"
mirror=${PICORUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
debootstrap --variant=minbase bookworm "$dest.partial" "$mirror" >&2
rm -rf "$dest"
mv "$dest.partial" "$dest"
touch "$dest/.picorun-complete"
echo "$dest"
