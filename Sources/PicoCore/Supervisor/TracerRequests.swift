import CPicoLinux
import Glibc

/// A guest tracer's ptrace requests, carried out with picorun's real
/// ptrace on the held tracee. Buffers are read from and written to the
/// tracer's memory; a bad pointer there is EFAULT, as from the kernel.
extension GuestTracing {
    /// PTRACE_TRACEME: the caller's parent becomes its tracer. The first
    /// guest's parent is picorun, which no guest can be traced by.
    public func traceMe(_ task: GuestTask) -> Int64 {
        let p = task.process
        guard task.traced == nil, p.parentTgid != 0, supervisor.tasks[p.parentTgid] != nil else { return -Int64(EPERM) }
        let tracer = supervisor.tasks[p.parentTid] != nil ? p.parentTid : p.parentTgid
        link(task, tracer: tracer, tracerTgid: p.parentTgid, seized: false, options: 0)
        return 0
    }

    /// PTRACE_ATTACH or PTRACE_SEIZE, once the caller's right to trace the
    /// target has been judged (SyscallTable's PtraceCalls).
    public func attach(_ caller: GuestTask, _ target: GuestTask, seize: Bool, options: UInt) -> Int64 {
        guard target.traced == nil, target.process !== caller.process else { return -Int64(EPERM) }
        link(target, tracer: caller.tid, tracerTgid: caller.process.tgid, seized: seize, options: options)
        // A task listening in a group-stop traps again, so that its new
        // tracer sees the stop, as Linux re-traps it at attach.
        if target.groupStopSignal != 0 { _ = Ptrace.call(Ptrace.interrupt, target.tid) }
        if !seize { _ = Glibc.kill(target.process.tgid, SIGSTOP) }
        return 0
    }

    /// Every other request, by the tracer thread on its tracee.
    public func request(_ caller: GuestTask, memory: Tracee, request: Int32, pid: pid_t, addr: UInt64, data: UInt64) -> Int64 {
        guard let task = supervisor.tasks[pid], let t = task.traced, t.tracer == caller.tid else { return -Int64(ESRCH) }
        switch request {
        case Ptrace.kill:
            _ = Glibc.kill(task.process.tgid, SIGKILL)
            return 0
        case Ptrace.interrupt:
            guard t.seized else { return -Int64(EIO) }
            if t.held == nil { _ = Ptrace.call(Ptrace.interrupt, task.tid) }
            return 0
        default:
            break
        }
        guard let stop = t.held else { return -Int64(ESRCH) }
        let tid = task.tid
        switch request {
        case Ptrace.cont, Ptrace.syscall, Ptrace.singleStep, Ptrace.sysemu, Ptrace.sysemuSingleStep:
            guard data <= 64 else { return -Int64(EIO) }
            resume(task, request: request, signal: Int32(data))
            return 0
        case Ptrace.detach:
            guard data <= 64 else { return -Int64(EIO) }
            detach(task, signal: Int32(data))
            return 0
        case Ptrace.listen:
            guard t.seized, stop.kind == .groupStop || stop.kind == .event && stop.what >> 8 == Ptrace.eventStop else {
                return -Int64(EIO)
            }
            t.held = nil
            return Int64(Ptrace.call(Ptrace.listen, tid))
        case Ptrace.peekText, Ptrace.peekData, Ptrace.peekUser:
            var word: UInt64 = 0
            let r = withUnsafeMutablePointer(to: &word) { pico_ptrace_raw(request, tid, UInt(addr), UInt(bitPattern: $0)) }
            return r < 0 ? Int64(r) : put(memory, data, &word, MemoryLayout<UInt64>.size)
        case Ptrace.pokeText, Ptrace.pokeData, Ptrace.pokeUser:
            return Int64(pico_ptrace_raw(request, tid, UInt(addr), UInt(data)))
        case Ptrace.getRegs:
            return bufferOut(memory, data, MemoryLayout<user_regs_struct>.size) { pico_ptrace_raw(request, tid, 0, $0) }
        case Ptrace.getFpRegs:
            return bufferOut(memory, data, MemoryLayout<user_fpregs_struct>.size) { pico_ptrace_raw(request, tid, 0, $0) }
        case Ptrace.setRegs:
            return bufferIn(memory, data, MemoryLayout<user_regs_struct>.size) { pico_ptrace_raw(request, tid, 0, $0) }
        case Ptrace.setFpRegs:
            return bufferIn(memory, data, MemoryLayout<user_fpregs_struct>.size) { pico_ptrace_raw(request, tid, 0, $0) }
        case Ptrace.getSigInfo:
            if stop.kind == .shownSignal {
                var info = [UInt8](repeating: 0, count: 128)
                info.withUnsafeMutableBytes { p in
                    p.storeBytes(of: stop.signal, toByteOffset: 0, as: Int32.self)
                    p.storeBytes(of: task.process.tgid, toByteOffset: 16, as: Int32.self)  // si_pid; si_code SI_USER
                    p.storeBytes(of: getuid(), toByteOffset: 20, as: UInt32.self)
                }
                return put(memory, data, &info, 128)
            }
            return bufferOut(memory, data, 128) { pico_ptrace_raw(request, tid, 0, $0) }
        case Ptrace.setSigInfo:
            if stop.kind == .shownSignal { return 0 }
            return bufferIn(memory, data, 128) { pico_ptrace_raw(request, tid, 0, $0) }
        case Ptrace.getEventMsg:
            var msg = UInt64(t.eventMessage)
            return put(memory, data, &msg, 8)
        case Ptrace.setOptions:
            guard UInt(data) & ~Ptrace.optionMask == 0 else { return -Int64(EINVAL) }
            t.options = UInt(data)
            applyRealOptions(task)
            return 0
        case Ptrace.getSigMask:
            guard addr == 8 else { return -Int64(EINVAL) }
            return bufferOut(memory, data, 8) { pico_ptrace_raw(request, tid, 8, $0) }
        case Ptrace.setSigMask:
            guard addr == 8 else { return -Int64(EINVAL) }
            return bufferIn(memory, data, 8) { pico_ptrace_raw(request, tid, 8, $0) }
        case Ptrace.getRegSet, Ptrace.setRegSet:
            return regSet(memory, request: request, tid: tid, type: addr, iovecAddress: data)
        case Ptrace.peekSigInfo:
            return peekSigInfo(memory, tid: tid, argsAddress: addr, buffer: data)
        case Ptrace.getSyscallInfo:
            return syscallInfo(memory, task: task, stop: stop, size: addr, buffer: data)
        case Ptrace.seccompGetFilter:
            // The guest's own filters, 0 the newest; picorun's is not one.
            let chain = supervisor.guestSeccomp.chain(tid)
            guard !chain.isEmpty else { return -Int64(EINVAL) }
            guard addr < UInt64(chain.count) else { return -Int64(ENOENT) }
            let program = chain[chain.count - 1 - Int(addr)]
            guard data != 0 else { return Int64(program.code.count) }
            var bytes = program.code.flatMap { i in
                withUnsafeBytes(of: i) { Array($0) }
            }
            let r = put(memory, data, &bytes, bytes.count)
            return r < 0 ? r : Int64(program.code.count)
        default:
            return -Int64(EIO)
        }
    }

    /// Copies `count` bytes of `value` to the tracer at `address`: 0, or -EFAULT.
    func put<T>(_ memory: Tracee, _ address: UInt64, _ value: inout T, _ count: Int) -> Int64 {
        let ok = withUnsafeBytes(of: &value) { p in
            (try? memory.write(at: address, from: UnsafeRawBufferPointer(rebasing: p[0..<min(count, p.count)]))) != nil
        }
        return ok ? 0 : -Int64(EFAULT)
    }

    func put(_ memory: Tracee, _ address: UInt64, _ bytes: inout [UInt8], _ count: Int) -> Int64 {
        let ok = bytes.withUnsafeBytes { p in
            (try? memory.write(at: address, from: UnsafeRawBufferPointer(rebasing: p[0..<min(count, p.count)]))) != nil
        }
        return ok ? 0 : -Int64(EFAULT)
    }

    /// A real request that fills a buffer of `size`, copied to the tracer.
    func bufferOut(_ memory: Tracee, _ address: UInt64, _ size: Int, _ call: (UInt) -> Int) -> Int64 {
        var buffer = [UInt8](repeating: 0, count: size)
        let r = buffer.withUnsafeMutableBytes { call(UInt(bitPattern: $0.baseAddress)) }
        guard r >= 0 else { return Int64(r) }
        let copied = put(memory, address, &buffer, size)
        return copied < 0 ? copied : Int64(r)
    }

    /// A real request that reads a buffer of `size` taken from the tracer.
    func bufferIn(_ memory: Tracee, _ address: UInt64, _ size: Int, _ call: (UInt) -> Int) -> Int64 {
        guard let bytes = try? memory.readBytes(at: address, count: size) else { return -Int64(EFAULT) }
        var buffer = bytes
        return Int64(buffer.withUnsafeMutableBytes { call(UInt(bitPattern: $0.baseAddress)) })
    }

    /// PTRACE_GETREGSET/SETREGSET: the iovec names a buffer in the tracer;
    /// GETREGSET shortens its length to what the register set holds.
    func regSet(_ memory: Tracee, request: Int32, tid: pid_t, type: UInt64, iovecAddress: UInt64) -> Int64 {
        guard let base = try? memory.readWord(at: iovecAddress), let length = try? memory.readWord(at: iovecAddress + 8) else {
            return -Int64(EFAULT)
        }
        let size = Int(min(length, 1 << 16))
        var buffer = [UInt8](repeating: 0, count: size)
        if request == Ptrace.setRegSet {
            guard let bytes = try? memory.readBytes(at: base, count: size) else { return -Int64(EFAULT) }
            buffer = bytes
        }
        var got = 0
        let r = buffer.withUnsafeMutableBytes { p -> Int in
            var iov = iovec(iov_base: p.baseAddress, iov_len: size)
            let r = withUnsafeMutablePointer(to: &iov) { pico_ptrace_raw(request, tid, UInt(type), UInt(bitPattern: $0)) }
            got = iov.iov_len
            return r
        }
        guard r >= 0 else { return Int64(r) }
        guard request == Ptrace.getRegSet else { return 0 }
        var newLength = UInt64(got)
        if put(memory, base, &buffer, got) < 0 || put(memory, iovecAddress + 8, &newLength, 8) < 0 { return -Int64(EFAULT) }
        return 0
    }

    /// PTRACE_PEEKSIGINFO: struct ptrace_peeksiginfo_args {u64 off; u32 flags; s32 nr}.
    func peekSigInfo(_ memory: Tracee, tid: pid_t, argsAddress: UInt64, buffer: UInt64) -> Int64 {
        guard let raw = try? memory.readBytes(at: argsAddress, count: 16) else { return -Int64(EFAULT) }
        var args = raw
        let nr = Int(raw.withUnsafeBytes { $0.load(fromByteOffset: 12, as: Int32.self) })
        guard nr > 0 else { return nr == 0 ? 0 : -Int64(EINVAL) }
        let count = min(nr, 4096)
        args.withUnsafeMutableBytes { $0.storeBytes(of: Int32(count), toByteOffset: 12, as: Int32.self) }
        var out = [UInt8](repeating: 0, count: count * 128)
        let r = args.withUnsafeMutableBytes { a in
            out.withUnsafeMutableBytes { o in
                pico_ptrace_raw(Ptrace.peekSigInfo, tid, UInt(bitPattern: a.baseAddress), UInt(bitPattern: o.baseAddress))
            }
        }
        guard r > 0 else { return Int64(r) }
        return put(memory, buffer, &out, r * 128) < 0 ? -Int64(EFAULT) : Int64(r)
    }

    /// PTRACE_GET_SYSCALL_INFO: the real answer, but for a stop picorun
    /// shows without a real one of its kind (then: no syscall, op 0).
    func syscallInfo(_ memory: Tracee, task: GuestTask, stop: TracerStop, size: UInt64, buffer: UInt64) -> Int64 {
        var info = pico_syscall_info()
        let full = MemoryLayout<pico_syscall_info>.size
        var r: Int
        if stop.kind == .shownSignal || stop.kicked, let regs = try? task.tracee.registers() {
            info.arch = SeccompFilter.auditArchX86_64
            info.instruction_pointer = regs.rip
            info.stack_pointer = regs.rsp
            r = 24
            // A kicked call's stops stand for a seccomp stop and an exit
            // stop; the real one is a signal's.
            if stop.kicked && stop.kind == .event {
                info.op = 3  // PTRACE_SYSCALL_INFO_SECCOMP
                info.seccomp.nr = regs.orig_rax
                info.seccomp.args = (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9)
                info.seccomp.ret_data = UInt32(task.traced?.eventMessage ?? 0)
                r = 84
            } else if stop.kicked {
                info.op = 2  // PTRACE_SYSCALL_INFO_EXIT
                info.exit.rval = Int64(bitPattern: regs.rax)
                info.exit.is_error = Int64(bitPattern: regs.rax) < 0 && Int64(bitPattern: regs.rax) >= -4095 ? 1 : 0
                r = 33
            }
        } else {
            r = withUnsafeMutablePointer(to: &info) { pico_ptrace_raw(Ptrace.getSyscallInfo, task.tid, UInt(full), UInt(bitPattern: $0)) }
            guard r >= 0 else { return Int64(r) }
        }
        let copied = put(memory, buffer, &info, min(Int(min(size, UInt64(full))), r))
        return copied < 0 ? copied : Int64(r)
    }
}
