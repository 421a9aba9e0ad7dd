import CPicoLinux
import PerThread

/// Sidecar rows one thread has read, each with the count of sidecar
/// commits it was read at (`ChangeCounters.rows`): a row is believed while
/// no picorun process has committed since, and for at most
/// `ChangeCounters.cacheLifetime` (changes made to the SQLite file by other
/// programs). "No row" is cached too: most files have none.
final class RowCache {
    struct Entry {
        let meta: Metadata?
        let generation: UInt64
        let read: UInt64
    }

    /// The sidecar whose rows these are (its `serial`): one thread may use two.
    var owner: UInt64 = 0
    var entries: [FileIdentity: Entry] = [:]
    static let capacity = 16384

    static let perThread = PerThread { RowCache() }

    /// The cached answer for `id` (nil: not cached; .some(nil): no row).
    func find(_ id: FileIdentity, sidecar: UInt64, generation: UInt64, now: UInt64) -> Metadata?? {
        guard owner == sidecar, let e = entries[id], e.generation == generation,
              now &- e.read < ChangeCounters.cacheLifetime else { return nil }
        return .some(e.meta)
    }

    func store(_ id: FileIdentity, _ meta: Metadata?, sidecar: UInt64, generation: UInt64, now: UInt64) {
        if owner != sidecar || entries.count >= Self.capacity {
            entries.removeAll(keepingCapacity: owner == sidecar)
            owner = sidecar
        }
        entries[id] = Entry(meta: meta, generation: generation, read: now)
    }
}
