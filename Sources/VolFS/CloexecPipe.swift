import Glibc

/// pipe2(O_CLOEXEC) by way of pipe(2) and fcntl(2).
func cloexecPipe(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return true
}
