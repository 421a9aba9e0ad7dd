import Glibc

/// The siginfo a guest's signal handler gets, as Linux would write it.
///
/// Two things the kernel cannot know are set right at the signal-delivery
/// stop, where the siginfo can still be rewritten: a tracer's SIGCHLD for a
/// tracee's stop, which picorun sends itself (as SI_USER: the kernel lets
/// no process send another code), and in distro runs the sender's uid,
/// which the kernel writes as the host uid every guest shares.
extension Supervisor {
    static let siUser: Int32 = 0, siQueue: Int32 = -1, siMesgq: Int32 = -3, siTkill: Int32 = -6

    func fixSiginfo(_ task: GuestTask, _ sig: Int32) {
        let chld = sig == SIGCHLD && !tracing.chldInfo.isEmpty ? tracing.chldInfo.removeValue(forKey: task.process.tgid) : nil
        guard chld != nil || handler.keepsIdentities else { return }
        var info = [Int32](repeating: 0, count: 32)
        guard info.withUnsafeMutableBytes({ Ptrace.call(Ptrace.getSigInfo, task.tid, 0, UInt(bitPattern: $0.baseAddress)) }) == 0 else { return }
        var changed = false
        if let chld, info[2] == Self.siUser, info[4] == getpid() {
            info = chld.words
            changed = true
        }
        // si_pid and si_uid name a sender (kill, sigqueue, tgkill, mq_notify)
        // or, in a SIGCHLD, the child.
        let code = info[2]
        let named = [Self.siUser, Self.siQueue, Self.siMesgq, Self.siTkill].contains(code) || (info[0] == SIGCHLD && (1...6).contains(code))
        if named, handler.keepsIdentities, let uid = handler.signalUid(of: info[4]), UInt32(bitPattern: info[5]) != uid {
            info[5] = Int32(bitPattern: uid)
            changed = true
        }
        if changed {
            _ = info.withUnsafeMutableBytes { Ptrace.call(Ptrace.setSigInfo, task.tid, 0, UInt(bitPattern: $0.baseAddress)) }
        }
    }
}
