import Foundation
import Testing

/// Real programs from the host, run natively and under picorun: shells,
/// interpreters and tools that fork, exec, pipe and use threads.
struct HostCommand: CustomTestStringConvertible, Sendable {
    let argv: [String]
    var testDescription: String { argv.joined(separator: " ") }
}

let hostCommands: [HostCommand] = [
    .init(argv: ["/bin/sh", "-c", "ls / | wc -l; (sleep 0.1; exit 3); echo $?"]),
    .init(argv: ["/bin/bash", "-c", "for i in 1 2 3; do echo $i; done | tac; x=$(echo sub | tr a-z A-Z); echo \"$x\"; (cd /usr && pwd); echo ${#PATH}"]),
    .init(argv: ["/bin/bash", "-c", "f() { return 7; }; f; echo $?; set -o pipefail; false | true; echo $?; exit 5"]),
    .init(argv: ["python3", "-c", """
import subprocess, threading
out = subprocess.run(["echo", "from a child"], capture_output=True, text=True).stdout
results = []
ts = [threading.Thread(target=lambda i=i: results.append(i * i)) for i in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
print(out.strip(), sorted(results))
"""]),
    // Sockets: unix stream and datagram by path, abstract, TCP and UDP on loopback.
    .init(argv: ["python3", "-c", """
import socket, os, threading
p = "/tmp/picorun-sock-%d" % os.getpid()
s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(1)
c = socket.socket(socket.AF_UNIX); c.connect(p)
a, _ = s.accept(); c.sendall(b"unix-ok"); print(a.recv(10).decode())
print("bound name ends with:", s.getsockname().endswith(os.path.basename(p)))
os.unlink(p)
t = socket.socket(); t.bind(("127.0.0.1", 0)); t.listen(1)
k = socket.socket(); k.connect(t.getsockname()); b, _ = t.accept(); k.sendall(b"tcp-ok"); print(b.recv(10).decode())
try:
    socket.socket(socket.AF_UNIX).connect("/nonexistent/sock")
except OSError as e: print("missing:", e.strerror)
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); u.bind("\\0picorun-abstract-%d" % os.getpid()); print("abstract ok")
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); dp = "/tmp/picorun-dgram-%d" % os.getpid(); d.bind(dp)
o = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); print("sent", o.sendto(b"dgram-ok", dp)); print(d.recv(20).decode()); os.unlink(dp)
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); r.bind(("127.0.0.1", 0))
w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); print("udp sent", w.sendto(b"udp-ok", r.getsockname())); print(r.recv(20).decode())
try: o.sendto(b"x", "/nonexistent/dgram")
except OSError as e: print("missing dgram:", e.strerror)
"""]),
    .init(argv: ["perl", "-e", "my $pid = fork(); if ($pid == 0) { print \"child\\n\"; exit 3 } waitpid($pid, 0); print \"parent saw \", $? >> 8, \"\\n\""]),
    .init(argv: ["/bin/sh", "-c", "printf '#!/bin/sh\\necho script ${0%%-*} $1\\n' > /tmp/picorun-script-$$; chmod +x /tmp/picorun-script-$$; /tmp/picorun-script-$$ arg; rm /tmp/picorun-script-$$"]),
    // An O_PATH fd of a symlink is the link: fstat says so, and so lchmod is refused.
    .init(argv: ["python3", "-c", """
import os, stat
p = "/tmp/picorun-olink-%d" % os.getpid()
os.symlink("target", p)
fd = os.open(p, os.O_PATH | os.O_NOFOLLOW)
print("fstat is a link:", stat.S_ISLNK(os.fstat(fd).st_mode), os.fstat(fd).st_size)
os.close(fd)
try:
    os.chmod(p, 0o600, follow_symlinks=False); print("chmod of the link: done")
except OSError as e:
    print("chmod of the link:", e.strerror)
except NotImplementedError as e:
    print("chmod of the link: not implemented")
os.unlink(p)
"""]),
    // The guest's umask alone decides the modes of what it creates.
    .init(argv: ["/bin/sh", "-c", "umask 002; d=/tmp/picorun-umask-$$; mkdir $d && touch $d/f && mkfifo $d/p && python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' $d/s && umask 027 && mkdir $d/d && stat -c '%a' $d $d/f $d/p $d/s $d/d; rm -r $d"]),
]

@Suite("Host programs behave as natively")
struct HostProgramTests {
    @Test(arguments: hostCommands)
    func sameAsNative(_ c: HostCommand) {
        let env = baseEnvironment()
        let native = run(c.argv[0].hasPrefix("/") ? c.argv[0] : "/usr/bin/env", c.argv[0].hasPrefix("/") ? Array(c.argv.dropFirst()) : c.argv, env: env)
        let picorun = run(Paths.picorun, c.argv, env: env)
        #expect(picorun == native, "native:\n\(native)\npicorun:\n\(picorun)")
    }

    /// make runs a two-rule Makefile; tar round-trips a tree through gzip.
    @Test func makeAndTarRoundTrip() throws {
        let dir = scratchDir()
        try "out: in\n\tcat in in > out\nin:\n\techo data > in\n".write(toFile: dir + "/Makefile", atomically: true, encoding: .utf8)
        let make = run(Paths.picorun, ["make", "-C", dir], env: baseEnvironment())
        #expect(make.status == 0, "\(make)")
        #expect(try String(contentsOfFile: dir + "/out", encoding: .utf8) == "data\ndata\n")
        let tar = run(Paths.picorun, ["tar", "czf", dir + "/t.tgz", "-C", dir, "Makefile", "in", "out"], env: baseEnvironment())
        #expect(tar.status == 0, "\(tar)")
        try FileManager.default.createDirectory(atPath: dir + "/x", withIntermediateDirectories: false)
        let untar = run(Paths.picorun, ["tar", "xzf", dir + "/t.tgz", "-C", dir + "/x"], env: baseEnvironment())
        #expect(untar.status == 0)
        for f in ["Makefile", "in", "out"] {
            #expect(FileManager.default.contentsEqual(atPath: "\(dir)/\(f)", andPath: "\(dir)/x/\(f)"))
        }
        let list = run(Paths.picorun, ["tar", "tzf", dir + "/t.tgz"], env: baseEnvironment())
        #expect(list.stdout == "Makefile\nin\nout\n")
    }
}
