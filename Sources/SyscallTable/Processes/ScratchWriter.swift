import PicoCore

/// Writes data downward from `top` in a tracee's memory (below the red zone
/// of its stack), for arguments a handler substitutes into a syscall.
struct ScratchWriter {
    var top: UInt64
    let tracee: Tracee

    init(top: UInt64, tracee: Tracee) {
        self.top = top
        self.tracee = tracee
    }

    /// Writes `bytes` and returns their address.
    mutating func push(_ bytes: [UInt8]) throws(TraceeError) -> UInt64 {
        top = (top - UInt64(bytes.count)) & ~7
        try tracee.writeBytes(bytes, at: top)
        return top
    }

    mutating func pushWords(_ words: [UInt64]) throws(TraceeError) -> UInt64 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(words.count * 8)
        for w in words { withUnsafeBytes(of: w.littleEndian) { bytes += $0 } }
        top &= ~15
        return try push(bytes)
    }
}
