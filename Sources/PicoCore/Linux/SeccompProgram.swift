import CPicoLinux

/// A classic-BPF seccomp program a guest installed, run by picorun on the
/// calls it stops (GuestSeccomp says why). Only programs the kernel
/// accepted are run, so every instruction is one seccomp allows; still,
/// nothing here trusts that: a jump or a load out of bounds, or an
/// instruction seccomp does not allow, ends the run with KILL, as the
/// kernel would have refused the program.
public struct SeccompProgram: Sendable {
    public let code: [sock_filter]

    public init(code: [sock_filter]) { self.code = code }

    /// SECCOMP_RET_ACTION_FULL, compared as signed: the lower, the more
    /// restrictive (KILL_PROCESS is 0x80000000).
    public static let actionMask: UInt32 = 0xffff_0000
    public static let retKillProcess: UInt32 = 0x8000_0000
    public static let retTrace: UInt32 = 0x7ff0_0000
    public static let retAllow: UInt32 = 0x7fff_0000

    /// The most restrictive of two verdicts, as kernel/seccomp.c's
    /// seccomp_run_filters() keeps (the first on a tie: the newer filter).
    public static func stricter(_ a: UInt32, _ b: UInt32) -> UInt32 {
        Int32(bitPattern: b & actionMask) < Int32(bitPattern: a & actionMask) ? b : a
    }

    /// struct seccomp_data: nr, arch, instruction_pointer, args[6].
    public struct Data {
        public var nr: Int32
        public var arch: UInt32 = 0xC000_003E
        public var ip: UInt64
        public var args: [UInt64]

        public init(nr: Int32, ip: UInt64, args: [UInt64]) {
            self.nr = nr
            self.ip = ip
            self.args = args
        }

        /// At a seccomp stop: the number, the address after the syscall
        /// instruction, the argument registers.
        init(_ r: Registers) {
            self.init(nr: Int32(truncatingIfNeeded: r.orig_rax), ip: r.rip, args: [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9])
        }

        /// The 32-bit word at byte `offset` (little-endian halves).
        func word(_ offset: UInt32) -> UInt32? {
            switch offset {
            case 0: return UInt32(bitPattern: nr)
            case 4: return arch
            case 8: return UInt32(truncatingIfNeeded: ip)
            case 12: return UInt32(truncatingIfNeeded: ip >> 32)
            case 16..<64 where offset % 4 == 0:
                let a = args[Int(offset - 16) / 8]
                return offset % 8 == 0 ? UInt32(truncatingIfNeeded: a) : UInt32(truncatingIfNeeded: a >> 32)
            default: return nil
            }
        }
    }

    /// The program's verdict on one call.
    public func run(_ data: Data) -> UInt32 {
        var a: UInt32 = 0, x: UInt32 = 0
        var mem = [UInt32](repeating: 0, count: 16)
        var pc = 0
        let kill = Self.retKillProcess
        while pc < code.count {
            let i = code[pc]
            let k = i.k
            pc += 1
            switch i.code {
            case 0x20: guard let w = data.word(k) else { return kill }; a = w  // LD W ABS
            case 0x80: a = 64  // LD W LEN
            case 0x81: x = 64  // LDX W LEN
            case 0x00: a = k  // LD IMM
            case 0x01: x = k  // LDX IMM
            case 0x60: guard k < 16 else { return kill }; a = mem[Int(k)]  // LD MEM
            case 0x61: guard k < 16 else { return kill }; x = mem[Int(k)]  // LDX MEM
            case 0x02: guard k < 16 else { return kill }; mem[Int(k)] = a  // ST
            case 0x03: guard k < 16 else { return kill }; mem[Int(k)] = x  // STX
            case 0x87: a = x  // TXA
            case 0x07: x = a  // TAX
            case 0x84: a = 0 &- a  // NEG
            case 0x06: return k  // RET K
            case 0x16: return a  // RET A
            case 0x05:  // JA
                pc += Int(k)
            default:
                let cls = i.code & 0x07, op = i.code & 0xf0, src = i.code & 0x08 != 0 ? x : k
                if cls == 0x04 {  // ALU
                    switch op {
                    case 0x00: a = a &+ src
                    case 0x10: a = a &- src
                    case 0x20: a = a &* src
                    case 0x30: guard src != 0 else { return 0 }; a /= src  // the kernel's division by zero returns 0
                    case 0x90: guard src != 0 else { return 0 }; a %= src
                    case 0x40: a |= src
                    case 0x50: a &= src
                    case 0xa0: a ^= src
                    // A shift by X of 32 or more is what x86's shl and shr
                    // make of it, the count taken modulo 32, as the
                    // kernel's JIT runs it (a K that large is refused).
                    case 0x60: a <<= src & 31
                    case 0x70: a >>= src & 31
                    default: return kill
                    }
                } else if cls == 0x05 {  // conditional jumps
                    let taken: Bool
                    switch op {
                    case 0x10: taken = a == src
                    case 0x20: taken = a > src
                    case 0x30: taken = a >= src
                    case 0x40: taken = a & src != 0
                    default: return kill
                    }
                    pc += Int(taken ? i.jt : i.jf)
                } else {
                    return kill
                }
            }
        }
        return kill
    }
}
