import FileNames

/// A validated ELF64 x86-64 executable or shared object: what the loader
/// needs, nothing more. Validation is stricter than the kernel's where the
/// kernel would map something that can only crash (segments past end of
/// file, entry outside every segment), so bad input fails before a child runs.
public struct ElfImage: Sendable {
    public enum Kind: UInt16, Sendable { case exec = 2, dyn = 3 }

    public struct Segment: Sendable, Equatable {
        public let offset: UInt64
        public let vaddr: UInt64
        public let fileSize: UInt64
        public let memSize: UInt64
        public let flags: UInt32
        public let align: UInt64

        public var readable: Bool { flags & 4 != 0 }
        public var writable: Bool { flags & 2 != 0 }
        public var executable: Bool { flags & 1 != 0 }
        public var end: UInt64 { vaddr + memSize }
    }

    public let kind: Kind
    public let entry: UInt64
    public let phoff: UInt64
    public let phnum: Int
    public let segments: [Segment]
    /// PT_INTERP, without its terminating NUL.
    public let interpreter: String?
    /// PT_GNU_STACK with PF_X.
    public let wantsExecutableStack: Bool
    /// Unbiased address of the program headers in memory (AT_PHDR - bias).
    public let phdrAddress: UInt64
    /// Largest PT_LOAD alignment (at least a page).
    public let maxAlign: UInt64

    public static let pageSize: UInt64 = 4096
    /// TASK_SIZE of x86-64 with 4-level paging: nothing user-visible maps above it.
    public static let userLimit: UInt64 = 0x7fff_ffff_f000

    static let headerSize = 64
    static let phentSize = 56
    static let maxPhnum = 65536 / phentSize
    static let maxInterpLength = 4096

    /// Lowest and highest page of the PT_LOAD segments, unbiased.
    public var span: (low: UInt64, high: UInt64) {
        let low = segments.map { $0.vaddr & ~(Self.pageSize - 1) }.min() ?? 0
        let high = segments.map { roundUpToPage($0.end) }.max() ?? 0
        return (low, high)
    }

    public static func parse(_ src: some ElfSource) throws(ElfError) -> ElfImage {
        let head = try src.read(at: 0, count: headerSize)
        guard head.count >= 4, head[0] == 0x7f, head[1] == 0x45, head[2] == 0x4c, head[3] == 0x46 else {
            throw ElfError(head.isEmpty ? "empty file, not an ELF executable" : "not an ELF executable (bad magic)")
        }
        guard head.count >= 5 else { throw ElfError("truncated ELF header (\(head.count) of 64 bytes)") }
        switch head[4] {
        case 2: break
        case 1: throw ElfError("ELF32 is not supported: picorun runs ELF64 x86-64 programs")
        default: throw ElfError("invalid ELF class \(head[4])")
        }
        guard head.count >= headerSize else { throw ElfError("truncated ELF header (\(head.count) of 64 bytes)") }
        guard head[5] == 1 else { throw ElfError("big-endian or invalid ELF data encoding \(head[5])") }
        guard head[6] == 1 else { throw ElfError("unsupported ELF version \(head[6])") }

        let type = le16(head, 16)
        let machine = le16(head, 18)
        guard machine == 62 else {
            throw ElfError("wrong machine \(machineName(machine)) (e_machine \(machine)); picorun runs x86-64 programs")
        }
        guard let kind = Kind(rawValue: type) else {
            throw ElfError(type == 1 ? "is a relocatable object, not an executable" :
                type == 4 ? "is a core dump, not an executable" : "not an executable (e_type \(type))")
        }
        guard le32(head, 20) == 1 else { throw ElfError("unsupported ELF version \(le32(head, 20)) in e_version") }
        let entry = le64(head, 24)
        let phoff = le64(head, 32)
        let phentsize = Int(le16(head, 54))
        let phnum = Int(le16(head, 56))
        guard phentsize == phentSize else { throw ElfError("e_phentsize \(phentsize) is not \(phentSize)") }
        guard phnum >= 1 && phnum <= maxPhnum else { throw ElfError("e_phnum \(phnum) out of range 1...\(maxPhnum)") }
        let (phEnd, phOverflow) = phoff.addingReportingOverflow(UInt64(phnum * phentSize))
        guard !phOverflow, phEnd <= src.size else { throw ElfError("program headers past end of file (e_phoff \(hex(phoff)))") }
        let ph = try src.read(at: phoff, count: phnum * phentSize)
        guard ph.count == phnum * phentSize else { throw ElfError("program headers past end of file") }

        var segments: [Segment] = []
        var interp: String? = nil
        var execStack = false
        var phdrFromPT: UInt64? = nil
        for i in 0..<phnum {
            let b = i * phentSize
            let pType = le32(ph, b)
            let seg = Segment(offset: le64(ph, b + 8), vaddr: le64(ph, b + 16), fileSize: le64(ph, b + 32),
                              memSize: le64(ph, b + 40), flags: le32(ph, b + 4), align: le64(ph, b + 48))
            switch pType {
            case 1: // PT_LOAD
                try validateLoad(seg, index: i, fileSize: src.size)
                if let prev = segments.last, seg.vaddr < prev.end {
                    throw ElfError("PT_LOAD \(i) at \(hex(seg.vaddr)) overlaps or precedes the previous one (ends \(hex(prev.end)))")
                }
                segments.append(seg)
            case 3: // PT_INTERP
                guard interp == nil else { throw ElfError("more than one PT_INTERP") }
                guard seg.fileSize >= 2, seg.fileSize <= UInt64(maxInterpLength) else {
                    throw ElfError("PT_INTERP size \(seg.fileSize) out of range")
                }
                let (e, o) = seg.offset.addingReportingOverflow(seg.fileSize)
                guard !o, e <= src.size else { throw ElfError("PT_INTERP past end of file") }
                let raw = try src.read(at: seg.offset, count: Int(seg.fileSize))
                guard raw.count == Int(seg.fileSize), raw.last == 0, !raw.dropLast().contains(0) else {
                    throw ElfError("PT_INTERP is not a NUL-terminated path")
                }
                interp = FileNames.string(raw.dropLast())
            case 6: // PT_PHDR
                phdrFromPT = seg.vaddr
            case 0x6474_e551: // PT_GNU_STACK
                execStack = seg.executable
            default:
                break
            }
        }
        guard !segments.isEmpty else { throw ElfError("no PT_LOAD segment") }
        guard segments.contains(where: { $0.vaddr <= entry && entry < $0.end }) else {
            throw ElfError("entry point \(hex(entry)) is outside every PT_LOAD segment")
        }
        // The kernel's rule: AT_PHDR is where the segment holding e_phoff maps it.
        var phdr = phdrFromPT ?? 0
        if phdrFromPT == nil {
            for s in segments where s.offset <= phoff && phoff < s.offset + s.fileSize {
                phdr = phoff - s.offset + s.vaddr
                break
            }
        }
        let maxAlign = segments.map { max($0.align, pageSize) }.max() ?? pageSize
        let image = ElfImage(kind: kind, entry: entry, phoff: phoff, phnum: phnum, segments: segments,
                             interpreter: interp, wantsExecutableStack: execStack, phdrAddress: phdr,
                             maxAlign: maxAlign)
        let (low, high) = image.span
        guard high - low <= userLimit else { throw ElfError("PT_LOAD segments span \(hex(high - low)) bytes, more than the address space") }
        if kind == .exec {
            guard low >= minimumMapAddress else { throw ElfError("PT_LOAD at \(hex(low)) is below the lowest mappable address") }
        }
        return image
    }

    /// vm.mmap_min_addr's usual value: no fixed mapping below it.
    static let minimumMapAddress: UInt64 = 0x10000

    static func validateLoad(_ s: Segment, index i: Int, fileSize: UInt64) throws(ElfError) {
        guard s.fileSize <= s.memSize else {
            throw ElfError("PT_LOAD \(i): p_filesz \(hex(s.fileSize)) > p_memsz \(hex(s.memSize))")
        }
        let (fileEnd, o1) = s.offset.addingReportingOverflow(s.fileSize)
        guard s.fileSize == 0 || (!o1 && fileEnd <= fileSize) else {
            throw ElfError("PT_LOAD \(i): file range \(hex(s.offset))+\(hex(s.fileSize)) past end of file (\(fileSize) bytes)")
        }
        let (end, o2) = s.vaddr.addingReportingOverflow(s.memSize)
        guard !o2, end <= userLimit else {
            throw ElfError("PT_LOAD \(i): \(hex(s.vaddr))+\(hex(s.memSize)) is outside the user address space")
        }
        guard s.align == 0 || s.align & (s.align - 1) == 0 else {
            throw ElfError("PT_LOAD \(i): p_align \(hex(s.align)) is not a power of two")
        }
        guard (s.vaddr &- s.offset) % pageSize == 0 else {
            throw ElfError("PT_LOAD \(i): p_vaddr \(hex(s.vaddr)) and p_offset \(hex(s.offset)) differ modulo the page size")
        }
    }
}

@inline(__always) func roundUpToPage(_ v: UInt64) -> UInt64 { (v + ElfImage.pageSize - 1) & ~(ElfImage.pageSize - 1) }
@inline(__always) func roundDownToPage(_ v: UInt64) -> UInt64 { v & ~(ElfImage.pageSize - 1) }

func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

func le16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
func le32(_ b: [UInt8], _ o: Int) -> UInt32 { UInt32(le16(b, o)) | UInt32(le16(b, o + 2)) << 16 }
func le64(_ b: [UInt8], _ o: Int) -> UInt64 { UInt64(le32(b, o)) | UInt64(le32(b, o + 4)) << 32 }

func machineName(_ m: UInt16) -> String {
    switch m {
    case 3: return "i386"
    case 8: return "MIPS"
    case 20: return "PowerPC"
    case 21: return "PowerPC64"
    case 22: return "s390"
    case 40: return "ARM"
    case 183: return "AArch64"
    case 243: return "RISC-V"
    default: return "unknown"
    }
}
