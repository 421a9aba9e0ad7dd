#!/usr/bin/env python3
"""9P benchmark: `picorun serve` against Debian's diod serving the same tree,
in one run, with diod's own clients (diodcat for a 200 MB read at msize
64 KiB; diodls -l for walk+getattr+clunk over 5,000 files). Prints the
median of N rounds and picorun/diod ratios, and writes bench/NINEP.md.
Usage: bench/ninep.py [--rounds N] [--picorun PATH]"""
import argparse, os, shutil, socket, statistics, subprocess, sys, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument('--rounds', type=int, default=3)
ap.add_argument('--picorun', default=os.path.join(here, '..', '.build', 'release', 'picorun'))
ap.add_argument('--out', default=os.path.join(here, 'NINEP.md'))
a = ap.parse_args()
for tool in ['/usr/sbin/diod', '/usr/sbin/diodcat', '/usr/sbin/diodls']:
    if not os.access(tool, os.X_OK):
        sys.exit(f'{tool} is missing: apt-get install diod')

work = tempfile.mkdtemp(prefix='picorun-9p-bench-')
home = os.path.join(work, 'home')
tree = os.path.join(work, 'tree')
os.makedirs(os.path.join(tree, 'many'))
with open(os.path.join(tree, 'big'), 'wb') as f:
    block = os.urandom(1 << 20)
    for _ in range(200):
        f.write(block)
for i in range(5000):
    with open(os.path.join(tree, 'many', f'f{i:05d}'), 'w') as f:
        f.write('x')
env = dict(os.environ, PICORUN_HOME=home)
tar = os.path.join(work, 'tree.tar')
subprocess.run(['tar', '-C', tree, '-cf', tar, '.'], check=True)
subprocess.run([a.picorun, 'import', 'bench', tar], env=env, check=True, stderr=subprocess.DEVNULL)
os.unlink(tar)
export = os.path.join(home, 'distros', 'bench', 'rootfs')

def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p

def wait(port):
    for _ in range(200):
        try:
            socket.create_connection(('127.0.0.1', port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f'no server on port {port}')

servers = {}
p1, p2 = free_port(), free_port()
servers['picorun'] = (subprocess.Popen([a.picorun, 'serve', 'bench', '--listen', f'tcp:127.0.0.1:{p1}'], env=env,
                                       stderr=subprocess.DEVNULL), p1)
servers['diod'] = (subprocess.Popen(['/usr/sbin/diod', '-f', '-n', '-e', export, '-l', f'127.0.0.1:{p2}'],
                                    stderr=subprocess.DEVNULL), p2)
for _, port in servers.values():
    wait(port)

def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t

results = {}
try:
    for name, (_, port) in servers.items():
        srv = f'127.0.0.1:{port}'
        reads = [timed(['/usr/sbin/diodcat', '-m', '65536', '-s', srv, '-a', export, '/big']) for _ in range(a.rounds)]
        walks = [timed(['/usr/sbin/diodls', '-l', '-s', srv, '-a', export, '/many']) for _ in range(a.rounds)]
        results[name] = (200 / statistics.median(reads), 5000 / statistics.median(walks))
finally:
    for proc, _ in servers.values():
        proc.kill()
    shutil.rmtree(work, ignore_errors=True)

(pr, pw), (dr, dw) = results['picorun'], results['diod']
lines = [
    '# 9P benchmark: picorun serve vs diod (same tree, same clients, one run)',
    '',
    f'Median of {a.rounds} rounds. Read: diodcat of a 200 MB file, msize 64 KiB. '
    'Walk: diodls -l over 5,000 files (readdir, then walk+getattr+clunk each).',
    '',
    '| workload | picorun | diod | picorun / diod |',
    '|---|---|---|---|',
    f'| read 200 MB | {pr:.0f} MB/s | {dr:.0f} MB/s | {pr / dr:.2f}x |',
    f'| walk+getattr 5,000 files | {pw:.0f} files/s | {dw:.0f} files/s | {pw / dw:.2f}x |',
    '',
    'Ratios above 1 mean picorun is faster. Shared, noisy machine: compare ratios, not absolute numbers.',
]
open(a.out, 'w').write('\n'.join(lines) + '\n')
print('\n'.join(lines))
