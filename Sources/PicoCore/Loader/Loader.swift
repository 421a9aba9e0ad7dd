import FileNames
import Glibc

/// Why a program could not be put into a tracee that already exec'd the stub.
public struct LoadError: Error, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What the supervisor decided to run, validated before any exec happens.
public struct LoadRequest: Sendable {
    /// The program's path as the guest names it: what the loader's messages
    /// say, and what the stub opens when there are no `files` (tests only).
    public let programPath: String
    public let program: ElfImage
    public let interpreterPath: String?
    public let interpreter: ElfImage?
    /// AT_EXECFN: the path as the guest named it.
    public let execfn: [UInt8]
    /// The guest's identity for AT_UID/EUID/GID/EGID/SECURE, when picorun
    /// keeps one (distro runs); the kernel's values otherwise.
    public var identity: AuxIdentity?
    /// For an exec that raises privileges (setuid/setgid): the file whose
    /// bits did so, (st_dev, st_ino). Before the program runs, its mapping
    /// must be this file, or other code would run with those privileges: a
    /// second guard (the stub maps `files`, never a path looked up again).
    public var privilegedFile: (dev: UInt64, ino: UInt64)?
    /// The validated program and interpreter, open: the stub maps these
    /// (through `LoaderFiles` tokens) instead of opening paths again.
    public var files: ImageFiles?

    public init(programPath: String, program: ElfImage, interpreterPath: String?, interpreter: ElfImage?, execfn: [UInt8]) {
        self.programPath = programPath
        self.program = program
        self.interpreterPath = interpreterPath
        self.interpreter = interpreter
        self.execfn = execfn
    }
}

/// A load that is under way in a tracee: the stub is running the script.
public struct LoadInProgress: Sendable {
    public let entry: UInt64
    public let stackPointer: UInt64
    public let brkStart: UInt64
    /// The guest's auxiliary vector, as bytes of /proc/PID/auxv.
    public let auxv: [UInt8]
    let scriptAddress: UInt64
    let recordDescriptions: [String]

    /// What a failed record was doing, from the record address the stub reports.
    public func describeFailure(recordAddress: UInt64, result: Int64) -> String {
        let what: String
        if recordAddress >= scriptAddress, (recordAddress - scriptAddress) % UInt64(LoaderScript.recordSize) == 0,
           case let i = Int((recordAddress - scriptAddress) / UInt64(LoaderScript.recordSize)), i < recordDescriptions.count {
            what = recordDescriptions[i]
        } else {
            what = "a loader step"
        }
        return "\(what) failed: \(LinuxErrno(Int32(truncatingIfNeeded: -result)))"
    }
}

/// picorun's ELF loader. At the tracee's exec stop (the kernel has just
/// exec'd the stub with the guest's argv and envp), it plans where every
/// segment goes, writes the guest's initial stack and a script for the stub
/// into the tracee, and points the stub at the script.
public enum Loader {
    /// The kernel's ELF_ET_DYN_BASE on x86-64: where PIE programs go.
    static let dynBase: UInt64 = 0x5555_5555_4aaa
    /// 28 bits of page randomness, as vm.mmap_rnd_bits defaults to.
    static let mmapRandomPages: UInt64 = 1 << 28
    static let brkRandomRange: UInt64 = 32 << 20

    static let sysClose: UInt64 = 3
    static let sysMmap: UInt64 = 9
    static let sysMprotect: UInt64 = 10
    static let sysOpenat: UInt64 = 257
    static let sysPrctl: UInt64 = 157
    static let prSetName: UInt64 = 15
    static let atFdcwd = UInt64(bitPattern: -100)
    static let oRdonlyCloexec: UInt64 = 0o2000000
    static let mapPrivate: UInt64 = 0x02, mapFixed: UInt64 = 0x10, mapAnonymous: UInt64 = 0x20
    static let protGrowsdown: UInt64 = 0x0100_0000

    public static func begin(_ req: LoadRequest, tracee: Tracee, randomize: Bool) throws(LoadError) -> LoadInProgress {
        var regs: Registers
        do { regs = try tracee.registers() } catch { throw LoadError("cannot read registers: \(error.errno)") }
        let kstack = try KernelStack.read(from: tracee, sp: regs.rsp)
        let maps = readProcMaps(tracee.tid)
        let occupied = maps.map { ($0.start, $0.end) }

        let exeBias = try chooseProgramBias(req.program, occupied: occupied, randomize: randomize)
        var interpBias: UInt64 = 0
        if let interp = req.interpreter {
            interpBias = try chooseInterpreterBias(interp, occupied: occupied + [span(req.program, exeBias)],
                                                   randomize: randomize)
        }

        var script = LoaderScript()
        func dirfd(_ index: Int) -> UInt64 {
            req.files == nil ? atFdcwd : UInt64(bitPattern: Int64(LoaderFiles.token(index)))
        }
        mapImage(req.program, bias: exeBias, path: req.programPath, dirfd: dirfd(0), into: &script)
        if let interp = req.interpreter, let path = req.interpreterPath {
            mapImage(interp, bias: interpBias, path: path, dirfd: dirfd(1), into: &script)
        }
        // The kernel names the task after the file exec'd (comm, 15 bytes);
        // it named it after the stub, so rename it after the guest's program.
        let comm = Array((req.execfn.split(separator: UInt8(ascii: "/")).last ?? []).prefix(15))
        // A name is no reason to fail: the program's own filter may refuse prctl.
        script.syscall(sysPrctl, [.value(prSetName), script.string(comm)], optional: true, what: "naming the process")

        let entry = req.interpreter.map { interpBias &+ $0.entry } ?? exeBias &+ req.program.entry
        let auxv = GuestAuxv(phdr: exeBias &+ req.program.phdrAddress, phnum: UInt64(req.program.phnum),
                             base: req.interpreter == nil ? 0 : interpBias, entry: exeBias &+ req.program.entry,
                             execfn: req.execfn, identity: req.identity)
        let platform = try kstack.auxValue(AT.platform).map { (p) throws(LoadError) -> [UInt8] in
            do { return try tracee.readCString(at: p, limit: 64) } catch { throw LoadError("cannot read AT_PLATFORM") }
        }
        var randomBytes = [UInt8](repeating: 0, count: 16)
        if let r = kstack.auxValue(AT.random) {
            do { randomBytes = try tracee.readBytes(at: r, count: 16) } catch { throw LoadError("cannot read AT_RANDOM") }
        }
        let image = GuestStackImage.build(from: kstack, guest: auxv, platform: platform, randomBytes: randomBytes,
                                          randomize: randomize)
        if req.program.wantsExecutableStack {
            // PROT_GROWSDOWN extends the change from this page down to the
            // start of the stack VMA, so name the topmost page.
            let top = roundDownToPage(kstack.stringsStart)
            script.syscall(sysMprotect, [.value(top), .value(ElfImage.pageSize), .value(7 | protGrowsdown)],
                           what: "making the stack executable (PT_GNU_STACK)")
        }

        // The script goes below the new stack, past the red zone; the guest
        // will overwrite it as its stack grows, after the stub is done with it.
        let scriptAddress = (image.low - 4096 - UInt64(script.encodedSize)) & ~63
        do {
            try tracee.writeBytes(image.bytes, at: image.low)
            try tracee.writeBytes(script.encode(at: scriptAddress), at: scriptAddress)
        } catch {
            throw LoadError("cannot write the initial stack (\(error.errno)); is the stack size limit very small?")
        }
        regs.rbx = scriptAddress
        regs.rip = StubImage.entry
        do { try tracee.setRegisters(regs) } catch { throw LoadError("cannot set registers: \(error.errno)") }

        let programEnd = roundUpToPage(span(req.program, exeBias).1)
        var brk = programEnd
        if randomize { brk += roundDownToPage(Randomness.word() % brkRandomRange) }
        return LoadInProgress(entry: entry, stackPointer: image.stackPointer, brkStart: brk, auxv: image.auxv,
                              scriptAddress: scriptAddress, recordDescriptions: script.records.map(\.what))
    }

    /// Where the image lies at `bias` (a bias is an address difference,
    /// so it wraps; `fits` says whether the result is a real place).
    static func span(_ image: ElfImage, _ bias: UInt64) -> (UInt64, UInt64) {
        let s = image.span
        return (s.low &+ bias, s.high &+ bias)
    }

    /// x86-64's TASK_SIZE with 4-level paging, and the kernel's default
    /// mmap_min_addr: a user mapping lies between them.
    static let userSpaceEnd: UInt64 = 0x7fff_ffff_f000
    static let lowestMapping: UInt64 = 0x10000

    static func fits(_ image: ElfImage, _ bias: UInt64) -> Bool {
        let (low, high) = span(image, bias)
        // The size is high - low, so a placement that wraps past the top
        // shows as high < low.
        return low <= high && low >= lowestMapping && high <= userSpaceEnd
    }

    static func overlaps(_ r: (UInt64, UInt64), _ occupied: [(UInt64, UInt64)]) -> Bool {
        occupied.contains { $0.0 < r.1 && r.0 < $0.1 }
    }

    static func chooseProgramBias(_ image: ElfImage, occupied: [(UInt64, UInt64)], randomize: Bool) throws(LoadError) -> UInt64 {
        if image.kind == .exec {
            let r = span(image, 0)
            guard fits(image, 0) else {
                throw LoadError("its segments at \(hex(r.0))-\(hex(r.1)) lie outside the user address space")
            }
            if overlaps(r, occupied) {
                throw LoadError("its segments at \(hex(r.0))-\(hex(r.1)) collide with picorun's loader at \(hex(StubImage.base))")
            }
            return 0
        }
        let low = image.span.low
        for attempt in 0..<16 {
            var base = dynBase
            if randomize || attempt > 0 { base += (Randomness.word() % mmapRandomPages) * ElfImage.pageSize }
            base &= ~(image.maxAlign - 1)
            let bias = roundDownToPage(base &- low)
            if fits(image, bias) && !overlaps(span(image, bias), occupied) { return bias }
        }
        throw LoadError("found no free address range for a position-independent program")
    }

    /// Below the lowest mapping in the top part of the address space (vdso,
    /// stack), as the kernel's top-down mmap would place it.
    static func chooseInterpreterBias(_ image: ElfImage, occupied: [(UInt64, UInt64)], randomize: Bool) throws(LoadError) -> UInt64 {
        let size = image.span.high - image.span.low
        let highRegion: UInt64 = 0x7000_0000_0000
        var top = occupied.filter { $0.0 >= highRegion }.map(\.0).min() ?? 0x7f00_0000_0000
        for _ in 0..<16 {
            let gap = ElfImage.pageSize + (randomize ? (Randomness.word() % 256) * ElfImage.pageSize : 0)
            guard size < top, top - size > gap else { break }
            var start = top - size - gap
            start &= ~(image.maxAlign - 1)
            let bias = start &- image.span.low
            if fits(image, bias) && !overlaps(span(image, bias), occupied) { return bias }
            guard start > 0 else { break }
            top = start
        }
        throw LoadError("found no free address range for the interpreter")
    }

    static func prot(_ s: ElfImage.Segment) -> UInt64 {
        (s.readable ? 1 : 0) | (s.writable ? 2 : 0) | (s.executable ? 4 : 0)
    }

    /// The kernel's elf_map/elf_load: file pages, the zeroed tail of the last
    /// file page, then anonymous pages up to p_memsz.
    static func mapImage(_ image: ElfImage, bias: UInt64, path: String, dirfd: UInt64, into script: inout LoaderScript) {
        let name = script.string(FileNames.bytes(path))
        script.syscall(sysOpenat, [.value(dirfd), name, .value(oRdonlyCloexec), .value(0)], saveFD: true,
                       what: "opening \(path)")
        for (i, s) in image.segments.enumerated() {
            let start = bias &+ s.vaddr  // a bias may be "negative" (wraps)
            let pageStart = roundDownToPage(start)
            let fileEnd = start + s.fileSize
            let memEnd = start + s.memSize
            let p = prot(s)
            var anonStart = pageStart
            if s.fileSize > 0 {
                let length = roundUpToPage(fileEnd) - pageStart
                let tail = fileEnd % ElfImage.pageSize != 0 && s.memSize > s.fileSize
                script.syscall(sysMmap, [.value(pageStart), .value(length), .value(p | (tail ? 2 : 0)),
                                         .value(mapPrivate | mapFixed), .savedFD, .value(s.offset - (start - pageStart))],
                               what: "mapping segment \(i) of \(path) at \(hex(pageStart))")
                if tail {
                    script.zero(fileEnd, roundUpToPage(fileEnd) - fileEnd, what: "zeroing the bss start of \(path)")
                    if !s.writable {
                        script.syscall(sysMprotect, [.value(pageStart), .value(length), .value(p)],
                                       what: "protecting segment \(i) of \(path)")
                    }
                }
                anonStart = roundUpToPage(fileEnd)
            }
            let anonEnd = roundUpToPage(memEnd)
            if anonEnd > anonStart {
                script.syscall(sysMmap, [.value(anonStart), .value(anonEnd - anonStart), .value(p),
                                         .value(mapPrivate | mapFixed | mapAnonymous), .value(UInt64(bitPattern: -1)), .value(0)],
                               what: "mapping the bss of \(path) at \(hex(anonStart))")
            }
        }
        script.syscall(sysClose, [.savedFD], what: "closing \(path)")
    }
}

/// The files an exec validated, held open from the checks to the loader's
/// mmap and for the life of the image.
///
/// Why: the loader stub maps exactly the file the checks read (no path is
/// looked up twice, so a rename in between cannot swap in other code, and a
/// deleted file or a memfd runs as on Linux), and /proc/PID/exe of the
/// process reopens its image even after the file was deleted or replaced.
/// The stub gets each fd by an openat whose dirfd is `LoaderFiles.token(i)`,
/// which the supervisor answers from these files only while that process
/// is loading (no guest code runs between the exec and the stub's opens).
public final class ImageFiles: @unchecked Sendable {
    /// Read-only fds, owned.
    public let program: Int32
    /// Closed once the loader has taken it (only the stub needs it).
    public private(set) var interpreter: Int32?

    public init(program: Int32, interpreter: Int32?) {
        self.program = program
        self.interpreter = interpreter
    }

    /// Called by the one owner that hands files to the loader, under its lock.
    public func dropInterpreter() {
        if let i = interpreter { close(i) }
        interpreter = nil
    }

    deinit {
        close(program)
        if let i = interpreter { close(i) }
    }
}

/// How the loader stub names the files it maps: a dirfd no real fd has,
/// answered by the supervisor with the exec's own `ImageFiles`.
public enum LoaderFiles {
    static let base: Int32 = -0x7069_6300  // "pic\0": far below AT_FDCWD and any errno
    /// The dirfd of the stub's openat for file `index` (0: the program, 1: its interpreter).
    public static func token(_ index: Int) -> Int32 { base - Int32(index) }
    /// The index a dirfd names, if it is a loader token.
    public static func index(ofToken dirfd: Int32) -> Int? {
        dirfd <= base && dirfd > base - 2 ? Int(base - dirfd) : nil
    }
}
