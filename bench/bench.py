#!/usr/bin/env python3
"""picorun's benchmark: each workload natively, under picorun, under PRoot
and under qemu-x86_64 (when installed), alternating runners within every
round, several rounds. Reports the median wall time of each runner as a
ratio to native (absolute times on a shared machine mean little) and
picorun's peak RSS, in BENCHMARKS.md plus an SVG chart.

Each workload runs on the host tree and, as root, on a Debian rootfs (the
test rootfs plus git, make and gcc: scripts/make-bench-rootfs.sh)
(native there is a real chroot; picorun runs with --rootfs; proot with -r).
A workload whose median misses its target gets a stop profile: the calls
that stop, counted by one --coverage run.

Usage: bench/bench.py [--rounds N] [--only NAME[,NAME]] [--out FILE] [--no-build] [--rootfs DIR]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Fixtures/elf/out")


TARGETS = {"getpid": 1.10, "stat": 6, "stat-par": 6, "find": 4, "spawn": 2.5, "python": 1.4, "tar": 2, "gcc": None, "cpu": 1.02,
           "git-status": 3, "git-diff": 3, "make": 1.3, "dpkg": 2, "apt": None}

# The local package the dpkg row installs (files) and the one the apt row
# installs from a file: repository.
DEB_FILES, APT_FILES = 2000, 500
APT_LIST = "/etc/apt/sources.list.d/picorun-bench.list"


def workloads(root):
    """(name, argv, what it measures) for a tree whose fixture copies and
    scratch files live under ROOT/tmp/picorun-bench (root is "/" for the
    host tree). argv runs natively as is (in a chroot for a rootfs)."""
    b = "/tmp/picorun-bench"
    w = [
        ("getpid", [f"{b}/getpid-loop", "1000000"], "1,000,000 getpid (pure passthrough)"),
        ("stat", [f"{b}/stat-loop", "200000", "/etc/passwd"], "200,000 stat of one path"),
        ("stat-par", ["/bin/sh", "-c", f"{b}/stat-loop 100000 /etc/passwd & {b}/stat-loop 100000 /etc/passwd; wait"],
         "2 processes × 100,000 stat at once (answered in parallel)"),
        ("find", ["/usr/bin/find", "/usr", "-name", "*.h"], "find /usr -name '*.h'"),
        ("spawn", ["/bin/sh", "-c", "i=0; while [ $i -lt 500 ]; do /bin/true; i=$((i+1)); done"], "500 × fork+exec /bin/true"),
        ("python", ["/usr/bin/python3", "-c", "pass"], "python3 -c pass startup"),
        ("tar", ["/bin/sh", "-c", f"rm -rf {b}/x && mkdir {b}/x && tar xf {b}/files.tar -C {b}/x"],
         "tar xf of 100 MB in 9,000 files (VolFS writes + sidecar in a rootfs)"),
        ("gcc", ["/usr/bin/gcc", "-O1", "-c", f"{b}/big.c", "-o", f"{b}/big.o"], "gcc -O1 of a 2,000-line C file"),
        ("cpu", [f"{b}/cpu-bound", "4000"], "CPU-bound hashing (the overhead floor)"),
        ("git-status", ["/usr/bin/git", "-C", f"{b}/repo", "status", "--porcelain"], "git status in a work tree of 10,000 files"),
        ("git-diff", ["/usr/bin/git", "-C", f"{b}/repo", "diff", "--stat"], "git diff --stat in the same tree (50 files changed)"),
        ("make", ["/usr/bin/make", "-s", "-B", "-j2", "-C", f"{b}/mk"], "make -B -j2 of 50 C files and a link"),
    ]
    if root != "/":
        # Into the distro's own package database: the host's is not the bench's to change.
        w += [
            ("dpkg", ["/usr/bin/dpkg", "-i", f"{b}/picorun-bench-files.deb"], f"dpkg -i of a local package of {DEB_FILES:,} files"),
            ("apt", ["/usr/bin/apt-get", "-q", "-y", "-o", "APT::Sandbox::User=root", "install", "--reinstall", "picorun-bench-apt"],
             f"apt-get install --reinstall from a file: repository ({APT_FILES} files)"),
        ]
    return [x for x in w if os.path.exists(os.path.join(root, x[1][0].lstrip("/")))]


def prepare_tree(root):
    """Fixture copies, the tarball and the C file under ROOT/tmp/picorun-bench."""
    b = os.path.join(root, "tmp/picorun-bench")
    os.makedirs(b, exist_ok=True)
    for f in ("getpid-loop", "stat-loop", "cpu-bound"):
        shutil.copy2(os.path.join(FIX, f), b)
    tarball = os.path.join(b, "files.tar")
    if not os.path.exists(tarball):
        src = tempfile.mkdtemp(prefix="picorun-bench-src-")
        rnd = open("/dev/urandom", "rb")
        for i in range(9000):
            d = os.path.join(src, f"d{i // 100:02d}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"f{i:04d}"), "wb") as f:
                f.write(rnd.read(100 * 1000 * 1000 // 9000))
        subprocess.run(["tar", "-C", src, "-cf", tarball, "."], check=True)
        shutil.rmtree(src)
    with open(os.path.join(b, "big.c"), "w") as f:
        for i in range(400):
            f.write(f"static int f{i}(int x) {{\n  int y = x * {i} + 1;\n  for (int k = 0; k < x; k++) y ^= k << (k % 7);\n  return y;\n}}\n")
        f.write("int all(int x) { return " + " + ".join(f"f{i}(x)" for i in range(400)) + "; }\n")
    prepare_repo(os.path.join(b, "repo"))
    prepare_make(os.path.join(b, "mk"))
    if root != "/":
        prepare_packages(root, b)
    return b


def prepare_repo(repo):
    """A git work tree of 10,000 files in 100 folders, committed, then 50 changed."""
    if os.path.exists(os.path.join(repo, ".git")) or not shutil.which("git"):
        return
    for i in range(10000):
        d = os.path.join(repo, f"src{i // 100:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"file{i:05d}.txt"), "w") as f:
            f.write(f"line {i}\n" * 5)
    git = ["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(git + args, check=True, stdout=subprocess.DEVNULL)
    for i in range(0, 10000, 200):
        with open(os.path.join(repo, f"src{i // 100:02d}", f"file{i:05d}.txt"), "a") as f:
            f.write("changed\n")


def prepare_make(mk):
    """50 C files, a Makefile with a pattern rule and a link."""
    os.makedirs(mk, exist_ok=True)
    for i in range(50):
        with open(os.path.join(mk, f"u{i:02d}.c"), "w") as f:
            f.write("#include <stdio.h>\n#include <string.h>\n")
            f.write(f"int u{i:02d}(int x) {{ char b[64]; snprintf(b, sizeof b, \"%d\", x * {i}); return (int)strlen(b); }}\n")
    with open(os.path.join(mk, "main.c"), "w") as f:
        f.write("".join(f"int u{i:02d}(int);\n" for i in range(50)))
        f.write("int main(void) { return " + " + ".join(f"u{i:02d}(1)" for i in range(50)) + " > 0 ? 0 : 1; }\n")
    with open(os.path.join(mk, "Makefile"), "w") as f:
        f.write("OBJS = main.o " + " ".join(f"u{i:02d}.o" for i in range(50)) + "\n")
        f.write("prog: $(OBJS)\n\tcc -o $@ $(OBJS)\n%.o: %.c\n\tcc -O1 -c $< -o $@\n")


def make_deb(out, name, files):
    """A binary package of `files` small files under /usr/share/NAME."""
    src = tempfile.mkdtemp(prefix="picorun-bench-deb-")
    os.makedirs(os.path.join(src, "DEBIAN"))
    with open(os.path.join(src, "DEBIAN", "control"), "w") as f:
        f.write(f"Package: {name}\nVersion: 1.0\nArchitecture: all\nMaintainer: picorun bench <bench@localhost>\n"
                f"Description: {files} small files for picorun's benchmark\n")
    for i in range(files):
        d = os.path.join(src, "usr", "share", name, f"d{i // 100:02d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i:05d}"), "w") as f:
            f.write(f"{name} {i}\n" * 20)
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-b", src, out], check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(src)


def prepare_packages(root, b):
    """The dpkg row's package, and a file: repository holding the apt row's,
    known to the distro's apt (its lists updated in a real chroot)."""
    if not shutil.which("dpkg-deb"):
        return
    deb = os.path.join(b, "picorun-bench-files.deb")
    if not os.path.exists(deb):
        make_deb(deb, "picorun-bench-files", DEB_FILES)
    repo = os.path.join(b, "aptrepo")
    os.makedirs(repo, exist_ok=True)
    pkg = os.path.join(repo, "picorun-bench-apt.deb")
    if not os.path.exists(pkg):
        make_deb(pkg, "picorun-bench-apt", APT_FILES)
    import hashlib
    data = open(pkg, "rb").read()
    control = subprocess.run(["dpkg-deb", "-f", pkg], check=True, capture_output=True, text=True).stdout.strip()
    with open(os.path.join(repo, "Packages"), "w") as f:
        f.write(f"{control}\nFilename: ./picorun-bench-apt.deb\nSize: {len(data)}\n"
                f"MD5sum: {hashlib.md5(data).hexdigest()}\nSHA256: {hashlib.sha256(data).hexdigest()}\n\n")
    with open(os.path.join(root, APT_LIST.lstrip("/")), "w") as f:
        f.write("deb [trusted=yes] file:/tmp/picorun-bench/aptrepo ./\n")
    chroot_run(root, "apt-get -q -o APT::Sandbox::User=root update >/dev/null && "
                     "apt-get -q -y -o APT::Sandbox::User=root install picorun-bench-apt >/dev/null && "
                     "dpkg -i /tmp/picorun-bench/picorun-bench-files.deb >/dev/null")


def forget_packages(root):
    """Takes the bench's packages and repository out of the distro again."""
    if root == "/" or not os.path.exists(os.path.join(root, APT_LIST.lstrip("/"))):
        return
    os.unlink(os.path.join(root, APT_LIST.lstrip("/")))
    chroot_run(root, "dpkg --purge picorun-bench-files picorun-bench-apt >/dev/null; "
                     "rm -f /var/lib/apt/lists/_tmp_picorun-bench_aptrepo_*")


def chroot_run(root, script):
    """`script` in a real chroot of `root` with /proc, /dev and /sys."""
    setup = ('mount --bind /proc "$R/proc" && mount --rbind /dev "$R/dev" && mount --bind /sys "$R/sys" && '
             'exec chroot "$R" /usr/bin/env PATH=/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c "$S"')
    subprocess.run(["unshare", "-m", "/bin/sh", "-c", setup], check=True, env=dict(os.environ, R=root, S=script))


def runners(picorun, floor, root, home):
    """(name, argv prefix, env) per runner. On a rootfs, native is a real
    chroot (root only) and picorun runs with --rootfs."""
    env = dict(os.environ, PICORUN_HOME=home)
    if root == "/":
        r = [("native", [], env), ("seccomp-floor", [floor], env), ("picorun", [picorun], env)]
        if shutil.which("proot"):
            r.append(("proot", [shutil.which("proot")], env))
        if shutil.which("qemu-x86_64"):
            r.append(("qemu", [shutil.which("qemu-x86_64")], env))
        return r
    r = [("native", ["chroot", root], env), ("picorun", [picorun, "--rootfs", root], env)]
    if shutil.which("proot"):
        r.append(("proot", [shutil.which("proot"), "-r", root, "-b", "/proc", "-b", "/dev", "-b", "/sys"], env))
    return r


def stop_profile(picorun, argv, root, home):
    """Syscalls that stop (anything not passthrough), by count, from one
    --coverage run: what a missed target is made of."""
    out = tempfile.mktemp(suffix=".json")
    prefix = [picorun, "--coverage", out] + ([] if root == "/" else ["--rootfs", root])
    subprocess.run(prefix + argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, PICORUN_HOME=home))
    try:
        import json
        calls = json.load(open(out))["syscalls"]
        os.unlink(out)
    except (OSError, ValueError, KeyError):
        return ""
    stops = sorted((c for c in calls if c["level"] != "passthrough"), key=lambda c: -c["count"])
    return ", ".join(f"{c['name']} {c['count']:,} ({c['level']})" for c in stops[:5])


def find_rootfs():
    """The bench rootfs: the test rootfs plus git, make and gcc (built once
    per machine by scripts/make-bench-rootfs.sh)."""
    r = subprocess.run([os.path.join(ROOT, "scripts/make-bench-rootfs.sh")], capture_output=True, text=True)
    path = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else ""
    return path if os.path.isdir(path) else None


def run_once(cmd, watch_rss, env=None):
    """Wall seconds of one run, and the peak RSS (KiB) of the top process."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    peak = 0
    if watch_rss:
        while p.poll() is None:
            try:
                with open(f"/proc/{p.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.005)
    _, err = p.communicate()
    elapsed = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {err.decode(errors='replace')[-500:]}")
    return elapsed, peak


def svg_chart(rows, names, path):
    """Grouped horizontal bars of ratio to native, log scale."""
    import math
    colors = {"picorun": "#2a7ab0", "proot": "#c0504d", "qemu": "#9bbb59", "seccomp-floor": "#bbbbbb"}
    others = [n for n in names if n != "native"]
    bar, gap, left, width = 14, 10, 90, 520
    height = len(rows) * (len(others) * bar + gap) + 60
    top = max([r[n] for r in rows for n in others if r.get(n)] + [2])
    scale = lambda v: left + width * math.log10(max(v, 1)) / math.log10(top * 1.2)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 80}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<text x="{left}" y="14" font-weight="bold">Median time relative to native (log scale; 1 = native)</text>']
    y = 30
    for r in rows:
        out.append(f'<text x="4" y="{y + bar * len(others) / 2 + 4}">{r["name"]}</text>')
        for n in others:
            v = r.get(n)
            if v:
                out.append(f'<rect x="{left}" y="{y}" width="{scale(v) - left:.1f}" height="{bar - 2}" fill="{colors.get(n, "#888")}"/>')
                out.append(f'<text x="{scale(v) + 4:.1f}" y="{y + bar - 4}">{n} {v:.2f}×</text>')
            y += bar
        y += gap
    out.append(f'<line x1="{left}" y1="24" x2="{left}" y2="{height - 10}" stroke="#000"/>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--rootfs", default="", help="a rootfs for the rootfs rows (default: the test rootfs, as root)")
    args = ap.parse_args()

    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True)
        subprocess.run([os.path.join(ROOT, "Fixtures/elf/build.sh")], check=True, stdout=subprocess.DEVNULL)
    bin_path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    picorun = os.path.join(bin_path, "picorun")
    floor = os.path.join(tempfile.mkdtemp(prefix="picorun-bench-"), "seccomp-floor")
    subprocess.run(["cc", "-O2", "-o", floor, os.path.join(ROOT, "bench/seccomp-floor.c")], check=True)
    notify = os.path.join(os.path.dirname(floor), "notify-floor")
    subprocess.run(["cc", "-O2", "-pthread", "-o", notify, os.path.join(ROOT, "bench/notify-floor.c")], check=True)
    home = tempfile.mkdtemp(prefix="picorun-bench-home-")
    trees = [("host", "/")]
    rootfs = args.rootfs or (find_rootfs() if os.geteuid() == 0 else None)
    if rootfs:
        trees.append(("rootfs", rootfs))
    names = ["native", "seccomp-floor", "picorun"] + [n for n in ("proot", "qemu") if shutil.which(n if n == "proot" else "qemu-x86_64")]
    rows = []
    profiles = []
    for tree, root in trees:
        prepare_tree(root)
        for name, argv, what in workloads(root):
            if args.only and name not in args.only.split(","):
                continue
            order0 = runners(picorun, floor, root, home)
            times = {n: [] for n, _, _ in order0}
            for rnd in range(args.rounds):
                order = order0 if rnd % 2 == 0 else order0[:1] + order0[1:][::-1]
                for rname, prefix, env in order:
                    try:
                        t, _ = run_once(prefix + argv, watch_rss=False, env=env)
                    except RuntimeError as e:
                        print(f"  {tree}/{name}/{rname}: failed: {e}", file=sys.stderr)
                        continue
                    times[rname].append(t)
            # Peak RSS comes from a separate, untimed run: polling /proc would
            # steal CPU from the timed ones.
            rss = 0
            try:
                rss = run_once(order0[[n for n, _, _ in order0].index("picorun")][1] + argv, watch_rss=True,
                               env=order0[0][2])[1]
            except RuntimeError as e:
                print(f"  {tree}/{name}/picorun (RSS run): failed: {e}", file=sys.stderr)
            med = {n: statistics.median(v) for n, v in times.items() if v}
            label = name if tree == "host" else f"{name} (rootfs)"
            row = {"name": label, "what": what, "rss": rss}
            for n in names:
                if n in med and "native" in med:
                    row[n] = med[n] / med["native"]
            rows.append(row)
            target = TARGETS.get(name)
            if target and row.get("picorun", 0) > target:
                profiles.append((label, row["picorun"], target, stop_profile(picorun, argv, root, home)))
            print(f"{label:16s} " + "  ".join(f"{n} {row[n]:.2f}×" for n in names if n in row)
                  + f"  picorun peak RSS {row['rss'] / 1024:.1f} MiB", flush=True)
        forget_packages(root)
        shutil.rmtree(os.path.join(root, "tmp/picorun-bench"), ignore_errors=True)

    # The floor of a user-notification supervisor: stats answered by a thread
    # that does no work, against native stats.
    floor_times = {"native": [], "notify": []}
    for _ in range(args.rounds):
        floor_times["native"].append(run_once([os.path.join(FIX, "stat-loop"), "200000", "/etc/passwd"], False)[0])
        floor_times["notify"].append(run_once([notify, "200000"], False)[0])
    notify_ratio = statistics.median(floor_times["notify"]) / statistics.median(floor_times["native"])
    print(f"notify-floor     {notify_ratio:.2f}× a native stat", flush=True)

    svg = os.path.splitext(args.out)[0] + ".svg"
    svg_chart(rows, names, svg)
    uname = os.uname()
    with open(args.out, "w") as f:
        f.write("# Benchmarks\n\n")
        f.write(f"Written by `bench/bench.py --rounds {args.rounds}`: median of {args.rounds} rounds, runners alternating "
                f"within each round, as a ratio to the native run of the same command on the same machine "
                f"({os.cpu_count()} cores, Linux {uname.release}). Lower is better; 1.00× is native speed. "
                f"`seccomp-floor` is the control: the command under an allow-everything seccomp filter and "
                f"nothing else, the cost every seccomp-based supervisor pays before doing any work.\n\n")
        f.write("| workload | what | " + " | ".join(n for n in names if n != "native") + " | picorun peak RSS |\n")
        f.write("|---|---|" + "---:|" * (len(names) - 1) + "---:|\n")
        for r in rows:
            cells = [f"{r[n]:.2f}×" if n in r else "—" for n in names if n != "native"]
            f.write(f"| {r['name']} | {r['what']} | " + " | ".join(cells) + f" | {r['rss'] / 1024:.1f} MiB |\n")
        f.write(f"\n**The notification floor.** `bench/notify-floor.c` makes the same 200,000 stats, each answered "
                f"through `SECCOMP_RET_USER_NOTIF` by a supervisor thread that does no work at all, with the synchronous "
                f"wake-ups picorun asks for: **{notify_ratio:.1f}× native** on this machine. Every path syscall of picorun "
                f"pays that round trip (the CPU handed to the supervisor and back); only the part of a ratio above it is "
                f"picorun's own work.\n")
        if profiles:
            f.write("\n### Targets missed, and the stops that make them\n\n"
                    "From one `--coverage` run of each (it traps every call, so counts, not times, are the point): "
                    "the calls that stop, most frequent first.\n\n| workload | picorun | target | stops |\n|---|---:|---:|---|\n")
            for label, got, target, stops in profiles:
                f.write(f"| {label} | {got:.2f}× | ≤ {target}× | {stops} |\n")
        if not rootfs:
            f.write("\nThe rootfs rows need root (native runs in a real chroot) and the test rootfs "
                    "(`scripts/make-test-rootfs.sh`); not measured in this run.\n")
        missing = [n for n in ("proot", "qemu") if n not in names]
        if missing:
            f.write(f"\nNot installed, so not measured: {', '.join(missing)} (Debian packages `proot`, `qemu-user`).\n")
        f.write(f"\n![ratios]({os.path.basename(svg)})\n")
        notes = os.path.join(ROOT, "bench/NOTES.md")
        if os.path.exists(notes):
            f.write("\n" + open(notes).read())
    print(f"wrote {args.out} and {svg}")


if __name__ == "__main__":
    main()
