/// The stack the kernel built when it exec'd the stub with the guest's argv
/// and envp, and the guest's stack rebuilt from it.
///
/// The kernel's layout, from the top of the stack VMA down: 8 zero bytes,
/// the execfn string, the envp strings, the argv strings (so that
/// /proc/PID/cmdline and environ point at them), random padding, the
/// platform string, 16 random bytes, alignment, then auxv, envp, argv, argc
/// with argc 16-byte aligned. The strings stay where the kernel put them;
/// everything below them is rewritten with the guest's auxv, and the guest's
/// own AT_EXECFN string goes just below the argv strings.
struct KernelStack {
    var argc: UInt64
    var argv: [UInt64]
    var envp: [UInt64]
    var auxv: [(key: UInt64, value: UInt64)]
    /// Lowest byte of the string area (argv[0], or the first string there is).
    var stringsStart: UInt64

    static func read(from tracee: Tracee, sp: UInt64) throws(LoadError) -> KernelStack {
        var reader = WordReader(tracee: tracee, cursor: sp)
        let argc = try reader.next()
        guard argc < 1 << 22 else { throw LoadError("implausible argc \(argc) on the new stack") }
        var argv: [UInt64] = []
        for _ in 0..<argc { argv.append(try reader.next()) }
        guard try reader.next() == 0 else { throw LoadError("argv is not NULL-terminated on the new stack") }
        var envp: [UInt64] = []
        while true {
            let p = try reader.next()
            if p == 0 { break }
            envp.append(p)
            guard envp.count < 1 << 22 else { throw LoadError("envp is not NULL-terminated on the new stack") }
        }
        var auxv: [(UInt64, UInt64)] = []
        while true {
            let k = try reader.next(), v = try reader.next()
            if k == AT.null { break }
            auxv.append((k, v))
            guard auxv.count < 128 else { throw LoadError("auxv is not terminated on the new stack") }
        }
        let execfn = auxv.first(where: { $0.0 == AT.execfn })?.1 ?? 0
        let starts = argv + envp + (execfn != 0 ? [execfn] : [])
        guard let lowest = starts.min() else { throw LoadError("the new stack has no strings") }
        return KernelStack(argc: argc, argv: argv, envp: envp, auxv: auxv, stringsStart: lowest)
    }

    func auxValue(_ key: UInt64) -> UInt64? { auxv.first(where: { $0.key == key })?.value }
}

/// What the guest's stack must say about the loaded program.
struct GuestAuxv {
    var phdr: UInt64
    var phnum: UInt64
    var base: UInt64
    var entry: UInt64
    var execfn: [UInt8]
    var identity: AuxIdentity?
}

/// The ids the auxiliary vector tells the program, and AT_SECURE (set for a
/// setuid or setgid exec, so the dynamic loader ignores LD_PRELOAD & co).
public struct AuxIdentity: Sendable, Equatable {
    public var uid: UInt32, euid: UInt32, gid: UInt32, egid: UInt32
    public var secure: Bool
    public init(uid: UInt32, euid: UInt32, gid: UInt32, egid: UInt32, secure: Bool) {
        self.uid = uid; self.euid = euid; self.gid = gid; self.egid = egid
        self.secure = secure
    }
}

/// The bytes of the guest's initial stack and where they go.
struct GuestStackImage {
    /// The guest's initial %rsp: the address of argc.
    var stackPointer: UInt64
    /// The auxiliary vector, as /proc/PID/auxv shows it (the kernel's own
    /// copy is the loader stub's).
    var auxv: [UInt8] = []
    /// Lowest address written.
    var low: UInt64
    var bytes: [UInt8]

    static func build(from k: KernelStack, guest: GuestAuxv, platform: [UInt8]?, randomBytes: [UInt8],
                      randomize: Bool) -> GuestStackImage {
        var p = k.stringsStart
        let execfnAddr = p - UInt64(guest.execfn.count + 1)
        p = execfnAddr
        // arch_align_stack(): a random shift below the strings, then 16-byte alignment.
        if randomize { p -= Randomness.word() % 8192 }
        p &= ~15
        var platformAddr: UInt64 = 0
        if let platform {
            p -= UInt64(platform.count + 1)
            platformAddr = p
        }
        p -= 16
        let randomAddr = p

        var aux: [(UInt64, UInt64)] = []
        for (key, value) in k.auxv {
            switch key {
            case AT.phdr: aux.append((key, guest.phdr))
            case AT.phent: aux.append((key, 56))
            case AT.phnum: aux.append((key, guest.phnum))
            case AT.base: aux.append((key, guest.base))
            case AT.entry: aux.append((key, guest.entry))
            case AT.flags: aux.append((key, 0))
            case AT.execfn: aux.append((key, execfnAddr))
            case AT.random: aux.append((key, randomAddr))
            case AT.platform: aux.append((key, platformAddr))
            case AT.uid where guest.identity != nil: aux.append((key, UInt64(guest.identity!.uid)))
            case AT.euid where guest.identity != nil: aux.append((key, UInt64(guest.identity!.euid)))
            case AT.gid where guest.identity != nil: aux.append((key, UInt64(guest.identity!.gid)))
            case AT.egid where guest.identity != nil: aux.append((key, UInt64(guest.identity!.egid)))
            case AT.secure where guest.identity != nil: aux.append((key, guest.identity!.secure ? 1 : 0))
            default: aux.append((key, value))
            }
        }
        aux.append((AT.null, 0))
        let items = UInt64(1 + k.argv.count + 1 + k.envp.count + 1)
        let sp = (p - UInt64(aux.count * 16) - items * 8) & ~15

        var words: [UInt64] = [k.argc]
        words += k.argv; words.append(0)
        words += k.envp; words.append(0)
        for (key, value) in aux { words += [key, value] }

        var image = [UInt8](repeating: 0, count: Int(k.stringsStart - sp))
        func put(_ bytes: [UInt8], at address: UInt64) {
            let o = Int(address - sp)
            image.replaceSubrange(o..<(o + bytes.count), with: bytes)
        }
        var table: [UInt8] = []
        table.reserveCapacity(words.count * 8)
        for w in words { withUnsafeBytes(of: w.littleEndian) { table += $0 } }
        put(table, at: sp)
        put(randomBytes, at: randomAddr)
        if let platform { put(platform + [0], at: platformAddr) }
        put(guest.execfn + [0], at: execfnAddr)
        var auxBytes: [UInt8] = []
        for (key, value) in aux { withUnsafeBytes(of: key.littleEndian) { auxBytes += $0 }; withUnsafeBytes(of: value.littleEndian) { auxBytes += $0 } }
        return GuestStackImage(stackPointer: sp, auxv: auxBytes, low: sp, bytes: image)
    }
}

/// Reads consecutive words of tracee memory a page at a time.
struct WordReader {
    let tracee: Tracee
    var cursor: UInt64
    private var buffer: [UInt8] = []
    private var bufferStart: UInt64 = 0

    init(tracee: Tracee, cursor: UInt64) {
        self.tracee = tracee
        self.cursor = cursor
    }

    mutating func next() throws(LoadError) -> UInt64 {
        let offset = Int(truncatingIfNeeded: cursor &- bufferStart)
        if buffer.isEmpty || cursor < bufferStart || offset + 8 > buffer.count {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let result = chunk.withUnsafeMutableBytes { p in Result { () throws(TraceeError) in try tracee.read(at: cursor, into: p) } }
            guard case .success(let got) = result else { throw LoadError("cannot read the new stack at \(hex(cursor))") }
            guard got >= 8 else { throw LoadError("the new stack ends at \(hex(cursor))") }
            buffer = Array(chunk[0..<got])
            bufferStart = cursor
        }
        let o = Int(cursor - bufferStart)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(buffer[o + i]) << (8 * UInt64(i)) }
        cursor += 8
        return v
    }
}
