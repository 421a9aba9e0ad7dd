#!/usr/bin/env bash
# Builds the rootfs the benchmark's rootfs rows run in, once per machine: a
# copy of the test rootfs (scripts/make-test-rootfs.sh) with git, make and
# gcc added from Debian's archive, so `git status` and `make -j2` can be
# compared in a distro too, and the dpkg and apt-get rows install into a
# tree of their own rather than the one the tests share. Prints its path.
# Cached outside the repository: ${PICORUN_BENCH_ROOTFS:-~/.cache/picorun-test/bench-rootfs}.
set -euo pipefail
dest=${PICORUN_BENCH_ROOTFS:-${XDG_CACHE_HOME:-$HOME/.cache}/picorun-test/bench-rootfs}
if [ -e "$dest/.picorun-complete" ]; then echo "$dest"; exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "make-bench-rootfs: needs root (a chroot and apt-get inside it)" >&2
  exit 1
fi
base=$("$(dirname "$0")/make-test-rootfs.sh")
rm -rf "$dest.partial"
mkdir -p "$dest.partial"
tar -C "$base" --exclude=./tmp/* -cf - . | tar -C "$dest.partial" -xf -
cp /etc/resolv.conf "$dest.partial/etc/resolv.conf"
# apt-get inside, with /proc, /dev and /sys of its own mount namespace.
unshare -m /bin/sh -c '
  R=$1
  mount --bind /proc "$R/proc" && mount --rbind /dev "$R/dev" && mount --bind /sys "$R/sys" &&
  chroot "$R" /usr/bin/env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends git make gcc libc6-dev >/dev/null && apt-get clean"
' sh "$dest.partial" >&2
rm -rf "$dest"
mv "$dest.partial" "$dest"
touch "$dest/.picorun-complete"
echo "$dest"
