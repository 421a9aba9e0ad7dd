#!/usr/bin/env bash
# Runs bash's own upstream test suite (tests/run-*) against the bash the
# system ships, one group at a time, natively or under a wrapper command
# such as picorun, and prints one line per group:
#   GROUP clean      the group printed nothing but upstream's "warning:" notes
#   GROUP differs    anything else (diff output, errors) or a timeout
# then "N clean, M differ". It exits 0 whatever the results, so a caller can
# compare a native run with a wrapped one; it exits non-zero with a one-line
# error only if fetching or preparing the tests fails.
#
# Usage: scripts/bash-suite.sh [--wrap 'CMD ARGS'] [--groups 'a b c'] [--list]
#          [--out DIR] [--rootfs DIR] [--user NAME] [--no-tty] [--timeout S]
#   --wrap 'CMD ARGS'  run each group's shell as `CMD ARGS /bin/sh -c '... sh
#                      ./run-GROUP'`; the wrapper must follow every descendant
#                      (THIS_SH, the helpers, diff), as picorun does
#   --groups 'a b'     only these groups (names with or without "run-")
#   --list             print the group names and exit
#   --out DIR          keep each group's output in DIR/GROUP.out (default: a
#                      new temporary dir); DIR/summary has the result lines,
#                      DIR/times the seconds each group took
#   --rootfs DIR       run inside a Debian rootfs (e.g. the one that
#                      scripts/make-test-rootfs.sh builds): the tests are copied
#                      to DIR/tmp/bash-tests (removed afterwards) with
#                      statically linked helpers, THIS_SH is the rootfs's
#                      /bin/bash, and each group runs as
#                        chroot DIR [setpriv] script ... env -i ... \
#                          /bin/sh -c 'cd /tmp/bash-tests/tests && sh ./run-G'
#                      (in a private mount namespace with /proc and /dev bound
#                      in), or with --wrap as
#                        [setpriv] script ... env -i ... $WRAP /bin/sh -c '...'
#                      on the host, where WRAP names the rootfs itself:
#                      --wrap 'picorun --rootfs DIR'
#   --user NAME        run the groups as this user (e.g. nobody) instead of the
#                      caller: upstream says not to run the suite as root, and
#                      as root execscript, glob-test, new-exp and test differ.
#                      A wrapper runs as the user too, so with --rootfs the
#                      user must reach DIR (the default rootfs, under /root,
#                      is not reachable by nobody)
#   --no-tty           no pseudo-terminal (see below): read, test and vredir
#                      then differ
#   --timeout S        per-group limit, default 120 s
#
# Fetching (once per machine, cached with a .complete marker holding the
# source version, in ${XDG_CACHE_HOME:-~/.cache}/picorun-test/bash-tests):
# the Debian source package of the bash under test (bookworm: 5.2.15-2, whose
# orig tarball is upstream 5.2 already at patch level 15; dpkg-source applies
# Debian's own patches, none of which touch tests/) comes from deb.debian.org
# through a private apt configuration (its deb-src list, lists and cache in a
# temporary dir; the system's apt config is not touched). The helpers the
# tests call (recho, zecho, printenv, xcase from support/) are compiled with
# cc directly, without configure, dynamically and statically (for --rootfs).
# heredoc5.sub only needs $BUILD_DIR/{y.tab.c,config.h,version.h} to exist,
# so config.h is config.h.in and version.h comes from support/mkversion.sh.
# Like Debian's build (debian/locale-gen), the locales that the intl, glob
# and unicode tests use are compiled with localedef into the cache and found
# through LOCPATH; a `locale` shim in tests/ adds them to `locale -a`, which
# those tests consult and which ignores LOCPATH. Nothing system-wide changes.
#
# Environment of each group: what tests/run-all and `make tests` set up
# (TMPDIR=/tmp, BASH_TSTOUT, THIS_SH=/bin/bash, BUILD_DIR, PATH starting with
# "." and the tests dir, no BASH_ENV nor SHELLOPTS) in an otherwise empty
# environment (env -i, plus HOME=the tree, LANG=C, LOCPATH), run with `sh` as
# run-all does, with no inherited file descriptors beyond 0-2. Upstream runs
# the suite from a terminal (read, test and vredir read /dev/tty; read7.sub
# wants stdin to be one), so each group runs under script(1) on a fresh
# pseudo-terminal whose input never comes and never ends (a FIFO held open).
# Tests write fixed names in /tmp: do not run two instances at once.
set -euo pipefail

die() { echo "bash-suite: $*" >&2; exit 1; }

cache=${XDG_CACHE_HOME:-$HOME/.cache}/picorun-test/bash-tests
wrap=() groups_wanted='' list_only=0 out='' rootfs='' timeout_s=120
run_user='' use_tty=1 temp_dirs=()
helpers=(recho zecho printenv xcase)
# name:locale source:charmap, as the tests spell the names
locales=(en_US.UTF-8:en_US:UTF-8 de_DE.UTF-8:de_DE:UTF-8
         fr_FR.ISO8859-1:fr_FR:ISO-8859-1 ja_JP.SJIS:ja_JP:SHIFT_JIS
         zh_HK.big5hkscs:zh_HK:BIG5-HKSCS zh_TW.BIG5:zh_TW:BIG5
         ru_RU.CP1251:ru_RU:CP1251)

cleanup() { [ ${#temp_dirs[@]} -eq 0 ] || rm -rf "${temp_dirs[@]}"; }
trap cleanup EXIT

new_temp_dir() {  # $1: name prefix; sets $temp_dir (removed on exit)
  temp_dir=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || die "mktemp failed"
  temp_dirs+=("$temp_dir")
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      --wrap) read -r -a wrap <<<"${2:?--wrap needs a command}"; shift 2 ;;
      --groups) groups_wanted=${2:?--groups needs names}; shift 2 ;;
      --list) list_only=1; shift ;;
      --out) out=${2:?--out needs a dir}; shift 2 ;;
      --rootfs) rootfs=${2:?--rootfs needs a dir}; shift 2 ;;
      --user) run_user=${2:?--user needs a name}; shift 2 ;;
      --no-tty) use_tty=0; shift ;;
      --timeout) timeout_s=${2:?--timeout needs seconds}; shift 2 ;;
      -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
      *) die "unknown argument: $1 (see --help)" ;;
    esac
  done
  if [ -n "$rootfs" ]; then
    rootfs=$(cd "$rootfs" 2>/dev/null && pwd) || die "no rootfs at $rootfs"
    [ -x "$rootfs/bin/bash" ] || die "no /bin/bash in rootfs $rootfs"
  fi
  if [ ${#wrap[@]} -gt 0 ]; then   # absolute, since groups run in another cwd
    local w; w=$(type -P "${wrap[0]}") || die "wrapper not found: ${wrap[0]}"
    case $w in /*) ;; *) w=$PWD/$w ;; esac
    wrap[0]=$w
  fi
  if [ -n "$run_user" ]; then
    id -u "$run_user" >/dev/null 2>&1 || die "no such user: $run_user"
    # a wrapper then runs as the user, and must reach the rootfs as the user
    if [ -n "$rootfs" ] && [ ${#wrap[@]} -gt 0 ] && ! setpriv --reuid="$(id -u "$run_user")" \
        --regid="$(id -g "$run_user")" --clear-groups test -x "$rootfs/bin/bash"; then
      die "$run_user cannot reach $rootfs (a wrapper runs as --user); put the rootfs elsewhere"
    fi
  fi
}

# --- fetching and preparing (once per machine) ------------------------------

# The source version of the bash under test ("5.2.15-2" for "5.2.15-2+b8").
bash_source_version() {
  dpkg-query --admindir="${rootfs:-}/var/lib/dpkg" -W -f='${source:Version}' bash
}

distro_codename() {
  (. "${rootfs:-}/etc/os-release" && echo "${VERSION_CODENAME:-bookworm}")
}

install_missing_tools() {
  local need=()
  command -v dpkg-source >/dev/null || need+=(dpkg-dev)
  command -v cc >/dev/null || need+=(gcc)
  [ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e /usr/lib/libc.a ] || need+=(libc6-dev)
  [ -e /usr/share/i18n/locales/en_US ] || need+=(locales)
  command -v script >/dev/null || need+=(bsdutils)
  command -v setpriv >/dev/null || need+=(util-linux)
  [ ${#need[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing ${need[*]}; install them (needs root)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${need[@]}"; } >&2 \
    || die "could not install ${need[*]}"
}

# Downloads and unpacks the bash source package into $1/bash-src with apt
# using only a private deb-src list.
fetch_source() {
  local tmp=$1 version codename mirror security key apt_opts
  version=$(bash_source_version) || die "cannot tell which bash is installed"
  codename=$(distro_codename)
  mirror=${PICORUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  security=${PICORUN_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
  key=/usr/share/keyrings/debian-archive-keyring.gpg
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial" "$tmp/dl"
  {
    echo "deb-src [signed-by=$key] $mirror $codename main"
    echo "deb-src [signed-by=$key] $mirror $codename-updates main"
    echo "deb-src [signed-by=$key] $security $codename-security main"
  } >"$tmp/sources.list"
  apt_opts=(-q -o "Dir::Etc::SourceList=$tmp/sources.list"
            -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$tmp/lists"
            -o "Dir::Cache=$tmp/cache" -o APT::Sandbox::User=root)
  local log=${cache%/*}/bash-tests-fetch.log
  mkdir -p "${cache%/*}"
  apt-get "${apt_opts[@]}" update >"$log" 2>&1 \
    || die "apt-get update of a private deb-src list failed (see $log)"
  (cd "$tmp/dl" && { apt-get "${apt_opts[@]}" source --download-only "bash=$version" \
      || apt-get "${apt_opts[@]}" source --download-only bash; }) >>"$log" 2>&1 \
    || die "apt-get source bash failed (see $log)"
  dpkg-source -x "$tmp"/dl/bash_*.dsc "$tmp/bash-src" >>"$log" 2>&1 \
    || die "dpkg-source -x failed (see $log)"
}

compile_helpers() {  # $1: source tree, $2: destination tree
  local src=$1 dest=$2 p flags=(-O2 -w -DHAVE_STRING_H -DHAVE_STDLIB_H -DHAVE_UNISTD_H)
  mkdir -p "$dest/static"
  for p in "${helpers[@]}"; do
    cc "${flags[@]}" -I"$src" -I"$src/include" -o "$dest/tests/$p" "$src/support/$p.c" || return 1
    cc -static "${flags[@]}" -I"$src" -I"$src/include" -o "$dest/static/$p" \
      "$src/support/$p.c" || return 1
  done
}

compile_locales() {  # $1: destination tree
  local dest=$1/locales l name input charset
  mkdir -p "$dest"
  for l in "${locales[@]}"; do
    IFS=: read -r name input charset <<<"$l"
    # -c: SHIFT_JIS is not ASCII-compatible, which localedef only warns about
    localedef -c -i "$input" -f "$charset" "$dest/$name" >/dev/null 2>&1 \
      || [ -e "$dest/$name/LC_CTYPE" ] || die "localedef $name failed"
  done
  cat >"$1/tests/locale" <<'EOF'
#!/bin/sh
# From picorun's scripts/bash-suite.sh: `locale -a` that also lists the
# locales compiled for the tests in $LOCPATH, which glibc's locale -a ignores.
if [ "$*" = -a ]; then /usr/bin/locale -a; ls "${LOCPATH%%:*}"; exit 0; fi
exec /usr/bin/locale "$@"
EOF
  chmod +x "$1/tests/locale"
}

# Lays out $cache like bash's build tree: tests/ with the helpers in it, and
# the files heredoc5.sub reads from $BUILD_DIR (= ..).
prepare() {
  local want; want=$(bash_source_version) || die "cannot tell which bash is under test"
  if [ -e "$cache/.complete" ] && [ "$(cat "$cache/.complete")" = "$want" ]; then return 0; fi
  install_missing_tools
  new_temp_dir bash-suite-fetch; local tmp=$temp_dir
  fetch_source "$tmp"
  local src=$tmp/bash-src stage=$tmp/stage
  mkdir -p "$stage"
  cp -a "$src/tests" "$stage/tests"
  cp "$src/y.tab.c" "$stage/y.tab.c"
  cp "$src/config.h.in" "$stage/config.h"
  (cd "$src" && sh support/mkversion.sh -b -S . -s release \
     -d "$(sed -n 's/^BASHVERS=//p' configure)" -o "$stage/version.h") >/dev/null \
    || die "support/mkversion.sh failed"
  compile_helpers "$src" "$stage" || die "compiling the test helpers failed"
  compile_locales "$stage"
  echo "$want" >"$stage/.complete"
  rm -rf "$cache"; mkdir -p "${cache%/*}"
  mv "$stage" "$cache"
}

# --- running -----------------------------------------------------------------

all_groups() {
  local f
  for f in "$cache"/tests/run-*; do
    f=${f##*/}
    case $f in run-all|run-minimal|run-gprof|*.orig|*~) continue ;; esac
    echo "${f#run-}"
  done
}

selected_groups() {
  if [ -z "$groups_wanted" ]; then all_groups; return; fi
  local g
  for g in $groups_wanted; do
    g=${g#run-}
    [ -e "$cache/tests/run-$g" ] || die "no such group: $g (see --list)"
    echo "$g"
  done
}

# Copies the prepared tree to where this run's tests execute: sets $tree (as
# this script sees it) and $inside (as the tests see it).
lay_out_tree() {
  if [ -n "$rootfs" ]; then
    tree=$rootfs/tmp/bash-tests inside=/tmp/bash-tests
    rm -rf "$tree"; mkdir -p "$rootfs/tmp"
    cp -a "$cache" "$tree"
    cp "$tree"/static/* "$tree/tests/"
  else
    new_temp_dir bash-suite-tree; tree=$temp_dir/bash-tests
    chmod 755 "${tree%/*}"
    inside=$tree
    cp -a "$cache" "$tree"
  fi
  mkdir -p "$tree/out"
  mkfifo "$tree/.never"   # the terminal's input: opened read-write, it never ends
  if [ -n "$run_user" ]; then
    chown -R "$(id -u "$run_user"):$(id -g "$run_user")" "$tree"
  fi
}

# Closes what the caller left open beyond 0-2 (the tests count descriptors).
close_inherited_fds() {
  local fd
  for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    case $fd in 0|1|2|255) continue ;; esac
    eval "exec $fd>&-" 2>/dev/null || true
  done
}

sh_quote() { local s=${1//\'/\'\\\'\'}; printf "'%s' " "$s"; }

# The command that runs group $1 in the environment tests/run-all gives it;
# its output goes to $inside/out/$1.out, then its status to $1.ran. The
# wrapper runs only the test shell, inside the terminal and the user switch;
# natively in a rootfs the whole chain (setpriv, script, env) runs in chroot.
group_command() {
  local g=$1
  # the .ran marker tells a finished group from a wrapper that failed silently
  local inner="cd $inside/tests && sh ./run-$g >$inside/out/$g.out 2>&1; echo \$? >$inside/out/$g.ran"
  local cmd=(/usr/bin/env -i
    "PATH=.:$inside/tests:/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
    "HOME=$inside" LANG=C "LOCPATH=$inside/locales:/usr/lib/locale" TMPDIR=/tmp
    THIS_SH=/bin/bash "BUILD_DIR=$inside" "BASH_TSTOUT=/tmp/bashtst-$$")
  cmd+=(${wrap[@]+"${wrap[@]}"} /bin/sh -c "$inner")
  if [ "$use_tty" = 1 ]; then
    local line='' a; for a in "${cmd[@]}"; do line+=$(sh_quote "$a"); done
    cmd=(/usr/bin/env SHELL=/bin/sh /usr/bin/script -qec "$line" /dev/null)
  fi
  if [ -n "$run_user" ]; then   # outside script(1), so that the terminal is theirs
    cmd=(/usr/bin/setpriv "--reuid=$(id -u "$run_user")" "--regid=$(id -g "$run_user")"
         --clear-groups "${cmd[@]}")
  fi
  if [ -n "$rootfs" ] && [ ${#wrap[@]} -eq 0 ]; then
    cmd=(unshare --mount --propagation private /bin/sh -c \
      'r=$1; shift; mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
       exec chroot "$r" "$@"' sh "$rootfs" "${cmd[@]}")
  fi
  printf '%s\0' "${cmd[@]}"
}

# Kills what a group left running (found by a cwd inside the tree).
reap_leftovers() {
  local p cwd
  for p in /proc/[0-9]*; do
    cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
    case $cwd in "$tree"|"$tree"/*) kill -KILL "${p#/proc/}" 2>/dev/null || true ;; esac
  done
}

# Runs group $1; its output (the run-* script's, then anything else the
# terminal or the wrapper printed) ends up in $out/$1.out. Sets $note when
# the group timed out or did not finish.
run_group() {
  local g=$1 cmd rc=0 stdin=/dev/null
  note=
  mapfile -d '' -t cmd < <(group_command "$g")
  [ "$use_tty" = 0 ] || stdin=$tree/.never
  rm -f "$tree/out/$g.out" "$tree/out/$g.ran"
  timeout -k 10 "$timeout_s" "${cmd[@]}" <>"$stdin" >"$out/$g.rest" 2>&1 || rc=$?
  reap_leftovers
  rm -f "${rootfs:-}/tmp/bashtst-$$"
  { cat "$tree/out/$g.out" 2>/dev/null || true; tr -d '\r' <"$out/$g.rest"; } >"$out/$g.out"
  rm -f "$out/$g.rest"
  case $rc in
    124|137) note="timeout after ${timeout_s}s" ;;
    *) [ -e "$tree/out/$g.ran" ] || note="did not finish, status $rc" ;;
  esac
  [ -z "$note" ] || echo "bash-suite: $note" >>"$out/$g.out"
}

# Clean: nothing but the "warning:" notes upstream's run-* scripts print.
is_clean() { ! grep -qv '^warning:' "$1"; }

main() {
  parse_args "$@"
  prepare
  if [ "$list_only" = 1 ]; then all_groups; exit 0; fi
  local groups; groups=$(selected_groups)
  [ -n "$out" ] || out=$(mktemp -d "${TMPDIR:-/tmp}/bash-suite-results.XXXXXX")
  mkdir -p "$out"; out=$(cd "$out" && pwd)
  : >"$out/summary"; : >"$out/times"
  close_inherited_fds
  lay_out_tree
  [ -z "$rootfs" ] || temp_dirs+=("$tree")
  local g clean=0 differ=0 line start=$SECONDS t0 note
  for g in $groups; do
    t0=$SECONDS
    run_group "$g"
    echo "$g $((SECONDS - t0))" >>"$out/times"
    if [ -z "$note" ] && is_clean "$out/$g.out"; then
      line="$g clean"; clean=$((clean + 1))
    else
      line="$g differs"; differ=$((differ + 1))
      [ -z "$note" ] || line+=" ($note)"
    fi
    echo "$line" | tee -a "$out/summary"
  done
  echo "results in $out ($((SECONDS - start)) s)"
  echo "$clean clean, $differ differ" | tee -a "$out/summary"
}

main "$@"
