#!/usr/bin/env python3
"""Writes the hand-made fixtures under Fixtures/traces/ (the lab captures there are real and not made here).

Each fixture imitates the exact tracefs text of one kernel era (header comment names it) and carries healthy
background activity (timer wakes, kworkers, shells) around the scenario of one seed report. Deterministic:
re-running rewrites identical files. Usage: python3 scripts/make-fixtures.py (from the package root).
"""
import os
import random

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fixtures", "traces")


class Trace:
    def __init__(self, era_comment, flags=4, pidw=5, cpus=4, seed=1):
        self.era = era_comment
        self.flags = flags
        self.pidw = pidw
        self.cpus = cpus
        self.rows = []  # (ts_us, seq, text)
        self.seq = 0
        self.rng = random.Random(seed)
        self.running = {c: ("swapper/%d" % c, 0) for c in range(cpus)}

    def ev(self, t_us, comm, pid, cpu, name, payload, flags=None, stack=None):
        f = flags or ("d..2" if self.flags == 4 else "d..2.")
        if self.flags == 4 and len(f) == 5:
            f = f[:4]
        if self.flags == 5 and len(f) == 4:
            f = f + "."
        shown = "<idle>" if pid == 0 else comm
        sec, us = divmod(int(t_us), 1_000_000)
        line = "%16s-%-*d [%03d] %s %5d.%06d: %s: %s" % (shown, self.pidw, pid, cpu, f, sec, us, name, payload)
        self.seq += 1
        self.rows.append((t_us, self.seq, line))
        if stack:
            self.seq += 1
            st = "%16s-%-*d [%03d] %s %5d.%06d: <stack trace>" % (shown, self.pidw, pid, cpu, f, sec, us)
            self.rows.append((t_us, self.seq, st + "\n" + "\n".join(" => " + s for s in stack)))

    def switch(self, t, cpu, prev, prev_pid, state, nxt, nxt_pid, stack=None, prio=120, nprio=120):
        pc = "swapper/%d" % cpu if prev_pid == 0 else prev
        nc = "swapper/%d" % cpu if nxt_pid == 0 else nxt
        self.ev(t, prev, prev_pid, cpu, "sched_switch",
                "prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s ==> next_comm=%s next_pid=%d next_prio=%d"
                % (pc, prev_pid, prio, state, nc, nxt_pid, nprio), stack=stack)

    def wake(self, t, waker, waker_pid, cpu, comm, pid, target_cpu, prio=120):
        self.ev(t, waker, waker_pid, cpu, "sched_waking", "comm=%s pid=%d prio=%d target_cpu=%03d"
                % (comm, pid, prio, target_cpu), flags="d..3")
        self.ev(t + 6, waker, waker_pid, cpu, "sched_wakeup", "comm=%s pid=%d prio=%d target_cpu=%03d"
                % (comm, pid, prio, target_cpu), flags="d..4")

    def background(self, start_us, end_us, step_us=4000, tasks=None):
        """Healthy activity: idle CPUs wake a task, it runs briefly and sleeps again (S), timers fire."""
        tasks = tasks or [("rcu_sched", 10), ("kworker/0:1", 17), ("systemd-journal", 312), ("sshd", 1021),
                          ("irqbalance", 640), ("kworker/1:2", 95), ("khugepaged", 41), ("bash", 1402)]
        t = start_us
        while t < end_us:
            cpu = self.rng.randrange(self.cpus)
            comm, pid = tasks[self.rng.randrange(len(tasks))]
            self.wake(t, "swapper/%d" % cpu, 0, cpu, comm, pid, cpu)
            self.switch(t + 15, cpu, "swapper/%d" % cpu, 0, "R", comm, pid)
            run = self.rng.randrange(20, 400)
            state = "I" if comm.startswith("kworker") and self.rng.random() < 0.5 else "S"
            self.switch(t + 15 + run, cpu, comm, pid, state, "swapper/%d" % cpu, 0)
            t += self.rng.randrange(step_us // 2, step_us * 3 // 2)

    def header(self):
        n = sum(1 for r in self.rows)
        if self.flags == 4:
            cols = ["#                              _-----=> irqs-off",
                    "#                             / _----=> need-resched",
                    "#                            | / _---=> hardirq/softirq",
                    "#                            || / _--=> preempt-depth",
                    "#                            ||| /     delay",
                    "#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION",
                    "#              | |       |   ||||       |         |"]
        else:
            cols = ["#                                _-----=> irqs-off/BH-disabled",
                    "#                               / _----=> need-resched",
                    "#                              | / _---=> hardirq/softirq",
                    "#                              || / _--=> preempt-depth",
                    "#                              ||| / _-=> migrate-disable",
                    "#                              |||| /     delay",
                    "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
                    "#              | |         |   |||||     |         |"]
        return ["# " + self.era, "# tracer: nop", "#",
                "# entries-in-buffer/entries-written: %d/%d   #P:%d" % (n, n, self.cpus), "#"] + cols

    def write(self, rel):
        rows = sorted(self.rows, key=lambda r: (r[0], r[1]))
        path = os.path.join(ROOT, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("\n".join(self.header() + [r[2] for r in rows]) + "\n")


S = 1_000_000  # µs per second

XFS_STACK = ["schedule", "xlog_state_get_iclog_space", "xlog_write", "xlog_cil_push", "xlog_cil_push_work",
             "process_one_work", "worker_thread", "kthread", "ret_from_fork"]


def stall(trigger):
    era = ("ksleuth fixture (hand-made): imitates Linux 5.4 tracefs text (4 flag columns, 5-wide pids); kprobes "
           "awqx=add_wait_queue_exclusive wq_head=%di wq_entry=%si, ptw=prepare_to_wait wq_head=%di wq_entry=%si "
           "state=%dx, wake=__wake_up wq_head=%di mode=%si nr_exclusive=%dx; sched events; stacktrace trigger on D "
           "switch-outs. Scenario: " + ("XFS log I/O never completes: a CIL push worker waits on l_flush_wait, "
                                         "nobody ever wakes it, the hung-task watchdog fires (seed 004's look-alike)."
                                         if trigger else
                                         "healthy: a shell asleep on its tty queue until the end, a writer in D "
                                         "woken after 3 s, idle kworkers."))
    tr = Trace(era, seed=4 if trigger else 5)
    end = 140 * S if trigger else 70 * S
    tr.background(8 * S - 200_000, end, step_us=600_000)
    t0 = 10 * S + 500_000
    if trigger:
        q = "0xffff9b5c3a6f2a28"
        # an earlier, healthy round: the log I/O completion work wakes the same queue
        tr.ev(t0 - 2 * S, "kworker/u16:2", 2211, 1, "awqx", "(add_wait_queue_exclusive+0x0/0x60) wq_head=%s "
              "wq_entry=0xffffb3a1c0d4bd90" % q, flags="....")
        tr.switch(t0 - 2 * S + 40, 1, "kworker/u16:2", 2211, "D", "swapper/1", 0, stack=XFS_STACK)
        tr.ev(t0 - 2 * S + 900, "kworker/1:1H", 233, 1, "wake", "(__wake_up+0x0/0x20) wq_head=%s mode=0x3 "
              "nr_exclusive=0x1" % q, flags="....")
        tr.wake(t0 - 2 * S + 905, "kworker/1:1H", 233, 1, "kworker/u16:2", 2211, 1)
        tr.switch(t0 - 2 * S + 960, 1, "kworker/1:1H", 233, "I", "kworker/u16:2", 2211)
        tr.switch(t0 - 2 * S + 3000, 1, "kworker/u16:2", 2211, "S", "swapper/1", 0)
        tr.wake(t0 - 400, "swapper/1", 0, 1, "kworker/u16:2", 2211, 1)
        tr.switch(t0 - 350, 1, "swapper/1", 0, "R", "kworker/u16:2", 2211)
        tr.ev(t0 - 300, "kworker/u16:2", 2211, 1, "block_rq_issue", "253,0 WS 0 () 20971648 + 64 [kworker/u16:2]",
              flags="....")
        tr.ev(t0, "kworker/u16:2", 2211, 1, "awqx", "(add_wait_queue_exclusive+0x0/0x60) wq_head=%s "
              "wq_entry=0xffffb3a1c0d4bd90" % q, flags="....")
        tr.switch(t0 + 40, 1, "kworker/u16:2", 2211, "D", "swapper/1", 0, stack=XFS_STACK)
        # other queues keep being woken: the log's queue never is
        for i in range(20):
            tt = t0 + 2 * S + i * 6 * S
            tr.ev(tt, "xfsaild/dm-0", 1877, 2, "wake", "(__wake_up+0x0/0x20) wq_head=0xffff9b5c3b001238 mode=0x3 "
                  "nr_exclusive=0x1", flags="....")
        tr.ev(t0 + 122_900_000, "khungtaskd", 58, 0, "sched_process_hang", "comm=kworker/u16:2 pid=2211",
              flags="....")
    else:
        q = "0xffff9b5c07e3c0a0"
        tr.ev(t0, "bash", 1500, 2, "ptw", "(prepare_to_wait+0x0/0xa0) wq_head=%s wq_entry=0xffffb3a1c1f7bd60 "
              "state=0x1" % q, flags="....")
        tr.switch(t0 + 30, 2, "bash", 1500, "S", "swapper/2", 0)
        q2 = "0xffff9b5c3a6f2a28"
        tr.ev(t0 + S, "dd", 1600, 3, "awqx", "(add_wait_queue_exclusive+0x0/0x60) wq_head=%s "
              "wq_entry=0xffffb3a1c0e1fd90" % q2, flags="....")
        tr.switch(t0 + S + 40, 3, "dd", 1600, "D", "swapper/3", 0, stack=XFS_STACK[:3] + ["xfs_file_buffered_write"])
        tr.ev(t0 + 4 * S, "kworker/3:1H", 233, 3, "wake", "(__wake_up+0x0/0x20) wq_head=%s mode=0x3 "
              "nr_exclusive=0x1" % q2, flags="....")
        tr.wake(t0 + 4 * S + 5, "kworker/3:1H", 233, 3, "dd", 1600, 3)
        tr.switch(t0 + 4 * S + 60, 3, "kworker/3:1H", 233, "I", "dd", 1600)
        tr.switch(t0 + 4 * S + 500, 3, "dd", 1600, "S", "swapper/3", 0)
    tr.write("stall/" + ("stall-iclog-5.4.trace" if trigger else "asleep-at-end-5.4.trace"))


def hung(trigger):
    era = ("ksleuth fixture (hand-made): imitates Linux 5.10 tracefs text (4 flag columns, 7-wide pids), sched "
           "events only, stacktrace trigger on D switch-outs. Scenario: " +
           ("mount.nfs blocks in D at 50 s and is never woken; the trace runs 210 s past it (no waitqueue probes, "
            "so only the hung-task rule can say anything)." if trigger else
            "healthy: a daemon asleep in S for 210 s, an idle kworker (I) for 200 s, a D sleep of 3 s that is woken, "
            "a task that exits (X)."))
    tr = Trace(era, pidw=7, seed=10 if trigger else 11)
    tr.background(49 * S, 260 * S, step_us=900_000)
    if trigger:
        tr.switch(50 * S + 1200, 2, "mount.nfs", 3021, "D", "swapper/2", 0,
                  stack=["schedule", "rpc_wait_bit_killable", "__wait_on_bit", "out_of_line_wait_on_bit",
                         "__rpc_execute", "rpc_run_task", "nfs4_call_sync_sequence", "_nfs4_proc_lookup",
                         "nfs4_proc_lookup_common", "nfs_lookup", "__lookup_slow", "walk_component",
                         "path_lookupat", "filename_lookup", "do_mount", "__x64_sys_mount", "do_syscall_64",
                         "entry_SYSCALL_64_after_hwframe"])
    else:
        tr.switch(50 * S + 1200, 2, "crond", 880, "S", "swapper/2", 0)
        tr.switch(50 * S + 9000, 1, "kworker/1:0", 3300, "I", "swapper/1", 0)
        tr.switch(60 * S, 3, "tar", 3400, "D", "swapper/3", 0, stack=["schedule", "io_schedule", "wait_on_page_bit",
                                                                       "filemap_fdatawait_range"])
        tr.wake(63 * S, "swapper/3", 0, 3, "tar", 3400, 3)
        tr.switch(63 * S + 20, 3, "swapper/3", 0, "R", "tar", 3400)
        tr.ev(63 * S + 400, "tar", 3400, 3, "sched_process_exit", "comm=tar pid=3400 prio=120", flags="....")
        tr.switch(63 * S + 500, 3, "tar", 3400, "X", "swapper/3", 0)
    tr.write("hung-task/" + ("d-sleep-200s-5.10.trace" if trigger else "long-s-sleep-5.10.trace"))


FSCACHE_WAIT_STACK = ["schedule", "bit_wait", "__wait_on_bit", "out_of_line_wait_on_bit",
                      "fscache_wait_for_deferred_lookup", "__fscache_read_or_alloc_page",
                      "__nfs_readpage_from_fscache", "nfs_readpage", "generic_file_buffered_read",
                      "nfs_file_read", "new_sync_read", "vfs_read", "ksys_read", "do_syscall_64",
                      "entry_SYSCALL_64_after_hwframe"]


def fscache_waiter(trigger):
    era = ("ksleuth fixture (hand-made): imitates Linux 4.19 tracefs text (4 flag columns, 5-wide pids; fscache "
           "era 1 tracepoints with %p pointers hashed as in v4.15–v5.11, so c= does not match the kprobe's raw "
           "cookie=); kprobes fwdl=fscache_wait_for_deferred_lookup cookie=%di, wakebit=wake_up_bit word=%di "
           "bit=%si; stacktrace trigger on S switch-outs of the reader. Scenario (seed 000, fix c5a94f43): " +
           ("lookup fails (LCFL), the cookie is re-enabled (LOOKING_UP set again), a reader waits on it, the "
            "object goes to DROP: the reader is never woken." if trigger else
            "the same sequence on a fixed kernel: DROP clears LOOKING_UP and wakes the bit, the reader runs."))
    tr = Trace(era, seed=20 if trigger else 21)
    tr.background(2 * S, 9 * S, step_us=60_000)
    c, o = "00000000a3f1c2d4", "0000000077e6b0a1"
    t = 3 * S
    tr.ev(t, "mount.nfs", 2100, 0, "fscache_acquire", "c=%s p=000000005e2b11c0 pu=3 pc=2 pf=22 n=NFS.fh" % c,
          flags="....")
    tr.ev(t + 40, "mount.nfs", 2100, 0, "fscache_cookie", "GET prn c=%s u=1 p=000000005e2b11c0 Nc=0 Na=1 f=23" % c,
          flags="....")
    tr.ev(t + 90, "kworker/u8:1", 77, 1, "fscache_osm", "c=%s o=%s INIT WORK ev=0" % (c, o), flags="....")
    tr.ev(t + 160, "kworker/u8:1", 77, 1, "fscache_osm", "c=%s o=%s LOOK WORK ev=0" % (c, o), flags="....")
    tr.ev(t + 900, "kworker/u8:1", 77, 1, "fscache_osm", "c=%s o=%s LCFL WORK ev=2" % (c, o), flags="....")
    tr.ev(t + 950, "kworker/u8:1", 77, 1, "fscache_cookie", "PUT obj c=%s u=1 p=000000005e2b11c0 Nc=0 Na=1 f=22" % c,
          flags="....")
    tr.ev(t + 1400, "nfs4_reclaim", 2150, 2, "fscache_enable", "c=%s u=1 Nc=0 Na=1 f=21" % c, flags="....")
    tr.ev(t + 1700, "cat", 2211, 3, "fwdl", "(fscache_wait_for_deferred_lookup+0x0/0x80) "
          "cookie=0xffff8f0a3c1e2d80", flags="....")
    tr.ev(t + 1705, "cat", 2211, 3, "waitbit", "(out_of_line_wait_on_bit+0x0/0x90) word=0xffff8f0a3c1e2dc8 "
          "bit=0x0 mode=0x1", flags="....")
    tr.switch(t + 1730, 3, "cat", 2211, "S", "swapper/3", 0, stack=FSCACHE_WAIT_STACK)
    tr.ev(t + 2100, "kworker/u8:1", 77, 1, "fscache_osm", "c=%s o=%s DROP WORK ev=0" % (c, o), flags="....")
    if not trigger:
        tr.ev(t + 2130, "kworker/u8:1", 77, 1, "wakebit", "(wake_up_bit+0x0/0x40) word=0xffff8f0a3c1e2dc8 bit=0x0",
              flags="....")
        tr.wake(t + 2140, "kworker/u8:1", 77, 1, "cat", 2211, 3)
        tr.switch(t + 2200, 3, "swapper/3", 0, "R", "cat", 2211)
        tr.switch(t + 2600, 3, "cat", 2211, "R+", "swapper/3", 0)
        tr.switch(t + 2700, 3, "swapper/3", 0, "R", "cat", 2211)
        tr.ev(t + 2800, "cat", 2211, 3, "sched_process_exit", "comm=cat pid=2211 prio=120", flags="....")
        tr.switch(t + 2900, 3, "cat", 2211, "X", "swapper/3", 0)
    tr.ev(t + 2300, "kworker/u8:1", 77, 1, "fscache_osm", "c=%s o=%s DEAD WORK ev=0" % (c, o), flags="....")
    # an unrelated cookie does a normal lookup meanwhile
    c2, o2 = "00000000c0b1a2f3", "000000001d2e3f40"
    tr.ev(t + 3000, "kworker/u8:0", 76, 0, "fscache_osm", "c=%s o=%s LOOK WORK ev=0" % (c2, o2), flags="....")
    tr.ev(t + 3400, "kworker/u8:0", 76, 0, "fscache_osm", "c=%s o=%s AVBL WORK ev=0" % (c2, o2), flags="....")
    tr.write("fscache-waiter-empty-backing/" + ("lcfl-enable-drop-4.19.trace" if trigger
                                                else "drop-wakes-fixed-4.19.trace"))


def relinquish(trigger):
    era = ("ksleuth fixture (hand-made): imitates Linux 4.19 tracepoint text (fscache era 1, 4 flag columns, "
           "hashed %p) for the seed-001 race, which predates fscache tracepoints (RHEL-6 era, slow-work): the same "
           "invalidate-vs-relinquish order as era-1 events. Scenario: " +
           ("invalidation pending on the object, the netfs relinquishes the cookie (Na=0: nothing waits), the "
            "object's INVL step runs afterwards with c=0 and oopses in fscache_invalidate_writes." if trigger else
            "fixed kernel (1362729b169b): relinquish sees Na=1 and waits; the INVL step completes; "
            "fscache_wake_cookie lets the teardown proceed (KILL/DROP/DEAD)."))
    tr = Trace(era, seed=30 if trigger else 31)
    tr.background(1 * S, 6 * S, step_us=50_000)
    c, o = "000000004b7d1e20", "00000000e5a0c931"
    t = 2 * S
    tr.ev(t, "nfs4_reclaim", 2150, 0, "fscache_osm", "c=%s o=%s AVBL WORK ev=0" % (c, o), flags="....")
    tr.ev(t + 200, "rsync", 3180, 1, "fscache_osm", "c=%s o=%s ?CMD WAIT ev=5" % (c, o), flags="....")
    tr.ev(t + 260, "rsync", 3180, 1, "fscache_cookie", "GET obj c=%s u=2 p=000000005e2b11c0 Nc=0 Na=1 f=28" % c,
          flags="....")
    if trigger:
        tr.ev(t + 500, "umount.nfs", 3201, 2, "fscache_relinquish", "c=%s u=2 p=000000005e2b11c0 Nc=0 Na=0 f=38 r=0"
              % c, flags="....")
        tr.ev(t + 560, "umount.nfs", 3201, 2, "fscache_cookie", "PUT rlq c=%s u=1 p=000000005e2b11c0 Nc=0 Na=0 f=38"
              % c, flags="....")
        tr.ev(t + 900, "kworker/u8:2", 78, 3, "fscache_osm", "c=0000000000000000 o=%s INVL WORK ev=4" % o,
              flags="....")
        tr.ev(t + 950, "kworker/u8:2", 78, 3, "console", "BUG: unable to handle kernel NULL pointer dereference at "
              "0000000000000010", flags="d...")
        tr.ev(t + 960, "kworker/u8:2", 78, 3, "console", "RIP: 0010:fscache_invalidate_writes+0x2c/0x170 [fscache]",
              flags="d...")
    else:
        tr.ev(t + 500, "umount.nfs", 3201, 2, "fscache_relinquish", "c=%s u=2 p=000000005e2b11c0 Nc=0 Na=1 f=38 r=0"
              % c, flags="....")
        tr.ev(t + 900, "kworker/u8:2", 78, 3, "fscache_osm", "c=%s o=%s INVL WORK ev=4" % (c, o), flags="....")
        tr.ev(t + 1500, "kworker/u8:2", 78, 3, "fscache_osm", "c=%s o=%s ?CMD WAIT ev=0" % (c, o), flags="....")
        tr.ev(t + 1520, "kworker/u8:2", 78, 3, "fscache_wake_cookie", "c=%s" % c, flags="....")
        tr.ev(t + 1600, "umount.nfs", 3201, 2, "fscache_cookie", "PUT rlq c=%s u=1 p=000000005e2b11c0 Nc=0 Na=0 f=38"
              % c, flags="....")
        tr.ev(t + 1900, "kworker/u8:2", 78, 3, "fscache_osm", "c=%s o=%s KILL WORK ev=3" % (c, o), flags="....")
        tr.ev(t + 2100, "kworker/u8:2", 78, 3, "fscache_osm", "c=%s o=%s DROP WORK ev=0" % (c, o), flags="....")
        tr.ev(t + 2300, "kworker/u8:2", 78, 3, "fscache_osm", "c=%s o=%s DEAD WORK ev=0" % (c, o), flags="....")
    tr.write("use-after-relinquish/" + ("invl-after-relinquish-4.19.trace" if trigger
                                        else "relinquish-waits-active-4.19.trace"))


def locks(trigger):
    ver = "5.15" if trigger else "5.16"
    era = ("ksleuth fixture (hand-made): imitates Linux %s tracefs text (5 flag columns, 7-wide pids), CONFIG_LOCKDEP "
           "lock_acquire/lock_release and netfs (v5.13–v5.16 format) + cachefiles tracepoints, filtered to the locks "
           "of seed 002. Scenario: " % ver +
           ("netfs_readpage copies to the cache synchronously (cachefiles_write takes sb_writers under "
            "mapping.invalidate_lock), removexattr takes mmap_lock under sb_writers, a page fault takes "
            "invalidate_lock under mmap_lock: the cycle lockdep reported." if trigger else
            "fixed kernel (598ad0bd0932): the copy to the cache is punted to a kworker, which takes sb_writers "
            "holding nothing; the same fault and removexattr paths run."))
    tr = Trace(era, flags=5, pidw=7, seed=40 if trigger else 41)
    tr.background(1 * S, 3 * S, step_us=25_000)
    mm, sbw, inv = "ffff8881595b53e8", "ffff888112c0e4a8", "ffff88810c81d730"
    t = 1 * S + 300_000
    # removexattr: sb_writers -> mmap_lock
    tr.ev(t, "attr", 65510, 0, "lock_acquire", "%s read sb_writers#10" % sbw, flags="....")
    tr.ev(t + 30, "attr", 65510, 0, "lock_acquire", "%s read &mm->mmap_lock#2" % mm, flags="....")
    tr.ev(t + 60, "attr", 65510, 0, "lock_release", "%s &mm->mmap_lock#2" % mm, flags="....")
    tr.ev(t + 90, "attr", 65510, 0, "lock_release", "%s sb_writers#10" % sbw, flags="....")
    # read(): invalidate_lock held while netfs reads the page and (buggy) writes it to the cache
    t += 200_000
    tr.ev(t, "holetest", 65517, 1, "lock_acquire", "%s read mapping.invalidate_lock#3" % inv, flags="....")
    tr.ev(t + 20, "holetest", 65517, 1, "netfs_read", "R=0000002a READPAGE c=00000007 s=0 1000", flags="....")
    tr.ev(t + 40, "holetest", 65517, 1, "netfs_sreq", "R=0000002a[0] PREP DOWN f=00 s=0 0/1000 e=0", flags="....")
    tr.ev(t + 400, "kworker/u8:3", 221, 2, "netfs_sreq", "R=0000002a[0] TERM DOWN f=02 s=0 1000/1000 e=0",
          flags="....")
    tr.ev(t + 420, "kworker/u8:3", 221, 2, "netfs_rreq", "R=0000002a ASSESS f=02", flags="....")
    writer, wpid, wcpu = ("holetest", 65517, 1) if trigger else ("kworker/u8:3", 221, 2)
    tt = t + 460
    tr.ev(tt, writer, wpid, wcpu, "netfs_rreq", "R=0000002a WRITE  f=03", flags="....")
    tr.ev(tt + 20, writer, wpid, wcpu, "lock_acquire", "%s read sb_writers#10" % sbw, flags="....")
    tr.ev(tt + 300, writer, wpid, wcpu, "lock_release", "%s sb_writers#10" % sbw, flags="....")
    tr.ev(t + 800, "holetest", 65517, 1, "netfs_rreq", "R=0000002a UNLOCK f=03", flags="....")
    tr.ev(t + 820, "holetest", 65517, 1, "lock_release", "%s mapping.invalidate_lock#3" % inv, flags="....")
    # page fault: mmap_lock -> invalidate_lock
    t += 300_000
    tr.ev(t, "holetest", 65517, 1, "lock_acquire", "%s read &mm->mmap_lock#2" % mm, flags="....")
    tr.ev(t + 30, "holetest", 65517, 1, "lock_acquire", "%s read mapping.invalidate_lock#3" % inv, flags="....")
    tr.ev(t + 80, "holetest", 65517, 1, "lock_release", "%s mapping.invalidate_lock#3" % inv, flags="....")
    tr.ev(t + 90, "holetest", 65517, 1, "lock_release", "%s &mm->mmap_lock#2" % mm, flags="....")
    tr.write("lock-inversion/" + ("netfs-readpage-write-5.15.trace" if trigger else "netfs-write-punted-5.16.trace"))


def nfs_dsplice(trigger):
    era = ("ksleuth fixture (hand-made): imitates Linux 4.7-rc tracefs text (4 flag columns, 5-wide pids) with "
           "kprobes nfs_aopen=nfs_atomic_open dir=%di dentry=%si flags=%cx, dsplice=d_splice_alias inode=%di "
           "dentry=%si, r:dsplice_ret, ddrop=__d_drop dentry=%di, and printk:console. Scenario (seed 003): " +
           ("three `ls` race atomic_open on one negative dentry; two splice it with no d_drop between and the "
            "second hits kernel BUG at fs/dcache.c." if trigger else
            "the near miss: the second opener's __d_drop lands after the first splice (unhashed again), and a "
            "third pair splices different dentries."))
    tr = Trace(era, seed=50 if trigger else 51)
    tr.background(5 * S, 6 * S, step_us=15_000)
    d, dir_ = "0xffff88003d9a6cc0", "0xffff88003e1f2a80"
    t = 5 * S + 400_000
    for i, (pid, cpu) in enumerate([(4120, 0), (4121, 1), (4122, 2)]):
        tr.ev(t + i * 15, "ls", pid, cpu, "nfs_aopen", "(nfs_atomic_open+0x0/0x3c0) dir=%s dentry=%s flags=0x8800"
              % (dir_, d), flags="....")
    tr.ev(t + 300, "ls", 4120, 0, "dsplice", "(d_splice_alias+0x0/0x2c0) inode=0xffff88003a7b5e38 dentry=%s" % d,
          flags="....")
    tr.ev(t + 340, "ls", 4120, 0, "dsplice_ret", "(nfs_lookup+0x1b1/0x2c0 <- d_splice_alias) ret=0x0", flags="....")
    if not trigger:
        tr.ev(t + 360, "ls", 4121, 1, "ddrop", "(__d_drop+0x0/0x70) dentry=%s" % d, flags="....")
    tr.ev(t + 420, "ls", 4121, 1, "dsplice", "(d_splice_alias+0x0/0x2c0) inode=0xffff88003a7b5e38 dentry=%s" % d,
          flags="....")
    if trigger:
        tr.ev(t + 470, "ls", 4121, 1, "console", "------------[ cut here ]------------", flags="d...")
        tr.ev(t + 480, "ls", 4121, 1, "console", "kernel BUG at fs/dcache.c:2989!", flags="d...")
        tr.ev(t + 490, "ls", 4121, 1, "console", "invalid opcode: 0000 [#1] SMP", flags="d...")
    else:
        tr.ev(t + 460, "ls", 4121, 1, "dsplice_ret", "(nfs_lookup+0x1b1/0x2c0 <- d_splice_alias) ret=0x0",
              flags="....")
        d2, d3 = "0xffff88003d9a7e40", "0xffff88003d9a8f00"
        tr.ev(t + 900, "ls", 4122, 2, "dsplice", "(d_splice_alias+0x0/0x2c0) inode=0xffff88003a7b6f10 dentry=%s" % d2,
              flags="....")
        tr.ev(t + 950, "ls", 4122, 2, "dsplice_ret", "(nfs_lookup+0x1b1/0x2c0 <- d_splice_alias) ret=0x0",
              flags="....")
        tr.ev(t + 990, "ls", 4120, 0, "dsplice", "(d_splice_alias+0x0/0x2c0) inode=0xffff88003a7b7a28 dentry=%s" % d3,
              flags="....")
        tr.ev(t + 1020, "ls", 4120, 0, "dsplice_ret", "(nfs_lookup+0x1b1/0x2c0 <- d_splice_alias) ret=0x0",
              flags="....")
    tr.write("double-d-splice/" + ("nfs-atomic-open-4.7.trace" if trigger else "nfs-atomic-open-dropped-4.7.trace"))


def recheck_loops():
    era = ("ksleuth fixture (hand-made): imitates Linux 5.15 tracefs text (5 flag columns, 7-wide pids); kprobes "
           "ptw=prepare_to_wait wq_head=%di wq_entry=%si state=%dx, finish_wait wq_head=%di wq_entry=%si, "
           "wakeup=__wake_up wq_head=%di mode=%si nr_exclusive=%dx, ttwu=try_to_wake_up p=%di state=%si "
           "pid=+OFF(%di):s32 p_state=+24(%di):x32, r:ttwu_ret woken=$retval. Scenario: healthy look-alikes of a "
           "lost wake-up: a pipe reader is woken on an empty queue while busy, queues itself, finds data "
           "(finish_wait), reads and sleeps again in S until the end; a kthread gets a try_to_wake_up that returns "
           "0 while it runs, finds its work, then idles in S for 5 s until the end.")
    tr = Trace(era, flags=5, pidw=7, seed=60)
    tr.background(1 * S, 8 * S, step_us=50_000)
    q = "0xffff8f1a0c3e6a10"
    t = 2 * S
    tr.wake(t - 2000, "swapper/1", 0, 1, "cat", 2300, 1)
    tr.switch(t - 1900, 1, "swapper/1", 0, "R", "cat", 2300)
    tr.ev(t + 100, "writer", 2301, 0, "wakeup", "(__wake_up+0x0/0x20) wq_head=%s mode=0x1 nr_exclusive=0x1 key=0x0" % q,
          flags=".....")
    tr.ev(t + 200, "cat", 2300, 1, "ptw", "(prepare_to_wait+0x0/0xa0) wq_head=%s wq_entry=0xffffa6e1c07dfd98 "
          "state=0x1" % q, flags=".....")
    tr.ev(t + 220, "cat", 2300, 1, "finish_wait", "(finish_wait+0x0/0x80) wq_head=%s wq_entry=0xffffa6e1c07dfd98" % q,
          flags=".....")
    tr.ev(t + 900, "cat", 2300, 1, "ptw", "(prepare_to_wait+0x0/0xa0) wq_head=%s wq_entry=0xffffa6e1c07dfd98 "
          "state=0x1" % q, flags=".....")
    tr.switch(t + 950, 1, "cat", 2300, "S", "swapper/1", 0)
    # the kthread
    tr.wake(t + 10_000, "swapper/2", 0, 2, "mykthread", 2400, 2)
    tr.switch(t + 10_050, 2, "swapper/2", 0, "R", "mykthread", 2400)
    tr.ev(t + 10_300, "irq/5-eth0", 2401, 3, "ttwu", "(try_to_wake_up+0x0/0x5c0) p=0xffff8f1a0d2b8000 state=0x3 "
          "wake_flags=0x0 pid=2400 p_state=0x0", flags="d.h1.")
    tr.ev(t + 10_310, "irq/5-eth0", 2401, 3, "ttwu_ret", "(irq_thread_fn+0x20/0x60 <- try_to_wake_up) woken=0x0",
          flags="d.h1.")
    tr.switch(t + 10_600, 2, "mykthread", 2400, "S", "swapper/2", 0)
    tr.write("lost-wakeup/recheck-loops-5.15.trace")


if __name__ == "__main__":
    recheck_loops()
    for trig in (True, False):
        stall(trig)
        hung(trig)
        fscache_waiter(trig)
        relinquish(trig)
        locks(trig)
        nfs_dsplice(trig)
