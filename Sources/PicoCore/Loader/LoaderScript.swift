/// The list of operations the loader stub performs in the tracee, encoded
/// as scripts/stub/loader-stub.S reads them: 64-byte records followed by the
/// strings they point at.
struct LoaderScript {
    enum Arg {
        case value(UInt64)
        /// The address of a string added with `string(_:)`.
        case string(Int)
        /// The fd the last `saveFD` record opened (the stub's %r15).
        case savedFD
    }

    struct Record {
        var nr: UInt64
        var args: [Arg]
        var saveFD: Bool
        var what: String
        /// A failure does not stop the load.
        var optional = false
    }

    static let opEnd = UInt64(bitPattern: -1)
    static let opZero = UInt64(bitPattern: -2)
    static let recordSize = 64

    private(set) var records: [Record] = []
    private var strings: [UInt8] = []

    mutating func string(_ bytes: [UInt8]) -> Arg {
        let offset = strings.count
        strings += bytes + [0]
        return .string(offset)
    }

    mutating func syscall(_ nr: UInt64, _ args: [Arg], saveFD: Bool = false, optional: Bool = false, what: String) {
        precondition(args.count <= 6)
        records.append(Record(nr: nr, args: args, saveFD: saveFD, what: what, optional: optional))
    }

    mutating func zero(_ address: UInt64, _ length: UInt64, what: String) {
        records.append(Record(nr: Self.opZero, args: [.value(address), .value(length)], saveFD: false, what: what))
    }

    /// Size of the encoded script, including the end record.
    var encodedSize: Int { (records.count + 1) * Self.recordSize + strings.count }

    /// The bytes to write at `base`.
    func encode(at base: UInt64) -> [UInt8] {
        let stringsBase = base + UInt64((records.count + 1) * Self.recordSize)
        var words: [UInt64] = []
        words.reserveCapacity((records.count + 1) * 8)
        for r in records {
            var flags: UInt64 = (r.saveFD ? 1 : 0) | (r.optional ? 1 << 7 : 0)
            var args = [UInt64](repeating: 0, count: 6)
            for (i, a) in r.args.enumerated() {
                switch a {
                case .value(let v): args[i] = v
                case .string(let off): args[i] = stringsBase + UInt64(off)
                case .savedFD: flags |= 1 << (UInt64(i) + 1)
                }
            }
            words.append(r.nr)
            words += args
            words.append(flags)
        }
        words += [Self.opEnd, 0, 0, 0, 0, 0, 0, 0]
        var out: [UInt8] = []
        out.reserveCapacity(encodedSize)
        for w in words { withUnsafeBytes(of: w.littleEndian) { out += $0 } }
        return out + strings
    }
}
