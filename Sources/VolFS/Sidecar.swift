import CPicoLinux
import CSQLite
import Glibc
import LinuxABI
import Synchronization

/// The metadata sidecar: one SQLite database per distro (system libsqlite3),
/// one row per file whose guest metadata differs from the defaults, keyed by
/// inode number and guarded by birth time.
///
/// Why this shape: a row follows the inode, so rename and hard links need
/// nothing; a row whose birth time does not match its inode's is stale
/// (the file was deleted and the number reused) and is ignored, so no new
/// file inherits an old one's setuid bit. WAL mode with a transaction per
/// change survives `kill -9` at any instant (a transaction is in the log or
/// not). Rows read are kept per thread (`RowCache`) and believed until any
/// picorun process commits to this sidecar (`ChangeCounters`, a counter in
/// a shared mapping beside it, bumped after every write): another
/// session's or `picorun serve`'s change is seen at the next lookup, one
/// made by another program within `ChangeCounters.cacheLifetime`.
public final class Sidecar: @unchecked Sendable {
    public let path: String
    /// One connection, used from the ptrace thread, the notification thread
    /// and blocking-call threads: serialised here.
    let lock = Mutex(())
    nonisolated(unsafe) var db: OpaquePointer?
    nonisolated(unsafe) var selectStatement: OpaquePointer?
    nonisolated(unsafe) var upsertStatement: OpaquePointer?
    nonisolated(unsafe) var deleteStatement: OpaquePointer?
    nonisolated(unsafe) var transactionDepth = 0
    /// Commit and directory-change counts shared with every other process
    /// that opens this sidecar.
    public let counters: ChangeCounters
    /// Tells this sidecar's cached rows from another's in a thread's cache.
    let serial = Sidecar.serials.add(1, ordering: .relaxed).newValue
    static let serials = Atomic<UInt64>(0)

    static let schema = """
        CREATE TABLE IF NOT EXISTS files (
            inode INTEGER PRIMARY KEY,
            birth INTEGER NOT NULL,
            uid INTEGER NOT NULL,
            gid INTEGER NOT NULL,
            mode INTEGER NOT NULL,
            rdev INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE IF NOT EXISTS about (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT OR IGNORE INTO about VALUES ('format', '1');
        """

    /// Opens (creating if needed) the sidecar at `path`.
    public init(path: String) throws(VolFSError) {
        self.path = path
        counters = ChangeCounters(sidecarPath: path)
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            sqlite3_close(handle)
            throw VolFSError("\(path): \(message)")
        }
        db = handle
        // Another session or the 9P server may hold the write lock briefly.
        sqlite3_busy_timeout(handle, 10_000)
        do throws(VolFSError) {
            try exec("PRAGMA journal_mode=WAL")
            // NORMAL: a commit is in the WAL before the call returns, so a
            // killed process loses nothing; only a power cut could lose the
            // last commits, never consistency.
            try exec("PRAGMA synchronous=NORMAL")
            try exec(Self.schema)
            guard let format = try scalarText("SELECT value FROM about WHERE key = 'format'"), format == "1" else {
                throw VolFSError("\(path): not a picorun sidecar of a format this version knows")
            }
            selectStatement = try prepare("SELECT birth, uid, gid, mode, rdev FROM files WHERE inode = ?1")
            upsertStatement = try prepare("""
                INSERT INTO files (inode, birth, uid, gid, mode, rdev) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                ON CONFLICT(inode) DO UPDATE SET birth = ?2, uid = ?3, gid = ?4, mode = ?5, rdev = ?6
                """)
            deleteStatement = try prepare("DELETE FROM files WHERE inode = ?1 AND birth = ?2")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    func close() {
        for s in [selectStatement, upsertStatement, deleteStatement] where s != nil { sqlite3_finalize(s) }
        selectStatement = nil
        upsertStatement = nil
        deleteStatement = nil
        if db != nil { sqlite3_close(db) }
        db = nil
    }

    /// The row for `id`, if there is one and it is not stale (a failed
    /// read counts as none here; `modify` tells the two apart).
    public func lookup(_ id: FileIdentity) -> Metadata? {
        guard counters.shared else { return lock.withLock { _ in (try? selectRow(id)) ?? nil } }
        let cache = RowCache.perThread.current
        // Read before the row: a commit after it makes the row's entry stale.
        let generation = pico_counter_load(counters.rows)
        let now = pico_coarse_nanoseconds()
        if let known = cache.find(id, sidecar: serial, generation: generation, now: now) { return known }
        let meta = lock.withLock { _ in (try? selectRow(id)) ?? nil }
        cache.store(id, meta, sidecar: serial, generation: generation, now: now)
        return meta
    }

    /// Runs `body` with a lookup that reads one snapshot of the database,
    /// holding the lock and one read transaction throughout: many lookups
    /// without a lock and a transaction each. `body` must not call the
    /// sidecar otherwise (the lock is held).
    func reading<T>(_ body: ((FileIdentity) -> Metadata?) -> T) -> T {
        lock.withLock { _ in
            // Inside another thread's batch() the lookups join its transaction.
            let began = sqlite3_get_autocommit(db) != 0 && (try? exec("BEGIN")) != nil
            defer { if began { _ = try? exec("COMMIT") } }
            return body { id in (try? self.selectRow(id)) ?? nil }
        }
    }

    /// Reads, changes and writes the row of `id` as one transaction, so a
    /// chown here and a chmod in another session (or over 9P) at the same
    /// moment both land. `defaults` is the file's view without a row; a
    /// result equal to it leaves no row. A failed read is an error, never
    /// taken for "no row" (which would write the defaults over the truth).
    public func modify(_ id: FileIdentity, defaults: Metadata, _ change: (inout Metadata) -> Void) throws(VolFSError) {
        defer { counters.rowsChanged() }
        try lock.withLock { _ throws(VolFSError) in
            // Inside another thread's batch() the change joins its
            // transaction: a BEGIN would fail and the ROLLBACK undo the batch.
            let own = sqlite3_get_autocommit(db) != 0
            if own { try exec("BEGIN IMMEDIATE") }
            do throws(VolFSError) {
                let row = try selectRow(id)
                var meta = row ?? defaults
                change(&meta)
                if meta != defaults { try upsertRow(id, meta) } else if row != nil { try deleteRow(id) }
                if own { try exec("COMMIT") }
            } catch {
                if own { _ = try? exec("ROLLBACK") }
                throw error
            }
        }
    }

    /// Records `meta` for `id`, replacing any row (stale or not) for the inode.
    public func store(_ id: FileIdentity, _ meta: Metadata) throws(VolFSError) {
        defer { counters.rowsChanged() }
        try lock.withLock { _ throws(VolFSError) in try upsertRow(id, meta) }
    }

    /// Forgets the row of a file that is gone.
    public func remove(_ id: FileIdentity) throws(VolFSError) {
        defer { counters.rowsChanged() }
        try lock.withLock { _ throws(VolFSError) in try deleteRow(id) }
    }

    // The statements themselves; callers hold the lock.

    func selectRow(_ id: FileIdentity) throws(VolFSError) -> Metadata? {
        guard let s = selectStatement else { throw VolFSError("\(path): closed") }
        defer { sqlite3_reset(s) }
        sqlite3_bind_int64(s, 1, Int64(bitPattern: id.inode))
        let r = sqlite3_step(s)
        if r == SQLITE_DONE { return nil }
        try check(r, SQLITE_ROW)
        guard sqlite3_column_int64(s, 0) == id.birth else { return nil }  // a stale row: another file's
        return Metadata(uid: UInt32(truncatingIfNeeded: sqlite3_column_int64(s, 1)),
                        gid: UInt32(truncatingIfNeeded: sqlite3_column_int64(s, 2)),
                        mode: UInt32(truncatingIfNeeded: sqlite3_column_int64(s, 3)),
                        rdev: UInt64(bitPattern: sqlite3_column_int64(s, 4)))
    }

    func upsertRow(_ id: FileIdentity, _ meta: Metadata) throws(VolFSError) {
        guard let s = upsertStatement else { throw VolFSError("\(path): closed") }
        defer { sqlite3_reset(s) }
        sqlite3_bind_int64(s, 1, Int64(bitPattern: id.inode))
        sqlite3_bind_int64(s, 2, id.birth)
        sqlite3_bind_int64(s, 3, Int64(meta.uid))
        sqlite3_bind_int64(s, 4, Int64(meta.gid))
        sqlite3_bind_int64(s, 5, Int64(meta.mode))
        sqlite3_bind_int64(s, 6, Int64(bitPattern: meta.rdev))
        try check(sqlite3_step(s), SQLITE_DONE)
    }

    func deleteRow(_ id: FileIdentity) throws(VolFSError) {
        guard let s = deleteStatement else { throw VolFSError("\(path): closed") }
        defer { sqlite3_reset(s) }
        sqlite3_bind_int64(s, 1, Int64(bitPattern: id.inode))
        sqlite3_bind_int64(s, 2, id.birth)
        try check(sqlite3_step(s), SQLITE_DONE)
    }

    /// Every row, for fsck.
    public func allRows() throws(VolFSError) -> [(FileIdentity, Metadata)] {
        try lock.withLock { _ throws(VolFSError) in
            let s = try prepare("SELECT inode, birth, uid, gid, mode, rdev FROM files ORDER BY inode")
            defer { sqlite3_finalize(s) }
            var rows: [(FileIdentity, Metadata)] = []
            while true {
                let r = sqlite3_step(s)
                if r == SQLITE_DONE { break }
                try check(r, SQLITE_ROW)
                rows.append((FileIdentity(inode: UInt64(bitPattern: sqlite3_column_int64(s, 0)), birth: sqlite3_column_int64(s, 1)),
                             Metadata(uid: UInt32(truncatingIfNeeded: sqlite3_column_int64(s, 2)),
                                      gid: UInt32(truncatingIfNeeded: sqlite3_column_int64(s, 3)),
                                      mode: UInt32(truncatingIfNeeded: sqlite3_column_int64(s, 4)),
                                      rdev: UInt64(bitPattern: sqlite3_column_int64(s, 5)))))
            }
            return rows
        }
    }

    /// Deletes the rows of these inodes whatever their birth time (fsck).
    public func removeInodes(_ inodes: [UInt64]) throws(VolFSError) {
        defer { counters.rowsChanged() }
        try batch { () throws(VolFSError) in
            for inode in inodes {
                try lock.withLock { _ throws(VolFSError) in
                    let s = try prepare("DELETE FROM files WHERE inode = ?1")
                    defer { sqlite3_finalize(s) }
                    sqlite3_bind_int64(s, 1, Int64(bitPattern: inode))
                    try check(sqlite3_step(s), SQLITE_DONE)
                }
            }
        }
    }

    /// Runs `body` as one transaction (an import's many rows commit at once;
    /// a kill before the commit leaves none of them).
    public func batch<T>(_ body: () throws(VolFSError) -> T) throws(VolFSError) -> T {
        // Other threads' lookups join the open transaction: what they read
        // (and cached) is not committed until the end, or is rolled back.
        defer { counters.rowsChanged() }
        try lock.withLock { _ throws(VolFSError) in try exec("BEGIN IMMEDIATE") }
        do throws(VolFSError) {
            let value = try body()
            try lock.withLock { _ throws(VolFSError) in try exec("COMMIT") }
            return value
        } catch {
            lock.withLock { _ in _ = try? exec("ROLLBACK") }
            throw error
        }
    }

    // MARK: SQLite plumbing (callers hold the lock, or are in init)

    func exec(_ sql: String) throws(VolFSError) {
        var message: UnsafeMutablePointer<CChar>?
        let r = sqlite3_exec(db, sql, nil, nil, &message)
        if r != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? "error \(r)"
            sqlite3_free(message)
            throw VolFSError("\(path): \(text)", errno: Self.linuxErrno(sqlite: r))
        }
    }

    func prepare(_ sql: String) throws(VolFSError) -> OpaquePointer {
        var s: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK, let s else {
            throw VolFSError("\(path): \(String(cString: sqlite3_errmsg(db)))")
        }
        return s
    }

    func scalarText(_ sql: String) throws(VolFSError) -> String? {
        let s = try prepare(sql)
        defer { sqlite3_finalize(s) }
        guard sqlite3_step(s) == SQLITE_ROW, let text = sqlite3_column_text(s, 0) else { return nil }
        return String(cString: text)
    }

    func check(_ r: Int32, _ expected: Int32) throws(VolFSError) {
        guard r == expected else { throw VolFSError("\(path): \(String(cString: sqlite3_errmsg(db)))", errno: Self.linuxErrno(sqlite: r)) }
    }

    /// A failed write of the sidecar as a filesystem names the same failure
    /// of an inode write (chmod on a full disk, a read-only mount); nil for
    /// the rest, which callers answer with EIO.
    static func linuxErrno(sqlite r: Int32) -> LinuxErrno? {
        switch r & 0xff {
        case SQLITE_FULL: return .ENOSPC
        case SQLITE_READONLY: return .EROFS
        case SQLITE_NOMEM: return .ENOMEM
        default: return nil
        }
    }
}

public struct VolFSError: Error, Sendable {
    public let message: String
    /// What a caller answering for a file should say, where the failure
    /// has a closer name than EIO (a full disk, a read-only sidecar, a
    /// file gone from under its fd); nil: EIO, as for an inode write.
    public let errno: LinuxErrno?
    public init(_ message: String, errno: LinuxErrno? = nil) {
        self.message = message
        self.errno = errno
    }
}
