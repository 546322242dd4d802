// ksleuth-tracegen: writes a large, realistic ftrace text trace for benchmarks.
//
//   ksleuth-tracegen --size 1G --flags 5 > big.trace
//
// The mix imitates a busy machine recorded with sched events, the function tracer and waitqueue/dcache kprobes
// (as the lab's 6.1 captures show them): ~45% sched_*, ~35% function, ~15% kprobe/kretprobe, a few stack blocks
// and markers. Deterministic (fixed seed) so benchmark runs compare like with like.
#if canImport(Glibc)
import Glibc
#endif

var size: Int64 = 1 << 30
var flags = 5
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--size":
        let v = args.popFirst() ?? "1G"
        let mult: Int64 = v.hasSuffix("G") ? 1 << 30 : v.hasSuffix("M") ? 1 << 20 : v.hasSuffix("K") ? 1 << 10 : 1
        size = (Int64(v.filter(\.isNumber)) ?? 1) * mult
    case "--flags": flags = Int(args.popFirst() ?? "5") ?? 5
    default:
        let usage = "usage: ksleuth-tracegen [--size N[K|M|G]] [--flags 4|5]\n"
        _ = usage.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
}

struct Rng {
    var s: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> UInt64 {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return s
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

let comms = ["kworker/u16:3", "systemd-journal", "tmux: server", "Chrome_IOThread", "kswapd0", "rcu_preempt",
             "bash", "sshd", "postgres", "java", "nginx", "irq/363-ARM64 s", "AsyncTask #1", "ksoftirqd/1", "dd",
             "find", "ls"]
let funcs = [("__schedule", "schedule"), ("do_nanosleep", "hrtimer_nanosleep"), ("_raw_spin_lock", "try_to_wake_up"),
             ("ktime_get", "tick_sched_timer"), ("vfs_read", "ksys_read"), ("filemap_fault", "__do_fault"),
             ("d_alloc_parallel", "__lookup_slow"), ("__wake_up_common", "__wake_up"), ("rcu_note_context_switch", "__schedule")]
let flagSets4 = ["d..2", "....", "d..3", "dNh2", "..s1", "d.h1", "...1"]
let flagSets5 = ["d..2.", ".....", "d..3.", "dNh2.", "..s1.", "d.h1.", "...1.", "d..21"]
let cpus = 8
var rng = Rng()
var out = [UInt8]()
out.reserveCapacity(1 << 21)
var written: Int64 = 0
var t: Int64 = 12_000_000_000  // µs

@MainActor func flush() {
    out.withUnsafeBytes { b in
        var off = 0
        while off < b.count {
            let r = write(1, b.baseAddress! + off, b.count - off)
            if r <= 0 { exit(1) }
            off += r
        }
    }
    written += Int64(out.count)
    out.removeAll(keepingCapacity: true)
}

@MainActor func emit(_ s: String) { out.append(contentsOf: s.utf8) }

let legend = flags == 5
    ? "#                                _-----=> irqs-off/BH-disabled\n#                               / _----=> need-resched\n#                              | / _---=> hardirq/softirq\n#                              || / _--=> preempt-depth\n#                              ||| / _-=> migrate-disable\n#                              |||| /     delay\n#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n#              | |         |   |||||     |         |\n"
    : "#                              _-----=> irqs-off\n#                             / _----=> need-resched\n#                            | / _---=> hardirq/softirq\n#                            || / _--=> preempt-depth\n#                            ||| /     delay\n#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION\n#              | |       |   ||||       |         |\n"
emit("# tracer: function\n#\n# entries-in-buffer/entries-written: 0/0   #P:\(cpus)\n#\n" + legend)

func rpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
func pid(_ c: Int) -> Int { 100 + c * 37 }

while written + Int64(out.count) < size {
    t += Int64(1 + rng.below(40))
    let c = rng.below(comms.count)
    let cpu = rng.below(cpus)
    let fl = flags == 5 ? flagSets5[rng.below(flagSets5.count)] : flagSets4[rng.below(flagSets4.count)]
    let ts = "\(t / 1_000_000).\(String(t % 1_000_000).leftPad6)"
    let task: String = pad(comms[c], 16) + "-" + rpad(String(pid(c)), flags == 5 ? 7 : 5)
    let cpuText: String = " [00\(cpu)] "
    let prefix: String = task + cpuText + fl + " " + pad(ts, 12) + ": "
    let roll = rng.below(100)
    switch roll {
    case 0..<20:
        let n = rng.below(comms.count)
        let st = ["S", "D", "R+", "R", "I"][rng.below(5)]
        emit(prefix + "sched_switch: prev_comm=\(comms[c]) prev_pid=\(pid(c)) prev_prio=120 prev_state=\(st) ==> next_comm=\(comms[n]) next_pid=\(pid(n)) next_prio=120\n")
        if rng.below(50) == 0 {
            let frames = " => trace_event_raw_event_sched_switch\n => __traceiter_sched_switch\n => __schedule\n => schedule\n => io_schedule\n => folio_wait_bit_common\n => filemap_fault\n"
            emit(prefix + "<stack trace>\n" + frames)
        }
    case 20..<32:
        let n = rng.below(comms.count)
        emit(prefix + "sched_waking: comm=\(comms[n]) pid=\(pid(n)) prio=120 target_cpu=00\(rng.below(cpus))\n")
    case 32..<44:
        let n = rng.below(comms.count)
        emit(prefix + "sched_wakeup: comm=\(comms[n]) pid=\(pid(n)) prio=120 target_cpu=00\(rng.below(cpus))\n")
    case 44..<80:
        let f = funcs[rng.below(funcs.count)]
        emit(prefix + "\(f.0) <-\(f.1)\n")
    case 80..<88:
        emit(prefix + "wakeup: (__wake_up+0x0/0x10) wq_head=0xff86e5e7809\(String(rng.below(100000), radix: 16)) mode=0x3 nr_exclusive=0x1 key=0x0\n")
    case 88..<94:
        emit(prefix + "dsplice: (d_splice_alias+0x0/0x2a0) inode=0xff3cfacac144bd78 dentry=0xff3cfacac25\(String(rng.below(100000), radix: 16)) name=\"f\(rng.below(1000))\" ino=\(rng.below(100000))\n")
    case 94..<98:
        emit(prefix + "ttwu_ret: (__kthread_create_on_node+0xdf/0x1e0 <- try_to_wake_up) woken=0x\(rng.below(2))\n")
    default:
        emit(prefix + "tracing_mark_write: B|\(pid(c))|frame \(rng.below(10000))\n")
    }
    if out.count >= 1 << 20 { flush() }
}
flush()

extension String {
    var leftPad6: String { count >= 6 ? self : String(repeating: "0", count: 6 - count) + self }
}
