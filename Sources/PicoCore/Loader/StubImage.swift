import CPicoLinux
import Glibc
import LinuxABI

/// The loader stub as a tiny ET_EXEC file: one read+execute PT_LOAD at a
/// fixed address far from where programs, their heaps and their libraries
/// go, and a PT_GNU_STACK so the kernel gives it a non-executable stack.
public enum StubImage {
    /// Where the stub is mapped. The loader refuses programs whose segments
    /// would land on it; it is unmapped before the guest's first instruction.
    public static let base: UInt64 = 0x6000_0000_0000
    public static let codeOffset: UInt64 = 0x100
    public static var entry: UInt64 { base + codeOffset }
    public static var mappedLength: UInt64 { roundUpToPage(UInt64(bytes.count)) }

    /// How the stub talks to the supervisor: kill(0, 0) with a marker in
    /// %r8 (scripts/stub/loader-stub.S says why kill).
    public static let markerCall: UInt64 = 62
    public static let markerDone: UInt64 = 0x1f1c_0001
    public static let markerFail: UInt64 = 0x1f1c_0002

    /// Whether `r`, at a stop of the stub, is its marker `marker`.
    public static func isMarker(_ r: Registers, _ marker: UInt64) -> Bool {
        r.orig_rax == markerCall && r.rdi == 0 && r.rsi == 0 && r.r8 == marker
    }

    public static let bytes: [UInt8] = {
        var b = [UInt8](repeating: 0, count: Int(codeOffset))
        func put16(_ o: Int, _ v: UInt16) { b[o] = UInt8(v & 0xff); b[o + 1] = UInt8(v >> 8) }
        func put32(_ o: Int, _ v: UInt32) { put16(o, UInt16(v & 0xffff)); put16(o + 2, UInt16(v >> 16)) }
        func put64(_ o: Int, _ v: UInt64) { put32(o, UInt32(v & 0xffff_ffff)); put32(o + 4, UInt32(v >> 32)) }
        let total = UInt64(codeOffset) + UInt64(loaderStubCode.count)
        b[0] = 0x7f; b[1] = 0x45; b[2] = 0x4c; b[3] = 0x46
        b[4] = 2; b[5] = 1; b[6] = 1                   // ELF64, little-endian, version 1
        put16(16, 2); put16(18, 62); put32(20, 1)      // ET_EXEC, x86-64
        put64(24, base + UInt64(codeOffset))           // e_entry
        put64(32, 64)                                  // e_phoff
        put16(52, 64); put16(54, 56); put16(56, 2)     // e_ehsize, e_phentsize, e_phnum
        // PT_LOAD R+X covering the whole file.
        put32(64, 1); put32(68, 5); put64(72, 0); put64(80, base); put64(88, base)
        put64(96, total); put64(104, total); put64(112, 0x1000)
        // PT_GNU_STACK RW.
        put32(120, 0x6474_e551); put32(124, 6)
        return b + loaderStubCode
    }()

    /// A sealed, close-on-exec memfd holding the stub, for execveat(AT_EMPTY_PATH).
    public static func makeMemfd() throws(SupervisorError) -> Int32 {
        let fd = bytes.withUnsafeBytes { pico_memfd_sealed("picorun-loader", $0.baseAddress, $0.count) }
        guard fd >= 0 else { throw SupervisorError("cannot create the loader stub: memfd_create: \(hostErrorString(errno))") }
        return fd
    }

    /// The stub as a file guests' execve calls can name: in a private
    /// directory of the user's ($XDG_RUNTIME_DIR/picorun or
    /// /tmp/picorun-UID, mode 0700, checked), named by a hash of its bytes,
    /// written atomically.
    ///
    /// Run as root, picorun's guests may drop to any uid and still exec
    /// through the stub, so there the directory is /tmp/picorun-0 with
    /// mode 0711 and the stub 0555: anyone may run it, no one else may
    /// list, add or replace anything (a root-owned directory, no write bits).
    public static func installedPath() throws(SupervisorError) -> String {
        let uid = getuid()
        let shared = geteuid() == 0
        let parent = shared ? nil : getenv("XDG_RUNTIME_DIR").map { String(cString: $0) }.flatMap { $0.hasPrefix("/") ? $0 : nil }
        let dir = parent.map { $0 + "/picorun" } ?? "/tmp/picorun-\(uid)"
        let mode: mode_t = shared ? 0o711 : 0o700
        if mkdir(dir, mode) != 0 && errno != EEXIST {
            throw SupervisorError("cannot create \(dir): \(hostErrorString(errno))")
        }
        var st = stat()
        guard lstat(dir, &st) == 0, st.st_mode & S_IFMT == S_IFDIR, st.st_uid == uid, st.st_mode & 0o022 == 0,
              shared || st.st_mode & 0o077 == 0 else {
            throw SupervisorError("\(dir) is not a private directory owned by uid \(uid); remove it and retry")
        }
        if shared && st.st_mode & 0o777 != mode { chmod(dir, mode) }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        let path = dir + "/loader-" + String(hash, radix: 16)
        if fileMatches(path) {
            if shared { chmod(path, 0o555) }
            return path
        }
        let tmp = path + ".\(getpid()).tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, shared ? 0o555 : 0o500)
        guard fd >= 0 else { throw SupervisorError("cannot write \(tmp): \(hostErrorString(errno))") }
        let ok = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw SupervisorError("cannot install the loader stub at \(path): \(hostErrorString(errno))")
        }
        return path
    }

    /// Whether task `tid` is running the stub: its exe holds exactly the
    /// stub's bytes. Another guest thread could overwrite the stub path the
    /// supervisor wrote into the exec'ing task's memory; then the kernel
    /// execs some other file, which must not run.
    public static func isRunning(in tid: pid_t) -> Bool {
        fileMatches("/proc/\(tid)/exe", follow: true)
    }

    static func fileMatches(_ path: String, follow: Bool = false) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: bytes.count + 1)
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        return n == bytes.count && Array(buf[0..<n]) == bytes
    }
}
