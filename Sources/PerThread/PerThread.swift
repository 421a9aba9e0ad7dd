import Glibc

/// One object per thread, made on a thread's first use and released when
/// the thread ends.
///
/// Why: the supervisor's caches (resolved directories, sidecar rows) are
/// read on every path call by several answering threads at once; a cache
/// of each thread's own needs no lock, and what one thread closes or drops
/// no other thread can be holding.
public final class PerThread<Value: AnyObject>: @unchecked Sendable {
    let key: pthread_key_t
    let make: () -> Value

    public init(_ make: @escaping () -> Value) {
        var key = pthread_key_t()
        // Runs at thread exit with the value this thread set.
        let status = pthread_key_create(&key) { value in
            if let value { Unmanaged<AnyObject>.fromOpaque(value).release() }
        }
        precondition(status == 0, "pthread_key_create: out of thread-specific keys")
        self.key = key
        self.make = make
    }

    /// This thread's value.
    public var current: Value {
        if let p = pthread_getspecific(key) {
            return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as! Value
        }
        let value = make()
        pthread_setspecific(key, Unmanaged.passRetained(value as AnyObject).toOpaque())
        return value
    }
}
