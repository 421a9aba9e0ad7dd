/// The message types of 9P2000.L (the Linux kernel's include/net/9p/9p.h,
/// enum p9_msg_t), named once for the server, its tests' helpers and
/// anyone who reads a trace. A reply's number is its request's plus one;
/// Rlerror answers any request that failed.
public enum NinePMessageType: UInt8, Sendable {
    case tlerror = 6, rlerror = 7
    case tstatfs = 8, rstatfs = 9
    case tlopen = 12, rlopen = 13
    case tlcreate = 14, rlcreate = 15
    case tsymlink = 16, rsymlink = 17
    case tmknod = 18, rmknod = 19
    case trename = 20, rrename = 21
    case treadlink = 22, rreadlink = 23
    case tgetattr = 24, rgetattr = 25
    case tsetattr = 26, rsetattr = 27
    case txattrwalk = 30, rxattrwalk = 31
    case txattrcreate = 32, rxattrcreate = 33
    case treaddir = 40, rreaddir = 41
    case tfsync = 50, rfsync = 51
    case tlock = 52, rlock = 53
    case tgetlock = 54, rgetlock = 55
    case tlink = 70, rlink = 71
    case tmkdir = 72, rmkdir = 73
    case trenameat = 74, rrenameat = 75
    case tunlinkat = 76, runlinkat = 77
    case tversion = 100, rversion = 101
    case tauth = 102, rauth = 103
    case tattach = 104, rattach = 105
    case tflush = 108, rflush = 109
    case twalk = 110, rwalk = 111
    case tread = 116, rread = 117
    case twrite = 118, rwrite = 119
    case tclunk = 120, rclunk = 121
    case tremove = 122, rremove = 123

    /// The answer to a request of this type (a reply is its own).
    public var reply: NinePMessageType { NinePMessageType(rawValue: rawValue | 1) ?? .rlerror }
}
