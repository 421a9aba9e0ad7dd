#!/usr/bin/env bash
# Fuzzes picorun's parsers with libFuzzer (swiftc -sanitize=fuzzer,address).
#
#   scripts/fuzz.sh [TARGET|all] [SECONDS]     build, then fuzz each target SECONDS (default 60)
#   scripts/fuzz.sh build [TARGET|all]         build only
#   scripts/fuzz.sh repro TARGET FILE...       run the harness once on FILE(s) (a crash's input)
#
# Targets: elf (ElfImage.parse + the loader's planning), tar (TarReader and
# the whole Importer), ninep (9P Session.handle on a message stream),
# config (DistroConfig.load; PICORUN_FUZZ_ROUNDTRIP=1 adds a render/reload
# round trip).
#
# No SwiftPM: each module's sources are compiled by swiftc in dependency
# order (one object and one .swiftmodule per module, -enable-testing so the
# harnesses can `@testable import` internal types), the C shim by clang,
# then each harness (Fuzz/NAME.swift + Fuzz/Support/*.swift) is linked with
# them and -lsqlite3. Everything is built in $PICORUN_FUZZ_BUILD (default
# ${TMPDIR:-/tmp}/picorun-fuzz), never in the repository's .build.
#
# Seeds are Fuzz/corpus/TARGET (read only); the inputs libFuzzer adds go to
# the build folder. A crash's input is copied to Fuzz/crashes/TARGET-crash-*
# (or -timeout-*, -oom-*) and the script exits 1; minimized, renamed
# reproducers of known bugs live there too (`repro` runs them).
#
# As root, each run is in a private mount namespace in which / is
# read-only but for the build folder's scratch/ and work/, so a harness
# cannot write anywhere else even if the code under test would
# (PICORUN_FUZZ_SANDBOX=0 to run without it).
#
# PICORUN_FUZZ_KEEP_GOING=1 runs libFuzzer's fork mode past crashes and
# timeouts, so one run can find several bugs (each input is saved).
#
# PICORUN_FUZZ_SKIP_BUILD=1 fuzzes with the harnesses built last (while
# Sources do not compile, say).
#
# Environment: SWIFTC (default: swiftc on PATH, else /opt/swift/usr/bin/swiftc),
# PICORUN_FUZZ_BUILD, PICORUN_FUZZ_FLAGS (extra libFuzzer flags),
# PICORUN_FUZZ_OPT (default -O).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
src=$repo/Sources
fuzz=$repo/Fuzz
build=${PICORUN_FUZZ_BUILD:-${TMPDIR:-/tmp}/picorun-fuzz}
all_targets=(elf tar ninep config)

if [[ -z ${SWIFTC:-} ]]; then
  SWIFTC=$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)
fi
toolbin=$(dirname "$(readlink -f "$SWIFTC")")
CLANG=${CLANG:-$toolbin/clang}
opt=${PICORUN_FUZZ_OPT:--O}
nice=(nice -n 19)

# Swift modules each target needs, in dependency order; extra sources
# compiled into the harness module itself.
modules_for() {
  case $1 in
    elf) echo FileNames LinuxABI PerThread PicoCore ;;
    tar) echo FileNames LinuxABI PerThread VolFS ;;
    ninep) echo FileNames LinuxABI PerThread VolFS NinePServer ;;
    config) echo FileNames LinuxABI PerThread PicoCore ;;
    *) echo "unknown target $1 (targets: ${all_targets[*]})" >&2; exit 2 ;;
  esac
}
extra_sources_for() {
  case $1 in
    config) echo "$src/picorun/DistroConfig.swift" ;;
  esac
}

common_swift_flags() {
  echo -swift-version 6 -package-name main -parse-as-library -g "$opt" \
    -sanitize=fuzzer,address -use-ld=lld \
    -module-cache-path "$build/ModuleCache" -I "$build/modules" \
    -Xcc -fmodule-map-file="$build/cmodules/CPicoLinux/module.modulemap" \
    -Xcc -fmodule-map-file="$src/CSQLite/module.modulemap" \
    -Xcc -I -Xcc "$src/CPicoLinux/include"
}

# Rebuilds `out` only when a file in `inputs` is newer.
stale() { # out inputs...
  local out=$1; shift
  [[ -e $out ]] || return 0
  [[ -n $(find "$@" -newer "$out" -print -quit 2>/dev/null) ]]
}

build_shim() {
  mkdir -p "$build/cmodules/CPicoLinux" "$build/obj" "$build/modules"
  cat > "$build/cmodules/CPicoLinux/module.modulemap.new" <<EOF
module CPicoLinux {
    umbrella header "$src/CPicoLinux/include/CPicoLinux.h"
    export *
}
EOF
  if ! cmp -s "$build/cmodules/CPicoLinux/module.modulemap.new" "$build/cmodules/CPicoLinux/module.modulemap"; then
    mv "$build/cmodules/CPicoLinux/module.modulemap.new" "$build/cmodules/CPicoLinux/module.modulemap"
  else
    rm "$build/cmodules/CPicoLinux/module.modulemap.new"
  fi
  if stale "$build/obj/CPicoLinux.o" "$src/CPicoLinux"; then
    echo "fuzz: building CPicoLinux" >&2
    # layouts.c holds only _Static_asserts: checked, no code to link.
    "${nice[@]}" "$CLANG" -fsyntax-only -D_GNU_SOURCE -I "$src/CPicoLinux/include" "$src/CPicoLinux/layouts.c"
    "${nice[@]}" "$CLANG" -c -O1 -g -fPIC -D_GNU_SOURCE -fsanitize=address,fuzzer-no-link \
      -I "$src/CPicoLinux/include" "$src/CPicoLinux/shim.c" -o "$build/obj/CPicoLinux.o"
  fi
}

build_module() { # NAME DEPENDENCY_OBJECTS...
  local name=$1; shift
  local sources
  mapfile -t sources < <(find "$src/$name" -name '*.swift' | sort)
  if stale "$build/obj/$name.o" "$src/$name" "$src/CPicoLinux" "$src/CSQLite" "$@"; then
    echo "fuzz: building $name (${#sources[@]} files)" >&2
    # shellcheck disable=SC2046
    "${nice[@]}" "$SWIFTC" $(common_swift_flags) -module-name "$name" -enable-testing \
      -wmo -num-threads 0 -c "${sources[@]}" -o "$build/obj/$name.o" \
      -emit-module -emit-module-path "$build/modules/$name.swiftmodule"
    touch "$build/obj/$name.o"  # swiftc leaves an unchanged object's time alone
  fi
}

build_target() { # TARGET
  local t=$1 m objs=("$build/obj/CPicoLinux.o")
  if [[ ${PICORUN_FUZZ_SKIP_BUILD:-0} != 0 && -x $build/bin/fuzz-$t ]]; then return; fi
  build_shim
  for m in $(modules_for "$t"); do
    build_module "$m" "${objs[@]}"
    objs+=("$build/obj/$m.o")
  done
  local sources=("$fuzz/$t.swift" "$fuzz/Support/"*.swift $(extra_sources_for "$t"))
  mkdir -p "$build/bin"
  if stale "$build/bin/fuzz-$t" "${sources[@]}" "${objs[@]}"; then
    echo "fuzz: linking fuzz-$t" >&2
    # shellcheck disable=SC2046
    "${nice[@]}" "$SWIFTC" $(common_swift_flags) -module-name "Fuzz_$t" \
      "${sources[@]}" "${objs[@]}" -lsqlite3 -o "$build/bin/fuzz-$t"
  fi
}

# Runs "$@" in a private mount namespace with / read-only but for the
# scratch and crashes folders (when root and unshare(1) can).
sandboxed() {
  if [[ ${PICORUN_FUZZ_SANDBOX:-1} != 0 && $(id -u) == 0 ]] && command -v unshare >/dev/null &&
     unshare -m true 2>/dev/null; then
    unshare -m --propagation private -- bash -c '
      set -e
      for d in "$PICORUN_FUZZ_SCRATCH" "$PICORUN_FUZZ_WRITABLE"; do mount --bind "$d" "$d"; done
      mount -o remount,bind,ro /
      exec "$@"' sandbox "$@"
  else
    [[ ${PICORUN_FUZZ_SANDBOX:-1} == 0 ]] || echo "fuzz: no mount namespace; running unsandboxed" >&2
    "$@"
  fi
}

env_for_run() { # TARGET
  export PICORUN_FUZZ_SCRATCH="$build/scratch/$1"
  export PICORUN_FUZZ_WRITABLE="$build/work"
  export TMPDIR=$build/work/tmp  # libFuzzer's fork mode keeps its files there
  export SWIFT_BACKTRACE=enable=no  # libFuzzer and ASan print the stack; swift-backtrace would hang on the pipe
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:handle_abort=1}
  rm -rf "$PICORUN_FUZZ_SCRATCH"
  mkdir -p "$PICORUN_FUZZ_SCRATCH" "$PICORUN_FUZZ_WRITABLE" "$TMPDIR"
}

run_target() { # TARGET SECONDS
  local t=$1 seconds=$2
  local corpus=$build/work/corpus-$t artifacts=$build/work/artifacts-$t log=$build/work/fuzz-$t.log
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  # Every crash found before is a regression test: each runs once first.
  local replay=("$fuzz/crashes/$t-"*)
  if [[ -e ${replay[0]} ]]; then
    env_for_run "$t"
    if ! sandboxed "${nice[@]}" "$build/bin/fuzz-$t" -runs=1 "${replay[@]}" >"$build/work/replay-$t.log" 2>&1; then
      grep -m1 -E 'ERROR: |Fatal error|deadly signal' "$build/work/replay-$t.log" >&2 || true
      echo "fuzz: $t: a crash saved in Fuzz/crashes happens again (log $build/work/replay-$t.log)" >&2
      return 1
    fi
    echo "fuzz: $t: ${#replay[@]} saved crash(es) replayed, none crashes" >&2
  fi
  env_for_run "$t"
  echo "fuzz: $t for ${seconds}s (log $log)" >&2
  local status=0 keep=()
  [[ ${PICORUN_FUZZ_KEEP_GOING:-0} == 0 ]] || keep=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  # shellcheck disable=SC2086
  sandboxed "${nice[@]}" "$build/bin/fuzz-$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "${keep[@]}" ${PICORUN_FUZZ_FLAGS:-} \
    "$corpus" "$fuzz/corpus/$t" >"$log" 2>&1 || status=$?
  rm -rf "$PICORUN_FUZZ_SCRATCH"
  grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)' "$log" | tr '\n' ' ' >&2 || true
  echo >&2
  local found=("$artifacts"/*)
  if [[ $status != 0 || -e ${found[0]} ]]; then
    mkdir -p "$fuzz/crashes"
    local f
    for f in "${found[@]}"; do
      [[ -e $f ]] || continue
      cp "$f" "$fuzz/crashes/$t-$(basename "$f")"
      echo "fuzz: $t: saved Fuzz/crashes/$t-$(basename "$f") ($(stat -c %s "$f") bytes)" >&2
    done
    # The report: the error line and the top of the stack, demangled.
    grep -m1 -E 'ERROR: |Fatal error|SUMMARY|deadly signal|timeout' "$log" >&2 || true
    grep -E '^ +#[0-9]+ ' "$log" | grep -v -E 'libFuzzer|compiler-rt|libc\.so|__sanitizer|fuzzer::' | head -8 |
      "$toolbin/swift-demangle" --simplified >&2 || true
    echo "fuzz: $t FAILED (exit $status); full log: $log" >&2
    return 1
  fi
  echo "fuzz: $t ok" >&2
}

repro() { # TARGET FILE...
  local t=$1; shift
  build_target "$t"
  env_for_run "$t"
  local files=() f
  for f in "$@"; do files+=("$(readlink -f "$f")"); done
  sandboxed "$build/bin/fuzz-$t" -runs=1 "${files[@]}" 2>&1 | "$toolbin/swift-demangle" --simplified
  local status=${PIPESTATUS[0]}
  rm -rf "$PICORUN_FUZZ_SCRATCH"
  return "$status"
}

targets() { [[ ${1:-all} == all ]] && echo "${all_targets[@]}" || echo "$1"; }

case ${1:-all} in
  build)
    for t in $(targets "${2:-all}"); do build_target "$t"; done ;;
  repro)
    [[ $# -ge 3 ]] || { echo "usage: $0 repro TARGET FILE..." >&2; exit 2; }
    shift; repro "$@" ;;
  *)
    seconds=${2:-60}
    for t in $(targets "${1:-all}"); do build_target "$t"; done
    failed=0
    for t in $(targets "${1:-all}"); do run_target "$t" "$seconds" || failed=1; done
    exit $failed ;;
esac
