#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, builds
# picorun (release, the binary users run), builds the fixture programs, and
# runs every test. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v cc >/dev/null || need+=(gcc)
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || need+=(libc6-dev)
command -v python3 >/dev/null || need+=(python3)
command -v as >/dev/null || need+=(binutils)
command -v setpriv >/dev/null || need+=(util-linux)
command -v tmux >/dev/null || need+=(tmux)
command -v make >/dev/null || need+=(make)
command -v perl >/dev/null || need+=(perl)
command -v unshare >/dev/null || need+=(util-linux)
[ -e /usr/include/sqlite3.h ] || need+=(libsqlite3-dev)
command -v xz >/dev/null || need+=(xz-utils)
command -v zstd >/dev/null || need+=(zstd)
command -v bzip2 >/dev/null || need+=(bzip2)
[ -x /usr/sbin/diodls ] || need+=(diod)
# Guest tracers: strace and gdb run inside picorun and natively.
command -v strace >/dev/null || need+=(strace)
command -v gdb >/dev/null || need+=(gdb)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
# CPython's own regression tests for Debian's python3 (not one on PATH
# from elsewhere), run natively and under picorun.
if [ ! -x /usr/bin/python3 ]; then
  need+=(python3 libpython3.11-testsuite)
elif ! /usr/bin/python3 -c 'import test.test_os' 2>/dev/null; then
  need+=("libpython$(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')-testsuite")
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing: ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi

venv=${PICORUN_TEST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/picorun-test/venv}
if ! "$venv/bin/python" -c 'import p9fs' 2>/dev/null; then
  echo "== the p9fs client from PyPI, in $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q p9fs
fi
export PICORUN_TEST_VENV=$venv
echo "== building picorun (release)"
swift build -c release
echo "== building fixtures"
Fixtures/elf/build.sh
echo "== bash's own test suite, from Debian's source package (fetched once per machine, cached)"
scripts/bash-suite.sh --list >/dev/null
if [ "$(id -u)" = 0 ]; then
  echo "== the Debian test rootfs (built once per machine, cached)"
  export PICORUN_TEST_ROOTFS=$(scripts/make-test-rootfs.sh)
else
  echo "== not root: the chroot comparison tests need root and are skipped"
fi
echo "== building tests"
swift build --build-tests
echo "== running tests against the release binary"
PICORUN_BIN="$(swift build -c release --show-bin-path)/picorun" swift test --skip-build --skip BashSuiteTests
# bash's own suite last, on a quiet machine: a few of its groups race a
# child process against its parent (coproc), and the other suites' load
# decides that race more than picorun does.
echo "== bash's own test suite, natively and under picorun"
PICORUN_BIN="$(swift build -c release --show-bin-path)/picorun" swift test --skip-build --filter BashSuiteTests
echo "== fuzzing the parsers with libFuzzer (${PICORUN_LIBFUZZER_SECONDS:-30} s each; corpora in Fuzz/corpus)"
scripts/fuzz.sh all "${PICORUN_LIBFUZZER_SECONDS:-30}"
