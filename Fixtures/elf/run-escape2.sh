#!/usr/bin/env bash
# Runs the escape2 fixture under picorun with the layout it expects:
#   BASE/root            the guest root (escape2 at /escape2)
#   BASE/secret/key      "HOST-SECRET", outside the root; fd 3 is BASE/secret
#   BASE/host            mounted at /mnt/host (DrvFS), with host-made symlinks
#                        hostabs -> BASE/secret/key and hostrel -> ../secret/key
#   BASE/ro              mounted read-only at /mnt/ro, holding "file"
#   /tmp/escape2-hostsuid.PID  a host setuid file (the guest makes its own
#                        file at the same guest path)
# then checks from the host side that nothing outside the root changed.
# Usage: Fixtures/elf/run-escape2.sh [PICORUN] [ESCAPE2_BINARY]
# Exit status: escape2's (0: no leaks), or 3 if a host-side check failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
picorun=${1:-$here/../../.build/release/picorun}
prog=${2:-$here/out/escape2}
base=$(mktemp -d /tmp/escape2.XXXXXX)
trap 'rm -rf "$base" "$hostsuid"' EXIT
mkdir -p "$base/root/tmp" "$base/root/etc" "$base/root/mnt" "$base/secret" "$base/host" "$base/ro"
chmod 1777 "$base/root/tmp"
printf 'HOST-SECRET\n' > "$base/secret/key"
printf 'read-only\n' > "$base/ro/file"
ln -s "$base/secret/key" "$base/host/hostabs"
ln -s ../secret/key "$base/host/hostrel"
cp "$prog" "$base/root/escape2"
# A host setuid file at a path the guest user can also create in the root.
hostsuid=/tmp/escape2-hostsuid.$$
cp /bin/true "$hostsuid" && chmod 4755 "$hostsuid"
# A host abstract unix socket, listening while the guest runs.
abstract=escape2-host-$$
python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind("\0"+sys.argv[1]); s.listen(8); time.sleep(600)' "$abstract" &
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$base" "$hostsuid"' EXIT
sleep 0.3
before=$(cd "$base" && find secret host ro -printf '%p %m %s %i\n' | sort)

start=$(date +%s.%N)
# fd 3 (the secret's folder) is inherited by picorun; fd 4 (the secret
# itself) stays only in the shell above it, as a host program's open file.
# fd 5 is /proc/PID of this script, a host process.
( exec 3<"$base/secret" 4<"$base/secret/key" 5</proc/$$
  ESCAPE2_ABSTRACT=$abstract timeout 300 "$picorun" --rootfs "$base/root" \
    --mount "$base/host:/mnt/host" --mount "$base/ro:/mnt/ro:ro" \
    /escape2 "$base/secret/key" key "$hostsuid" 4<&-
  st=$?; exec 4<&-; exit $st )
status=$?
end=$(date +%s.%N)
echo "exit status: $status ($(echo "$end - $start" | bc) s)"

after=$(cd "$base" && find secret host ro -printf '%p %m %s %i\n' | sort)
bad=0
if [ "$before" != "$after" ]; then
  echo "HOST-SIDE CHANGE outside the root:"; diff <(echo "$before") <(echo "$after"); bad=1
fi
if find "$base/root" -perm /6000 | grep -q .; then
  echo "HOST-SIDE setuid/setgid bits in the root:"; find "$base/root" -perm /6000 -ls; bad=1
fi
[ $bad = 1 ] && exit 3
exit $status
