import CPicoLinux
import Glibc

/// The general-purpose registers of a stopped task, as PTRACE_GETREGS gives them.
public typealias Registers = user_regs_struct

/// Why an access to a tracee failed, as the errno the guest should see.
public struct TraceeError: Error, Equatable {
    public let errno: LinuxErrno
    public init(_ errno: LinuxErrno) { self.errno = errno }
}

/// A stopped guest task: its registers and its memory. Handlers and the
/// loader see only this, so they can be tested against a fake task and a
/// different trap mechanism can come later without touching them.
public protocol Tracee: AnyObject, Sendable {
    var tid: pid_t { get }
    func registers() throws(TraceeError) -> Registers
    func setRegisters(_ regs: Registers) throws(TraceeError)
    /// Reads up to `buffer.count` bytes; returns how many were readable
    /// before the first unmapped byte (0 when `address` itself is unmapped).
    func read(at address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(TraceeError) -> Int
    /// Writes all of `bytes` or throws EFAULT.
    func write(at address: UInt64, from bytes: UnsafeRawBufferPointer) throws(TraceeError)
}

extension Tracee {
    /// Exactly `count` bytes, or EFAULT.
    public func readBytes(at address: UInt64, count: Int) throws(TraceeError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let got = out.withUnsafeMutableBytes { p in Result { () throws(TraceeError) in try read(at: address, into: p) } }
        guard try got.get() == count else { throw TraceeError(.EFAULT) }
        return out
    }

    public func readWord(at address: UInt64) throws(TraceeError) -> UInt64 {
        var v: UInt64 = 0
        let got = withUnsafeMutableBytes(of: &v) { p in Result { () throws(TraceeError) in try read(at: address, into: p) } }
        guard try got.get() == 8 else { throw TraceeError(.EFAULT) }
        return v
    }

    public func writeBytes(_ bytes: [UInt8], at address: UInt64) throws(TraceeError) {
        try bytes.withUnsafeBytes { p in Result { () throws(TraceeError) in try write(at: address, from: p) } }.get()
    }

    /// A NUL-terminated string of at most `limit` bytes before the NUL:
    /// EFAULT if it runs into unmapped memory, ENAMETOOLONG past the limit.
    public func readCString(at address: UInt64, limit: Int = 4096) throws(TraceeError) -> [UInt8] {
        guard address != 0 else { throw TraceeError(.EFAULT) }
        var result: [UInt8] = []
        var cursor = address
        var chunk = [UInt8](repeating: 0, count: 256)
        while true {
            // Never read across a page boundary in one go: the next page may be unmapped
            // while the string already ended on this one.
            let toPageEnd = Int(ElfImage.pageSize - (cursor & (ElfImage.pageSize - 1)))
            let want = min(chunk.count, toPageEnd)
            let got = try chunk.withUnsafeMutableBytes { p in
                Result { () throws(TraceeError) in try read(at: cursor, into: UnsafeMutableRawBufferPointer(rebasing: p[0..<want])) }
            }.get()
            guard got > 0 else { throw TraceeError(.EFAULT) }
            if let nul = chunk[0..<got].firstIndex(of: 0) {
                result.append(contentsOf: chunk[0..<nul])
                guard result.count <= limit else { throw TraceeError(.ENAMETOOLONG) }
                return result
            }
            result.append(contentsOf: chunk[0..<got])
            guard result.count <= limit else { throw TraceeError(.ENAMETOOLONG) }
            cursor += UInt64(got)
        }
    }
}

/// A task reached through ptrace and process_vm_readv/writev.
public final class PtraceTracee: Tracee, Sendable {
    public let tid: pid_t

    public init(tid: pid_t) { self.tid = tid }

    public func registers() throws(TraceeError) -> Registers {
        var regs = Registers()
        let r = withUnsafeMutablePointer(to: &regs) { Ptrace.call(Ptrace.getRegs, tid, 0, UInt(bitPattern: $0)) }
        guard r >= 0 else { throw TraceeError(LinuxErrno(Int32(-r))) }
        return regs
    }

    public func setRegisters(_ regs: Registers) throws(TraceeError) {
        var copy = regs
        let r = withUnsafeMutablePointer(to: &copy) { Ptrace.call(Ptrace.setRegs, tid, 0, UInt(bitPattern: $0)) }
        guard r >= 0 else { throw TraceeError(LinuxErrno(Int32(-r))) }
    }

    public func read(at address: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(TraceeError) -> Int {
        guard buffer.count > 0 else { return 0 }
        let n = pico_vm_read(tid, buffer.baseAddress, buffer.count, UInt(address))
        if n < 0 {
            if errno == EFAULT { return 0 }
            throw TraceeError(errno == ESRCH ? .ESRCH : LinuxErrno(errno))
        }
        return n
    }

    public func write(at address: UInt64, from bytes: UnsafeRawBufferPointer) throws(TraceeError) {
        guard bytes.count > 0 else { return }
        let n = pico_vm_write(tid, bytes.baseAddress, bytes.count, UInt(address))
        if n < 0 { throw TraceeError(errno == ESRCH ? .ESRCH : (errno == EFAULT ? .EFAULT : LinuxErrno(errno))) }
        guard n == bytes.count else { throw TraceeError(.EFAULT) }
    }
}
