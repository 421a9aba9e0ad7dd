import PicoCore

/// Memory-management syscalls that picorun must see.
enum Memory {
    static let protReadWrite: UInt64 = 3
    static let mapPrivateAnonymousFixedNoreplace: UInt64 = 0x02 | 0x20 | 0x10_0000
    static let sysMmap: UInt64 = 9
    static let sysMunmap: UInt64 = 11

    /// Brk implements Linux syscall brk(2). The kernel's break belongs to the
    /// loader stub, so the guest's is emulated: growing maps anonymous pages
    /// at the old end (never over an existing mapping), shrinking unmaps.
    static func brk(_ c: GuestCall) -> Outcome {
        let mem = c.task.process.memory
        let requested = c.arg(0)
        // Below the start or beyond the user address space: the break stays.
        guard requested >= mem.brkStart, requested <= userSpaceEnd else { return .value(Int64(bitPattern: mem.brkCurrent)) }
        let oldEnd = pageUp(mem.brkCurrent), newEnd = pageUp(requested)
        if newEnd == oldEnd {
            mem.brkCurrent = requested
            return .value(Int64(bitPattern: requested))
        }
        c.task.exitScratch = (requested, 0)
        if newEnd > oldEnd {
            c.registers.orig_rax = sysMmap
            c.setArg(0, oldEnd); c.setArg(1, newEnd - oldEnd); c.setArg(2, protReadWrite)
            c.setArg(3, mapPrivateAnonymousFixedNoreplace); c.setArg(4, UInt64.max); c.setArg(5, 0)
        } else {
            c.registers.orig_rax = sysMunmap
            c.setArg(0, newEnd); c.setArg(1, oldEnd - newEnd)
        }
        return .rewritten
    }

    static func brkExit(_ c: GuestCall, result: Int64) -> Int64 {
        let mem = c.task.process.memory
        // brk(2) reports failure by returning the unchanged break.
        if result < 0 && result > -4096 { return Int64(bitPattern: mem.brkCurrent) }
        mem.brkCurrent = c.task.exitScratch.0
        return Int64(bitPattern: mem.brkCurrent)
    }

    /// x86-64's TASK_SIZE with 4-level paging: no user mapping ends above it.
    static let userSpaceEnd: UInt64 = 0x7fff_ffff_f000

    @inline(__always) static func pageUp(_ v: UInt64) -> UInt64 { (v + 4095) & ~4095 }
}
