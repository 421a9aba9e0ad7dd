#!/usr/bin/env python3
"""picorun's benchmark: each workload natively, under picorun, under PRoot
and under qemu-x86_64 (when installed), alternating runners within every
round, several rounds. Reports the median wall time of each runner as a
ratio to native (absolute times on a shared machine mean little) and
picorun's peak RSS, in BENCHMARKS.md plus an SVG chart.

Usage: bench/bench.py [--rounds N] [--only NAME[,NAME]] [--out FILE] [--no-build]
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


def workloads():
    """(name, argv, what it measures). argv runs natively as is."""
    return [
        ("getpid", [f"{FIX}/getpid-loop", "1000000"], "1,000,000 getpid (pure passthrough)"),
        ("stat", [f"{FIX}/stat-loop", "200000", "/etc/passwd"], "200,000 stat of one path"),
        ("find", ["/usr/bin/find", "/usr", "-name", "*.h"], "find /usr -name '*.h'"),
        ("spawn", ["/bin/sh", "-c", "i=0; while [ $i -lt 500 ]; do /bin/true; i=$((i+1)); done"], "500 × fork+exec /bin/true"),
        ("python", ["/usr/bin/python3", "-c", "pass"], "python3 -c pass startup"),
        ("cpu", [f"{FIX}/cpu-bound", "4000"], "CPU-bound hashing (the overhead floor)"),
    ]


def runners(picorun, floor):
    r = [("native", []), ("seccomp-floor", [floor]), ("picorun", [picorun])]
    if shutil.which("proot"):
        r.append(("proot", [shutil.which("proot")]))
    if shutil.which("qemu-x86_64"):
        r.append(("qemu", [shutil.which("qemu-x86_64")]))
    return r


def run_once(cmd, watch_rss):
    """Wall seconds of one run, and the peak RSS (KiB) of the top process."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
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
    args = ap.parse_args()

    if not args.no_build:
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True)
        subprocess.run([os.path.join(ROOT, "Fixtures/elf/build.sh")], check=True, stdout=subprocess.DEVNULL)
    bin_path = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    picorun = os.path.join(bin_path, "picorun")
    floor = os.path.join(tempfile.mkdtemp(prefix="picorun-bench-"), "seccomp-floor")
    subprocess.run(["cc", "-O2", "-o", floor, os.path.join(ROOT, "bench/seccomp-floor.c")], check=True)
    chosen = [w for w in workloads() if not args.only or w[0] in args.only.split(",")]
    names = [n for n, _ in runners(picorun, floor)]
    rows = []
    for name, argv, what in chosen:
        times = {n: [] for n in names}
        rss = []
        for rnd in range(args.rounds):
            order = runners(picorun, floor)
            if rnd % 2:
                order = order[:1] + order[1:][::-1]
            for rname, prefix in order:
                try:
                    t, _ = run_once(prefix + argv, watch_rss=False)
                except RuntimeError as e:
                    print(f"  {name}/{rname}: failed: {e}", file=sys.stderr)
                    continue
                times[rname].append(t)
        # Peak RSS comes from a separate, untimed run: polling /proc would
        # steal CPU from the timed ones.
        try:
            rss.append(run_once([picorun] + argv, watch_rss=True)[1])
        except RuntimeError as e:
            print(f"  {name}/picorun (RSS run): failed: {e}", file=sys.stderr)
        med = {n: statistics.median(v) for n, v in times.items() if v}
        row = {"name": name, "what": what, "rss": max(rss) if rss else 0}
        for n in names:
            if n in med and "native" in med:
                row[n] = med[n] / med["native"]
        rows.append(row)
        print(f"{name:8s} " + "  ".join(f"{n} {row[n]:.2f}×" for n in names if n in row)
              + f"  picorun peak RSS {row['rss'] / 1024:.1f} MiB", flush=True)

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
            cells = [f"{r[n]:.2f}×" if n in r else "failed" for n in names if n != "native"]
            f.write(f"| {r['name']} | {r['what']} | " + " | ".join(cells) + f" | {r['rss'] / 1024:.1f} MiB |\n")
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
