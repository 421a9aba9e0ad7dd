import Glibc

/// strerror(3) of a host errno, as one line.
public func hostErrorString(_ code: Int32) -> String {
    String(cString: strerror(code))
}
