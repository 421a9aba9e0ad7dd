#!/usr/bin/env bash
# Builds the fixture programs into Fixtures/elf/out (git-ignored) with the
# system compiler: static by default, plus static-PIE and dynamic variants of
# a few, and the no-libc programs. Usage: Fixtures/elf/build.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$here/src
out=${1:-$here/out}
mkdir -p "$out"
CC=${CC:-cc}
CFLAGS="-O1 -g0 -Wall -Wno-unused-result"

build() { # name flags... sources...
  local name=$1; shift
  "$CC" $CFLAGS "$@" -o "$out/$name"
}

for prog in hello args-env memory fileio pipes forkwait threads signals clock exitcode killself obsolete-syscalls getpid-loop stat-loop cpu-bound exec fdcheck pingpong escape reaper sockets fsextras openat2 magiclinks dropped rules filecaps escape2 load-threads load-procs hostile tracer bpf-ops own-seccomp trace-decode; do
  build "$prog" -static -pthread "$src/$prog.c"
done
for prog in hello threads memory; do
  build "$prog-pie" -static-pie -pthread "$src/$prog.c"
done
for prog in hello args-env; do
  build "$prog-dyn" -pthread "$src/$prog.c"
done
build auxv-nolibc -static -nostdlib -fno-stack-protector "$src/auxv-nolibc.c"
build auxv-nolibc-pie -static-pie -nostdlib -fno-stack-protector -fPIE "$src/auxv-nolibc.c"
for prog in hello-asm stack-asm; do
  "$CC" -static -nostdlib -o "$out/$prog" "$src/$prog.S"
done
python3 "$here/make-malformed.py" "$out/malformed"
echo "fixtures built in $out"
