#!/usr/bin/env python3
# Generates Sources/Backtraces/Resources/linux-oopses.json, ksleuth's report-format table:
#   python3 scripts/gen-linux-oopses.py > Sources/Backtraces/Resources/linux-oopses.json
# The table is the project's own, written clean-room: header families, title regexes, stack specs and skip lists
# were written from the kernel's own printk formats (mm/kasan/report.c, kernel/panic.c __warn, lockdep.c,
# hung_task.c, rcu/tree_stall.h, watchdog.c, x86 and arm fault paths, list_debug.c, kmemleak.c, ubsan.c,
# kfence/report.c, kcsan/report.c, kmsan/report.c, debugobjects.c, refcount.c, page_alloc.c, usercopy.c), with
# the TITLE:/ALT: headers of ../shared/corpus/backtraces as the specification of the titles to produce. The
# schema is the one `FormatTable.load` reads (Sources/Backtraces/FormatTable.swift).
import json, sys

FN = r"([a-zA-Z0-9_]+)[a-zA-Z0-9_.]*"     # a function name; compiler clone suffixes (.isra.N, .cold) dropped
HEX = r"[0-9a-f]+"
# The faulting PC line, every architecture we see: x86 "RIP: 0010:f+", old "RIP: 0010:[<..>]  [<..>] f+",
# 4.x "IP: f+" / "IP: [<..>] f+", i386 "EIP is at f+", arm64 "pc : f+", arm "PC is at f+", ppc "NIP [..] f+",
# riscv "epc : f+", s390 "Krnl PSW ... (f+".
PC = (r"(?:RIP: [0-9a-f]{4}:(?:\[<" + HEX + r">\]\s+\[<" + HEX + r">\]\s+)?|\bIP: (?:\[<" + HEX + r">\] )?|"
      r"RIP: \[<" + HEX + r">\] |EIP is at |\bpc : (?:\[<" + HEX + r">\] )?|PC is at |NIP \[" + HEX + r"\] |"
      r"epc : |Krnl PSW : " + HEX + r" " + HEX + r" \()" + FN + r"\+0x")
CALL = r"(?:Call Trace:|Call trace:|Backtrace:)"
STACK = "@STACK"

def stack(*parts, skip=None, extractor=None, parts2=None):
    d = {"parts": list(parts)}
    if parts2: d["parts2"] = list(parts2)
    if skip: d["skip"] = skip
    if extractor: d["extractor"] = extractor
    return d

def pc_stack(skip=None):
    # The PC first, then the call trace; without a PC line, the call trace alone.
    return stack(PC, CALL, STACK, parts2=[CALL, STACK], skip=skip)

def fmt(title, f, stack=None, report=None, alt=None, noStack=False, corrupted=False):
    d = {"title": title, "fmt": f}
    if report: d["report"] = report
    if alt: d["alt"] = alt
    if stack: d["stack"] = stack
    if noStack: d["noStackTrace"] = True
    if corrupted: d["corrupted"] = True
    return d

# Lockdep's "at:" line: "(&lock){+.+.}-{3:3}, at: f+0x../0x.." (older kernels print "[<addr>] " first).
AT = r"\bat: (?:\[<" + HEX + r">\] )?" + FN + r"[+ ]"

families = []
def family(header, formats, suppressions=()):
    families.append({"header": header, "suppressions": list(suppressions), "formats": formats})

WARN_SKIP = ["^__warn", "^warn_slowpath", "^report_bug", "^handle_bug", "^exc_invalid_op", "^asm_exc_invalid_op",
             "^do_error_trap", "^do_invalid_op", "^invalid_op", "^fixup_bug", "^do_trap", "^__might_sleep",
             "^__might_fault", "^___might_sleep", "^__might_resched", "^__alloc_pages", "^__alloc_frozen_pages",
             "^alloc_pages", "^__get_free_pages", "^warn_alloc", "^__do_kernel_fault", "^do_translation_fault",
             "^do_mem_abort", "^el1_abort", "^el1h_64_sync", "^el1_sync", "^do_page_fault", "^do_bad_area",
             "^__flush_work", "^flush_work", "^devres_release", "^release_nodes", "^kfree$", "^ref_tracker",
             "^warn_bogus_irq", "^__local_bh_enable_ip", "^__fortify_report", "^__fortify_panic", "^fortify_",
             "^drop_nlink", "^ida_free", "^ida_simple_remove", "^cleanup_srcu_struct", "^mark_buffer_dirty",
             "^__seqprop_assert", "^__might_resched", "^lockdep_assert", "^__cant_", "^fast_dput", "^dput$",
             "^usb_submit_urb", "^kmalloc_order", "^kmalloc_large", "^__kmalloc", "^kmalloc", "^kvmalloc", "^kzalloc",
             "^__vmalloc", "^vmalloc", "^vzalloc", "^bpf_map_area_alloc", "^__bpf_map_area_alloc"]
WARN_LINE = r"WARNING: [^\n]*? at (?:\S+:\d+ )?(?:0x0|" + FN + r"\+0x)"
def warn(title, f, extra_skip=()):
    return fmt(title, f, stack(WARN_LINE, PC, CALL, STACK, parts2=[WARN_LINE, CALL, STACK],
                               skip=WARN_SKIP + list(extra_skip)))
REF_SKIP = ["^refcount_", "^__refcount_", "^kref_"]
ODEBUG_SKIP = ["^debug_", "^__debug_", "^kfree$", "^kvfree$", "^slab_free", "^__slab_free", "^kmem_cache_free",
               "^free_", "^__free_", "^vfree", "^__vunmap", "^__vfree", "^remove_vm_area", "^vunmap",
               "^slab_free_hook", "^kfree_", "^__kmem_cache_free", "^__folio_put", "^put_page", "^__put_page"]
LOCKING_SKIP = ["^lock_", "^__lock_", "^reacquire_held_locks", "^look_up_lock_class", "^register_lock_class", "^check_", "^validate_chain",
                "^__bfs", "^mark_lock", "^hlock_class", "^lockdep_", "^print_", "^__lockdep", "^do_raw_",
                "^_raw_", "^down_", "^up_", "^mutex_", "^__mutex", "^spin_", "^__raw_", "^rwsem", "^__rwsem",
                "^__might", "^__down", "^__up", "^queued_", "^__queued"]
KMALLOC_SKIP = ["^kmalloc_slab", "^__kmalloc", "^kmalloc", "^kvmalloc", "^kzalloc", "^kvzalloc", "^kcalloc",
                "^kmalloc_array", "^__kvmalloc", "^kvcalloc", "^krealloc", "^memdup_user", "^kmemdup", "^kvmemdup",
                "^__do_kmalloc", "^kmalloc_node", "^kmalloc_large", "^kmalloc_order", "^__kmalloc_node",
                "^vmemdup_user", "^kvmalloc_node", "^kvmalloc_array", "^kvrealloc", "^kmalloc_trace"]
VMALLOC_SKIP = ["^__vmalloc", "^vmalloc", "^vzalloc", "^__vmalloc_node", "^vmalloc_node", "^vmalloc_user",
                "^kvmalloc", "^kvzalloc", "^__kvmalloc", "^kvcalloc", "^kvmalloc_array", "^bpf_map_area_alloc",
                "^__bpf_map_area_alloc", "^vmalloc_32"]
PROC_SKIP = ["^proc_register", "^proc_create", "^proc_mkdir", "^proc_net_", "^_proc_mkdir", "^proc_symlink",
             "^__proc_create", "^proc_create_data", "^proc_create_net"]
KOBJ_SKIP = ["^kobject_", "^__kobject", "^device_add$", "^device_register$", "^sysfs_create"]

# ---- KASAN (mm/kasan/report.c: "BUG: KASAN: %s in %pS", then "%s of size %zu at addr %px by task %s/%d")
KASAN_SKIP = ["^kasan_", "^__kasan", "^check_memory_region", "^memory_is_", "^print_address_description",
              "^print_report", "^end_report", "^__asan_", "^asan_"]
kasan_stack = stack(r"BUG: KASAN: [a-z\- ]+ in " + FN, CALL, STACK, skip=KASAN_SKIP)
kasan_stack_noframe = stack(CALL, STACK, skip=KASAN_SKIP)
family("BUG: KASAN:", [
    fmt(r"BUG: KASAN: double-free or invalid-free in ", "KASAN: invalid-free in %[1]v", kasan_stack),
    fmt(r"BUG: KASAN: ([a-z\-]+) in [^\n]*\n(?:[^\n]*\n){0,20}?(Read|Write) (?:of size|at addr)",
        "KASAN: %[1]v %[2]v in %[3]v", kasan_stack),
    fmt(r"BUG: KASAN: ([a-z\-]+) on address[^\n]*\n(?:[^\n]*\n)?(Read|Write) of size",
        "KASAN: %[1]v %[2]v in %[3]v", kasan_stack_noframe),
    fmt(r"BUG: KASAN: ([a-z\-]+) on address", "KASAN: %[1]v Read", corrupted=True),
    fmt(r"BUG: KASAN: ([a-z\-]+) in ([a-zA-Z0-9_.]+)[^\n]* at addr", "KASAN: %[1]v in %[2]v at addr ADDR",
        corrupted=True),
    fmt(r"BUG: KASAN: ([a-z\-]+) in ", "KASAN: %[1]v in %[2]v", kasan_stack),
])

# ---- KMSAN (mm/kmsan/report.c: "BUG: KMSAN: %s in %pSr"; the stack follows the header directly)
KMSAN_SKIP = ["^kmsan_", "^__msan_", "^__kmsan", "^msan_", "^kmsan", "^_copy_to_user$", "^copy_to_user$",
              "^_copy_to_iter$", "^copy_to_iter$", "^copyout$", "^instrument_copy_to_user$",
              "^copy_page_to_iter", "^simple_copy_to_iter$", "^usb_submit_urb", "^usb_start_wait_urb",
              "^usb_bulk_msg", "^usb_control_msg"]
family("BUG: KMSAN:", [
    fmt(r"BUG: KMSAN: ([a-z\-]+) in ", "KMSAN: %[1]v in %[2]v",
        stack(r"BUG: KMSAN: [a-z\-]+ in " + FN, STACK, skip=KMSAN_SKIP)),
])

# ---- KFENCE (mm/kfence/report.c: "BUG: KFENCE: out-of-bounds %s in %pS", "use-after-free %s", "invalid free",
# "memory corruption", "invalid %s")
KFENCE_SKIP = ["^kfence_", "^__kfence", "^test_kmalloc_aligned_oob", "^krealloc"]
family("BUG: KFENCE:", [
    fmt(r"BUG: KFENCE: memory corruption in ", "KFENCE: memory corruption in %[1]v",
        stack(r"BUG: KFENCE: [a-z\- ]+ in " + FN, STACK, skip=KFENCE_SKIP + ["^test_"])),
    fmt(r"BUG: KFENCE: ([a-z\- ]+) in ", "KFENCE: %[1]v in %[2]v",
        stack(r"BUG: KFENCE: [a-z\- ]+ in " + FN, STACK, skip=KFENCE_SKIP)),
])

# ---- KCSAN (kernel/kcsan/report.c: "BUG: KCSAN: data-race in %pS / %pS", "BUG: KCSAN: assert: race in %pS")
family("BUG: KCSAN:", [
    fmt(r"BUG: KCSAN: data-race in " + FN + r"[^\s/]* / " + FN, "KCSAN: data-race in %[1]v / %[2]v", noStack=True),
    fmt(r"BUG: KCSAN: assert: race in ", "KCSAN: assert: race in %[1]v",
        stack(r"BUG: KCSAN: assert: race in " + FN, STACK)),
    fmt(r"BUG: KCSAN: ([a-z\-]+) in ", "KCSAN: %[1]v in %[2]v", stack(r"BUG: KCSAN: [a-z\-]+ in " + FN, STACK)),
])

# ---- UBSAN (lib/ubsan.c: "UBSAN: %s in %s:%d:%d"; old kernels "UBSAN: Undefined behaviour in file:line:col")
UBSAN_SKIP = ["^ubsan_", "^__ubsan", "^handle_overflow", "^val_to_string"]
family("UBSAN:", [
    fmt(r"UBSAN: Undefined behaviour in ", "UBSAN: undefined-behaviour in %[1]v",
        stack(CALL, STACK, skip=UBSAN_SKIP)),
    fmt(r"UBSAN: ([a-z\-]+) in ", "UBSAN: %[1]v in %[2]v", stack(CALL, STACK, skip=UBSAN_SKIP)),
])

# ---- general protection fault (arch/x86/kernel/traps.c: "general protection fault[, probably for
# non-canonical address 0x%lx]: %04lx [#%d]"; newest kernels prefix "Oops: ")
family("general protection fault", [
    fmt(r"general protection fault(?:,| for| ?:)", "general protection fault in %[1]v", pc_stack()),
], suppressions=[r"traps: .* general protection fault ip:"])

family("stack segment: ", [fmt(r"stack segment: ", "stack segment fault in %[1]v", pc_stack())])
family("int3: ", [fmt(r"int3: ", "int3 in %[1]v", pc_stack())])
family("divide error: ", [fmt(r"divide error: ", "divide error in %[1]v", pc_stack())])
family("divide_error: ", [fmt(r"divide_error: ", "divide error in %[1]v", pc_stack())])
family("PANIC: double fault", [fmt(r"PANIC: double fault", "PANIC: double fault in %[1]v", pc_stack())])

# ---- kernel BUG at file:line (include/asm-generic/bug.h / arch report_bug: "kernel BUG at %s:%u!")
BUG_SKIP = ["^__list_add_valid", "^__list_del_entry_valid", "^__list_add_valid_or_report",
            "^__list_del_entry_valid_or_report", "^list_add", "^list_del", "^__list_add", "^__list_del",
            "^__check_object_size", "^check_heap_object", "^__check_heap_object", "^usercopy_abort",
            "^check_object_size", "^copy_overflow", "^__copy_overflow"]
family("kernel BUG at ", [
    fmt(r"kernel BUG at lib/list_debug\.c", "BUG: corrupted list in %[1]v", pc_stack(BUG_SKIP)),
    fmt(r"kernel BUG at mm/usercopy\.c", "BUG: bad usercopy in %[1]v", pc_stack(BUG_SKIP)),
    fmt(r"kernel BUG at ", "kernel BUG in %[1]v", pc_stack(BUG_SKIP)),
])
# ---- arm / arm64 / ppc faults (arch/arm64/mm/fault.c die_kernel_fault: "Unable to handle kernel %s at virtual
# address %016lx"; arch/arm/mm/fault.c; ppc "BUG: Unable to handle kernel data access")
family("Unable to handle kernel", [
    fmt(r"Unable to handle kernel NULL pointer dereference", "BUG: unable to handle kernel NULL pointer dereference in %[1]v",
        pc_stack()),
    fmt(r"Unable to handle kernel access to user memory", "BUG: unable to handle kernel access to user memory in %[1]v",
        pc_stack()),
    fmt(r"Unable to handle kernel ", "BUG: unable to handle kernel paging request in %[1]v", pc_stack()),
], suppressions=[])
family("Unhandled fault:", [fmt(r"Unhandled fault:", "Unhandled fault in %[1]v", pc_stack())])
family("Alignment trap:", [fmt(r"Alignment trap:", "Alignment trap in %[1]v", pc_stack())])
family("Internal error:", [fmt(r"Internal error:", "Internal error in %[1]v", pc_stack())],
       suppressions=[r"Internal error: Oops"])

# ---- BUG: ... (x86 fault paths, sched, lockdep, mm, watchdog, debugging checks)
# The timer-interrupt path that reports the stall, and the NMI backtrace machinery, never name the stall.
STALL_SKIP = ["^rcu_", "^print_cpu_stall", "^print_other_cpu_stall", "^check_cpu_stall", "^update_process_times",
              "^tick_", "^hrtimer_interrupt", "^__hrtimer_run_queues", "^__sysvec_apic_timer_interrupt",
              "^sysvec_apic_timer_interrupt", "^asm_sysvec_apic_timer_interrupt", "^smp_apic_timer_interrupt",
              "^apic_timer_interrupt", "^local_apic_timer_interrupt", "^hrtimer_run_queues",
              "^nmi_cpu_backtrace", "^nmi_trigger_cpumask_backtrace", "^arch_trigger_cpumask_backtrace",
              "^trigger_single_cpu_backtrace", "^rcu_dump_cpu_stacks", "^sched_show_task", "^watchdog_timer_fn",
              "^softlockup_fn", "^timer_interrupt", "^arch_timer_handler", "^handle_percpu_devid_irq",
              "^generic_handle_", "^__handle_domain_irq", "^gic_handle_irq", "^el1_irq", "^el1_interrupt",
              "^handle_irq", "^do_IRQ", "^common_interrupt", "^asm_common_interrupt", "^irq_exit", "^__irq_exit_rcu",
              "^irq_exit_rcu", "^sysvec_", "^asm_sysvec_", "^asm_call_on_stack", "^asm_call_irq_on_stack",
              "^call_on_stack", "^run_on_irqstack", "^__irq_svc", "^__handle_irq", "^handle_domain_irq", "^native_safe_halt", "^arch_cpu_idle", "^default_idle",
              "^kvm_wait", "^lock_is_held", "^check_memory_region", "^kasan_check", "^__kasan_check", "^lockdep_",
              "^trace_hardirqs", "^native_queued_spin", "^queued_spin", "^do_raw_spin", "^_raw_spin",
              "^__pv_queued", "^pv_queued", "^_raw_", "^__raw_", "^preempt_schedule", "^__cond_resched",
              "^_cond_resched", "^___might_sleep", "^__might_sleep", "^__local_bh_enable_ip", "^local_bh_enable",
              "^__raw_spin_unlock", "^arch_local_irq", "^native_restore_fl", "^native_irq_enable"]
STALL_CALL = r"(?:Call Trace:|Call trace:|Backtrace:|\) from \[<)"   # an ARM NMI backtrace has no header line
STALL = stack(r"NMI backtrace for cpu", STALL_CALL, STACK, extractor="stall", skip=STALL_SKIP, parts2=[CALL, STACK])
HANG = stack(CALL, STACK, extractor="hang")
STACK_OVERFLOW = stack(CALL, STACK, extractor="stall", skip=STALL_SKIP)
STALL_WQ_REPORT = r"NMI backtrace for cpu \d+\n(?:[^\n]*\n){0,3}?Workqueue: \S+ [a-zA-Z0-9_]"
STALL_WQ = stack(r"Workqueue: \S+ " + FN, STALL_CALL, STACK, extractor="stall", skip=STALL_SKIP)
family("BUG:", [
    # arch/x86/mm/fault.c show_fault_oops
    fmt(r"BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference)",
        "BUG: unable to handle kernel NULL pointer dereference in %[1]v", pc_stack()),
    fmt(r"BUG: (?:unable to handle kernel paging request|unable to handle page fault|Unable to handle kernel data access"
        r"|Unable to handle kernel instruction fetch)",
        "BUG: unable to handle kernel paging request in %[1]v", pc_stack()),
    fmt(r"BUG: unable to handle kernel\s*$", "BUG: unable to handle kernel", corrupted=True),
    # kernel/watchdog.c: "BUG: soft lockup - CPU#%d stuck for %us! [%s:%d]"
    fmt(r"BUG: soft lockup", "BUG: soft lockup in %[1]v", stack(CALL, STACK, extractor="stall", skip=STALL_SKIP)),
    fmt(r"BUG: spinlock lockup suspected", "BUG: spinlock lockup suspected in %[1]v", stack(CALL, STACK)),
    fmt(r"BUG: spinlock ([a-z ]+) on CPU", "BUG: spinlock %[1]v in %[2]v", stack(CALL, STACK)),
    fmt(r"BUG: rwlock ([a-z ]+) on CPU", "BUG: rwlock %[1]v in %[2]v", stack(CALL, STACK)),
    # kernel/sched/core.c
    fmt(r"BUG: scheduling while atomic", "BUG: scheduling while atomic in %[1]v", stack(CALL, STACK)),
    fmt(r"BUG: sleeping function called from invalid context", "BUG: sleeping function called from invalid context in %[1]v",
        stack(CALL, STACK)),
    # lib/smp_processor_id.c: "BUG: using %s%s() in preemptible [%08x] code: %s/%d"
    fmt(r"BUG: using ([a-z_]+\(\)) in preemptible", "BUG: using %[1]v in preemptible code in %[2]v",
        stack(CALL, STACK, skip=["^check_preemption_disabled", "^debug_smp_processor_id", "^__this_cpu_preempt_check"])),
    fmt(r"BUG: workqueue lockup", "BUG: workqueue lockup", noStack=True),
    fmt(r"BUG: workqueue leaked lock or atomic", "BUG: workqueue leaked lock or atomic in %[1]v",
        stack(r"last function: " + FN), noStack=True),
    # mm/page_alloc.c bad_page / mm/memory.c print_bad_pte / kernel/fork.c check_mm
    # with page_owner, the stack that allocated the page names the culprit; else the call trace
    fmt(r"BUG: Bad page state", "BUG: Bad page state in %[1]v",
        stack(r"page last allocated via", STACK, parts2=[CALL, STACK],
              skip=["^post_alloc_hook", "^__set_page_owner", "^set_page_owner", "^get_page_from_freelist", "^prep_new_page", "^alloc_pages", "^__alloc_pages",
                    "^alloc_pages_bulk", "^__alloc_pages_bulk", "^page_pool_", "^__page_pool", "^folio_alloc",
                    "^__folio_alloc", "^filemap_alloc_folio", "^__filemap_get_folio", "^pagecache_get_page",
                    "^__page_cache_alloc", "^alloc_pages_mpol", "^alloc_page_interleave", "^vma_alloc_folio"])),
    fmt(r"BUG: Bad page map", "BUG: Bad page map", noStack=True),
    fmt(r"BUG: Bad rss-counter state", "BUG: Bad rss-counter state", noStack=True),
    # lockdep: "BUG: held lock freed!", "BUG: bad unlock balance detected!", "BUG: lock held when returning..."
    fmt(r"BUG: held lock freed", "BUG: held lock freed in %[1]v", stack(AT, CALL, STACK, skip=LOCKING_SKIP)),
    fmt(r"BUG: bad unlock balance", "BUG: bad unlock balance in %[1]v", stack(CALL, STACK)),
    fmt(r"BUG: lock held when returning to user space", "BUG: lock held when returning to user space in %[1]v",
        stack(AT), noStack=True),
    fmt(r"BUG: Invalid wait context", "WARNING: locking bug in %[1]v", stack(CALL, STACK, skip=LOCKING_SKIP)),
    fmt(r"BUG: MAX_STACK_TRACE_ENTRIES too low", "BUG: MAX_STACK_TRACE_ENTRIES too low!", noStack=True),
    # arch/x86/kernel/traps.c handle_stack_overflow: "BUG: %s stack guard page was hit at %p"
    # a runaway recursion: named, like a stall, by the frame just inside the outermost dispatch frame
    fmt(r"BUG: (?:[A-Z]+ )?stack guard page was hit", "BUG: stack guard page was hit in %[1]v", STACK_OVERFLOW),
    # fs/dcache.c umount_check
    fmt(r"BUG: Dentry [^\n]*still in use", "BUG: Dentry still in use in %[1]v",
        stack(r"still in use [^\n]*\[(unmount) of", CALL, STACK, skip=["^umount_check", "^d_walk", "^shrink_dcache_for_umount", "^do_one_tree",
                                 "^generic_shutdown_super", "^kill_[a-z_]*super", "^deactivate_locked_super",
                                 "^deactivate_super", "^cleanup_mnt", "^__cleanup_mnt", "^task_work_run",
                                 "^mntput", "^exit_to_user", "^syscall_exit", "^do_syscall"])),
    # mm/kmemleak.c: the fuzzer's "BUG: memory leak" line, then kmemleak's "unreferenced object" and "backtrace:"
    fmt(r"BUG: memory leak\n(?:[^\n]*\n)?unreferenced object", "memory leak in %[1]v",
        stack(r"backtrace", STACK, skip=["^kmemleak", "^__kmalloc", "^kmalloc", "^kzalloc", "^kmem_cache_alloc",
                                          "^slab_post_alloc_hook", "^__do_kmalloc", "^kmalloc_trace", "^__kmem_cache",
                                          "^kvmalloc", "^kvzalloc", "^kcalloc", "^kmalloc_array", "^krealloc",
                                          "^kmemdup", "^kstrdup", "^__alloc", "^alloc_pages", "^vmalloc", "^vzalloc",
                                          "^__vmalloc", "^slab_alloc", "^kmalloc_node", "^kzalloc_node",
                                          "^__kmalloc_node", "^new_inode$", "^alloc_inode", "^sk_prot_alloc",
                                          "^__kmem_cache_alloc", "^kmem_cache_zalloc", "^__kvmalloc", "^idr_",
                                          "^memdup_user", "^ida_", "^create_object", "^sock_kmalloc",
                                          "^radix_tree_node_alloc", "^__list_lru_init", "^list_lru_init",
                                          "^kvasprintf", "^kasprintf", "^kstrdup", "^kstrndup"])),
    fmt(r"BUG: memory leak", "memory leak in %[1]v", stack(r"backtrace", STACK), corrupted=True),
], suppressions=[r"BUG: KASAN", r"BUG: KMSAN", r"BUG: KFENCE", r"BUG: KCSAN", r"[A-Za-z0-9_]BUG:"])

# ---- WARNING (kernel/panic.c __warn: "WARNING: CPU: %d PID: %d at %pS" / "at %s:%d %pS"; newest
# "WARNING: %s:%d at %pS, CPU#%d: %s/%d")
family("WARNING:", [
    # lockdep.c, kernel/locking/*
    fmt(r"WARNING: possible circular locking dependency detected", "possible deadlock in %[1]v",
        stack(r"is trying to acquire lock:", AT, r"but task is already holding lock:", AT,
              CALL, STACK, skip=LOCKING_SKIP + ["^process_one_work", "^worker_thread", "^kthread"])),
    fmt(r"WARNING: possible recursive locking detected", "possible deadlock in %[1]v",
        stack(r"is trying to acquire lock:", AT, r"but task is already holding lock:", AT,
              CALL, STACK, skip=LOCKING_SKIP + ["^process_one_work", "^worker_thread", "^kthread"])),
    fmt(r"WARNING: possible irq lock inversion dependency detected", "possible deadlock in %[1]v",
        stack(CALL, STACK, skip=LOCKING_SKIP)),
    fmt(r"WARNING: [A-Z]+-safe -> [A-Z]+-unsafe lock order detected", "possible deadlock in %[1]v",
        stack(r"which became [A-Z]+-irq-safe at:", STACK, skip=LOCKING_SKIP, parts2=[CALL, STACK])),
    fmt(r"WARNING: inconsistent lock state", "inconsistent lock state in %[1]v",
        stack(r"takes:", AT, CALL, STACK, skip=LOCKING_SKIP + ["^trace_hardirqs", "^trace_softirqs", "^mark_"],
              parts2=[CALL, STACK])),
    fmt(r"WARNING: suspicious RCU usage", "WARNING: suspicious RCU usage in %[1]v",
        stack(CALL, STACK, skip=["^lockdep_rcu_suspicious", "^rcu_", "^__rcu",
                                                            "^rcu_read_lock_held"])),
    fmt(r"WARNING: bad unlock balance detected", "WARNING: bad unlock balance in %[1]v",
        stack(CALL, STACK, skip=LOCKING_SKIP)),
    fmt(r"WARNING: held lock freed", "WARNING: held lock freed in %[1]v",
        stack(AT, CALL, STACK, skip=LOCKING_SKIP + ODEBUG_SKIP)),
    fmt(r"WARNING: Nested lock was not taken", "WARNING: nested lock was not taken in %[1]v",
        stack(CALL, STACK, skip=LOCKING_SKIP)),
    fmt(r"WARNING: lock held when returning to user space", "WARNING: lock held when returning to user space in %[1]v",
        stack(AT), noStack=True),
    fmt(r"WARNING: [^\n]*still has locks held", "WARNING: still has locks held in %[1]v",
        stack(AT, CALL, STACK, skip=LOCKING_SKIP)),
    fmt(r"WARNING: kernel stack (?:regs|frame pointer) at [^\n]*has bad", "WARNING: kernel stack regs has bad value",
        noStack=True),
    # specific warning sites, by the file that warns
    warn(r"WARNING: [^\n]*lib/refcount\.c", "WARNING: refcount bug in %[1]v", REF_SKIP),
    warn(r"WARNING: [^\n]*lib/debugobjects\.c", "WARNING: ODEBUG bug in %[1]v", ODEBUG_SKIP),
    warn(r"WARNING: [^\n]*kernel/locking/lockdep\.c", "WARNING: locking bug in %[1]v", LOCKING_SKIP),
    warn(r"WARNING: [^\n]*(?:mm/slab_common\.c|mm/util\.c)[^\n]* (?:kmalloc_slab|kvmalloc|__kvmalloc|kmalloc_)",
         "WARNING: kmalloc bug in %[1]v", KMALLOC_SKIP),
    warn(r"WARNING: [^\n]*mm/vmalloc\.c[^\n]* __vmalloc_node", "WARNING: zero-size vmalloc in %[1]v", VMALLOC_SKIP),
    warn(r"WARNING: [^\n]*fs/proc/generic\.c", "WARNING: proc registration bug in %[1]v", PROC_SKIP),
    warn(r"WARNING: [^\n]*lib/kobject\.c", "WARNING: kobject bug in %[1]v", KOBJ_SKIP),
    warn(r"WARNING: [^\n]*mm/usercopy\.c", "WARNING: bad usercopy in %[1]v",
         ["^usercopy_warn", "^__check_object_size", "^check_heap_object", "^check_object_size", "^__check_heap_object"]),
    fmt(r"WARNING: [^\n]*drivers/usb/core/urb\.c[^\n]* usb_submit_urb", "WARNING in %[1]v/usb_submit_urb",
        stack(CALL, STACK, skip=WARN_SKIP + ["^usb_submit_urb", "^usb_start_wait_urb", "^usb_bulk_msg",
                                              "^usb_control_msg", "^usb_interrupt_msg"])),
    fmt(r"WARNING: [^\n]*fs/dcache\.c[^\n]* umount_check", "BUG: Dentry still in use in %[1]v",
        stack(CALL, STACK, skip=["^umount_check", "^d_walk", "^shrink_dcache_for_umount", "^do_one_tree",
                                 "^generic_shutdown_super", "^kill_", "^deactivate_", "^cleanup_mnt", "^__cleanup_mnt",
                                 "^task_work_run", "^mntput"])),
    warn(r"WARNING: (?:CPU: \d+ PID: -?\d+ at |at |\[[^\]]*\] )?\S+:\d+", "WARNING in %[1]v"),
], suppressions=[r"Spectre", r"WARNING: fbcon:", r"XFS \(", r"CAPABILITY: WARNING", r"mand mount option",
                 r"WARNING: workqueue cpumask", r"WARNING: The mand"])


# ---- INFO: (hung_task.c, rcu/tree_stall.h, lockdep)

family("INFO:", [
    fmt(r"INFO: task .* blocked for more than", "INFO: task hung in %[1]v", HANG),
    fmt(r"INFO: task .* can't die for more than", "INFO: task can't die in %[1]v", HANG),
    # A stalled kworker: its work function (the "Workqueue:" line) is the outermost frame before process_one_work.
    fmt(r"INFO: rcu_(?:preempt|sched|bh) (?:self-)?detected(?: expedited)? stalls?", "INFO: rcu detected stall in %[1]v",
        STALL_WQ, report=STALL_WQ_REPORT),
    fmt(r"INFO: rcu_(?:preempt|sched|bh) (?:self-)?detected(?: expedited)? stalls?", "INFO: rcu detected stall in %[1]v",
        STALL),
    fmt(r"INFO: rcu_tasks detected stalls", "INFO: rcu detected stall in %[1]v", STALL),
    fmt(r"INFO: trying to register non-static key", "INFO: trying to register non-static key in %[1]v",
        stack(CALL, STACK, skip=LOCKING_SKIP + ["^register_lock_class", "^assign_lock_key", "^__lock_acquire",
                                                  "^lock_acquire", "^_raw_spin"])),
    fmt(r"INFO: suspicious RCU usage", "INFO: suspicious RCU usage in %[1]v",
        stack(CALL, STACK, skip=["^lockdep_rcu_suspicious", "^rcu_"])),
    fmt(r"INFO: possible circular locking dependency detected", "possible deadlock in %[1]v",
        stack(r"is trying to acquire lock:", AT, r"but task is already holding lock:", AT,
              CALL, STACK, skip=LOCKING_SKIP + ["^process_one_work", "^worker_thread", "^kthread"])),
    fmt(r"INFO: possible recursive locking detected", "possible deadlock in %[1]v",
        stack(r"is trying to acquire lock:", AT, r"but task is already holding lock:", AT,
              CALL, STACK, skip=LOCKING_SKIP + ["^process_one_work", "^worker_thread", "^kthread"])),
    fmt(r"INFO: possible irq lock inversion dependency detected", "possible deadlock in %[1]v",
        stack(CALL, STACK, skip=LOCKING_SKIP)),
    fmt(r"INFO: [A-Z]+-safe -> [A-Z]+-unsafe lock order detected", "possible deadlock in %[1]v",
        stack(r"which became [A-Z]+-irq-safe at:", STACK, skip=LOCKING_SKIP, parts2=[CALL, STACK])),
    fmt(r"INFO: inconsistent lock state", "inconsistent lock state in %[1]v",
        stack(r"takes:", AT, CALL, STACK, skip=LOCKING_SKIP, parts2=[CALL, STACK])),
    fmt(r"INFO: (Freed|Allocated) in " + FN + r"[^\n]*(age=\d+ cpu=\d+ pid=\d+)", "INFO: %[1]v in %[2]v %[3]v",
        corrupted=True),
], suppressions=[r"INFO: lockdep is turned off", r"INFO: task .* is blocked on ", r"INFO: NMI handler", r"INFO: Stall ended before", r"EXT4-fs",
                 r"INFO: Slab ", r"INFO: Object ", r"INFO: recovery required", r"CAM_INFO", r"BIN_INFO", r"INVALID BTF_INFO",
                 r"INFO: Allocated in .* age=", r"INFO: \d+ locks? held", r"_INFO"])
# old lockdep banners "[ BUG: held lock freed! ]", "[ BUG: bad unlock balance detected! ]" are inside the BUG: family.

# ---- Kernel panic (kernel/panic.c: "Kernel panic - not syncing: %s")
family("Kernel panic - not syncing", [
    fmt(r"Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: ",
        "kernel panic: stack is corrupted in %[1]v", stack(r"Kernel stack is corrupted in: (?:" + FN + r"\+0x)?", CALL, STACK, skip=["^__stack_chk_fail", "^panic",
                                                                                "^stack_chk_fail", "^dump_stack"])),
    fmt(r"Kernel panic - not syncing: corrupted stack end detected inside scheduler",
        "kernel panic: corrupted stack end in %[1]v", stack(r"Workqueue: \S+ " + FN, parts2=[CALL, STACK])),
    fmt(r"Kernel panic - not syncing: kernel stack overflow", "kernel stack overflow in %[1]v", STACK_OVERFLOW),
    fmt(r"Kernel panic - not syncing: Attempted to kill init!", "kernel panic: Attempted to kill init!", noStack=True),
    fmt(r"Kernel panic - not syncing: (Couldn't open N_TTY ldisc)", "kernel panic: %[1]v", noStack=True, corrupted=True),
    fmt(r"Kernel panic - not syncing: (panic_on_warn set)", "kernel panic: %[1]v", noStack=True, corrupted=True),
    fmt(r"Kernel panic - not syncing: (hung_task: blocked tasks)", "kernel panic: %[1]v", noStack=True, corrupted=True),
    fmt(r"Kernel panic - not syncing: (Fatal exception[^\n]*)", "kernel panic: %[1]v", noStack=True, corrupted=True),
    fmt(r"Kernel panic - not syncing: ([^\n]*)", "kernel panic: %[1]v", noStack=True),
])
family("unregister_netdevice: waiting for", [
    fmt(r"unregister_netdevice: waiting for (?:\S+) to become free", "unregister_netdevice: waiting for DEV to become free",
        noStack=True),
])
# a Go program's runtime crash (the fuzzer itself): "fatal error: ..." at the start of a line
family("fatal error: ", [fmt(r"fatal error: ", "go runtime error", noStack=True)], suppressions=[r"^.+fatal error: "])
family("SYZFAIL:", [fmt(r"SYZFAIL: ([^\n]*)", "SYZFAIL: %[1]v", noStack=True)])
family("VFS: Close: file count is 0", [fmt(r"VFS: Close: file count is 0", "VFS: Close: file count is zero (use-after-free)",
                                            noStack=True)])
family("rust_kernel: panicked at", [
    fmt(r"rust_kernel: panicked at [^\n]*\n([^\n]+)", "%[1]v in %[2]v", stack(CALL, STACK,
        skip=["^rust_", "^_R.*core.*panic", "^core::", "^rust_begin_unwind", "^_RNvNt.*panic"])),
])
family("trusty: ", [
    fmt(r"trusty: (panic: [^\n]*)", "trusty: %[1]v", noStack=True),
    fmt(r"trusty: (ASSERT FAILED[^\n]*)", "trusty: %[1]v", noStack=True),
])
family("BUG ", [fmt(r"BUG [^\s]+ \([^)]*\): (Object already free)", "BUG: %[1]v", corrupted=True)],
       suppressions=[r"BUG UNIX", r"kasan: bad access detected"])

# ---- frame-skip list for titles: reporting machinery, sanitizer runtimes, allocators, locking and other
# primitives that say nothing about which code is at fault. Literal entries are substrings; ^/$ anchor.
SKIP = [
    # report / dump helpers
    "^dump_stack", "^show_stack", "^show_trace", "^print_", "^__print", "^panic$", "^vpanic", "^__warn", "^warn_",
    "^report_bug", "^handle_bug", "^do_error_trap", "^do_trap", "^fixup_bug", "^bug_handler", "^__dump_stack",
    "^nmi_cpu_backtrace", "^nmi_trigger_cpumask_backtrace", "^arch_trigger_cpumask_backtrace", "^show_regs",
    "^__show_regs", "^printk", "^vprintk", "^_printk", "^dev_printk", "^__dev_printk", "^dev_err", "^dev_warn",
    "^_dev_err", "^_dev_warn", "^netdev_err", "^netdev_warn", "^trigger_all_cpu_backtrace", "^sched_show_task",
    "^debug_show_all_locks", "^check_hung_", "^watchdog", "^lockdep_print", "^stack_trace_", "^arch_stack_walk",
    "^unwind_", "^save_stack", "^kernel_text_address", "^__kernel_text_address", "^show_fault_oops",
    "^no_context", "^die$", "^__die", "^oops_", "^page_fault_oops", "^kernelmode_fixup_or_oops", "^do_user_addr_fault", "^do_kern_addr_fault", "^exc_page_fault", "^asm_exc_page_fault",
    "^page_fault$", "^async_page_fault", "^__do_page_fault", "^do_page_fault", "^do_general_protection",
    "^exc_general_protection", "^asm_exc_general_protection", "^general_protection$", "^exc_invalid_op",
    "^asm_exc_invalid_op", "^invalid_op$", "^do_invalid_op", "^exc_divide_error", "^asm_exc_divide_error",
    "^handle_exception", "^die_kernel_fault", "^__do_kernel_fault", "^do_translation_fault", "^do_mem_abort",
    "^el1_abort", "^el1_da", "^el1h_64_sync", "^el1_sync", "^__do_user_fault", "^do_bad_area", "^do_DataAbort",
    "^__dabt_svc", "^do_alignment", "^__pabt_svc", "^do_PrefetchAbort", "^arm64_serror", "^bug_handler",
    "^brk_handler", "^call_break_hook", "^do_debug_exception", "^el1_dbg", "^exc_int3", "^asm_exc_int3",
    "^do_int3", "^exc_stack_segment", "^asm_exc_stack_segment", "^handle_stack_overflow", "^exc_double_fault",
    "^asm_exc_double_fault", "^do_double_fault", "^double_fault",
    # sanitizers, debug checks
    "^kasan_", "^__kasan_", "^kmsan_", "^__msan_", "^__asan_", "^__tsan_", "^kcsan_", "^__kcsan", "^ubsan_",
    "^__ubsan_", "^check_memory_region", "^check_region_inline", "^memory_is_", "^kfence_", "^__kfence",
    "^check_stack_object", "^__check_object_size", "^check_object_size", "^check_heap_object", "^__check_heap_object",
    "^usercopy_", "^debug_check_no_", "^debug_object", "^debug_print_object", "^__debug_object",
    "^__list_add_valid", "^__list_del_entry_valid", "^__list_del_entry$", "^list_del$", "^list_add$",
    "^__list_add$", "^__list_del$", "^list_del_init$", "^list_move", "^list_add_tail$", "^list_del_rcu$",
    "^hlist_del", "^hlist_add", "^__hlist_", "^should_fail", "^should_failslab", "^__should_failslab",
    "^fail_dump", "^should_fail_alloc_page", "^fault_create_debugfs",
    # allocators
    "^kmalloc", "^__kmalloc", "^kzalloc", "^kcalloc", "^kmalloc_array", "^kvmalloc", "^__kvmalloc", "^kvzalloc",
    "^kvcalloc", "^krealloc", "^__krealloc", "^kmem_cache_alloc", "^kmem_cache_zalloc", "^__kmem_cache_alloc",
    "^kmem_cache_free", "^__kmem_cache_free", "^kmem_cache_alloc_node", "^slab_alloc", "^__slab_alloc",
    "^___slab_alloc", "^slab_free", "^__slab_free", "^do_slab_free", "^slab_post_alloc_hook", "^slab_pre_alloc_hook",
    "^kfree$", "^kvfree$", "^kfree_sensitive$", "^kzfree$", "^kfree_rcu", "^__kfree", "^kfree_skb", "^__kfree_skb",
    "^kfree_skbmem", "^consume_skb$", "^skb_release_data", "^skb_release_all", "^skb_free_head",
    "^__alloc_skb", "^alloc_skb$", "^__netdev_alloc_skb", "^vmalloc", "^__vmalloc", "^vzalloc", "^vfree$",
    "^__vfree", "^__alloc_pages", "^alloc_pages", "^__get_free_pages", "^get_zeroed_page", "^free_pages",
    "^__free_pages", "^kmemdup", "^kstrdup", "^memdup_user", "^vmemdup_user", "^strndup_user", "^kmem_cache_create",
    "^cache_alloc", "^____cache_alloc", "^__do_kmalloc", "^do_kmalloc", "^__do_cache_alloc", "^cache_free",
    "^___cache_free", "^kmalloc_slab", "^kmalloc_trace", "^kmalloc_large", "^kmalloc_order", "^__kmem_cache",
    "^mempool_", "^__alloc_frozen_pages", "^folio_alloc", "^__folio_alloc", "^alloc_pages_mpol",
    # locking and scheduling primitives
    "^lock_acquire", "^lock_release", "^_spin_", "^_read_lock", "^_read_unlock", "^_write_lock",
    "^_write_unlock", "^__lock_acquire", "^lock_is_held", "^lock_downgrade", "^lock_sock$",
    "^lock_sock_nested", "^release_sock", "^_raw_spin", "^__raw_spin", "^_raw_read", "^_raw_write", "^__raw_read",
    "^__raw_write", "^do_raw_spin", "^do_raw_read", "^do_raw_write", "^spin_lock", "^spin_unlock", "^spin_trylock",
    "^spin_bug", "^spin_dump", "^rwlock_bug", "^queued_spin", "^native_queued_spin", "^__pv_queued_spin",
    "^pv_queued_spin", "^queued_read", "^queued_write", "^mutex_lock", "^mutex_unlock", "^mutex_trylock",
    "^__mutex_lock", "^__mutex_unlock", "^mutex_lock_nested", "^__mutex_trylock", "^ww_mutex", "^__ww_mutex",
    "^down_read", "^down_write", "^up_read", "^up_write", "^__down", "^__up_", "^down$", "^up$",
    "^down_interruptible", "^down_killable", "^down_trylock", "^rwsem_", "^__rwsem", "^percpu_down", "^percpu_up",
    "^__percpu_down", "^__percpu_up", "^rt_mutex", "^__rt_mutex", "^mark_lock", "^__lock_", "^lockdep_",
    "^__lockdep", "^validate_chain", "^check_prev_add", "^check_prevs_add", "^check_noncircular",
    "^register_lock_class", "^look_up_lock_class", "^hlock_class", "^lock_chain", "^_raw_", "^raw_spin",
    "^local_bh_enable", "^__local_bh_enable", "^local_bh_disable", "^__local_bh_disable", "^preempt_count",
    "^preempt_schedule", "^__cond_resched", "^_cond_resched", "^schedule$", "^__schedule", "^schedule_timeout",
    "^schedule_preempt", "^io_schedule", "^wait_for_completion", "^__wait_for_common", "^wait_for_common",
    "^do_wait_for_common", "^complete$", "^complete_all", "^finish_wait", "^prepare_to_wait", "^__wake_up",
    "^wake_up_", "^try_to_wake_up", "^default_wake_function", "^autoremove_wake_function", "^pollwake",
    "^rcu_read_lock", "^rcu_read_unlock", "^__rcu_read", "^rcu_lock_acquire", "^rcu_lock_release",
    "^atomic_", "^atomic64_", "^arch_atomic", "^raw_atomic", "^_atomic_dec_and_lock", "^refcount_", "^__refcount_",
    "^kref_", "^test_and_clear_bit", "^test_and_set_bit", "^clear_bit", "^set_bit", "^test_bit",
    "^__test_and", "^instrument_", "^arch_test_and", "^arch_set_bit", "^arch_clear_bit", "^bitmap_",
    # string / memory helpers
    "^memcpy", "^__memcpy", "^memmove", "^__memmove", "^memset", "^__memset", "^memcmp", "^__memcmp", "^bcmp$",
    "^memchr", "^memscan", "^strlen$", "^strnlen$", "^strcmp$", "^strncmp$", "^strcpy$", "^strncpy$",
    "^strscpy", "^strlcpy$", "^strcat$", "^strncat$", "^strlcat$", "^strchr$", "^strrchr$", "^strnchr$",
    "^strstr$", "^strnstr$", "^strsep$", "^strspn$", "^strcspn$", "^strpbrk$", "^sized_strscpy", "^__fortify",
    "^fortify_", "copy_from_user", "copy_to_user", "^copy_user_", "^copyin$",
    "^copyout$", "^copy_from_iter", "^_copy_from_iter", "^copy_to_iter", "^_copy_to_iter", "^copy_page_to_iter",
    "^copy_page_from_iter", "^__get_user", "^__put_user", "^get_user", "^put_user",
    "^strncpy_from_user", "^strnlen_user", "^do_strncpy_from_user", "^clear_user", "^__clear_user",
    "^check_copy_size", "^csum_partial", "^crc16$", "^crc32", "^crc_itu_t", "^crc_t10dif", "^crc32c",
    "^__crc32c", "^crc_ccitt", "^aes_encrypt", "^aes_decrypt", "^hex_dump_to_buffer", "^print_hex_dump",
    "^vsnprintf", "^snprintf", "^sprintf", "^scnprintf", "^vscnprintf", "^string$", "^hex_string",
    "^pointer$", "^format_decode", "^number$", "^widen_string", "^sized_strscpy", "^sort$", "^sort_r$",
    "^bsearch", "^idr_", "^ida_", "^xa_", "^__xa_", "^xas_",
    "^rb_erase", "^rb_insert", "^__rb_", "^rb_first", "^rb_next", "^rb_prev",
    # generic work/timer/notifier/RCU plumbing
    "^call_timer_fn", "^__run_timers", "^run_timer_softirq", "^expire_timers", "^lock_timer_base",
    "^__try_to_del_timer_sync", "^try_to_del_timer_sync", "^__timer_delete_sync", "^timer_delete_sync",
    "^del_timer_sync", "^del_timer$", "^__del_timer", "^timer_delete", "^__timer_delete", "^sk_stop_timer",
    "^sk_reset_timer", "^mod_timer", "^__mod_timer", "^add_timer", "^rcu_do_batch", "^rcu_core", "^rcu_process_callbacks",
    "^__call_rcu", "^call_rcu$", "^kvfree_call_rcu", "^notifier_call_chain", "^__blocking_notifier",
    "^blocking_notifier_call_chain", "^raw_notifier_call_chain", "^atomic_notifier_call_chain",
    "^__atomic_notifier", "^call_netdevice_notifiers", "^queue_work", "^__queue_work", "^queue_delayed_work",
    "^mod_delayed_work", "^flush_work", "^__flush_work", "^cancel_work", "^__cancel_work", "^cancel_delayed_work",
    "^flush_workqueue", "^__flush_workqueue", "^drain_workqueue", "^destroy_workqueue",
    "^task_work_run", "^__task_work", "^fput$", "^fput_many", "^____fput", "^dput$", "^fast_dput", "^__dentry_kill",
    "^__wake_up_common", "^wake_up$",
    # generic object lifetime
    "^kobject_put", "^kobject_release", "^kobject_del", "^kobject_cleanup", "^put_device", "^device_release",
    "^sock_put$", "^sk_free$", "^__sk_free", "^sock_hold", "^skb_get", "^__sk_destruct", "^sk_destruct",
    # arch helpers, instrumentation, thunks
    "^dump_backtrace", "^__x86_indirect_thunk", "^__x86_return_thunk", "^__sanitizer_cov", "^__hwasan_",
    "^read_word_at_a_time", "^__read_once", "^__phys_addr", "^__virt_to_phys", "^__panic", "^trace_hardirqs",
    "^___might_sleep", "^__might_sleep", "^__might_fault", "^__might_resched", "^__run_hrtimer",
    "^__hrtimer_run_queues", "^hrtimer_interrupt", "^hrtimer_run_softirq",
    # driver-model, sysfs and usb plumbing
    "^device_del$", "^device_unregister$", "^sysfs_remove_", "^kobject_get", "^__kobject_del", "^klist_",
    "^kthread_stop", "^dev_vprintk_emit", "^va_format", "^dev_printk_emit", "^_dev_info", "^usb_kill_urb",
    "^usb_kill_anchored_urbs", "^usb_control_msg", "^usb_bulk_msg", "^usb_start_wait_urb", "^usb_submit_urb",
    "^usb_interrupt_msg", "^usb_hcd_submit_urb",
    # timers and work items, object-debug callbacks
    "^init_timer_key", "^timer_is_static_object", "^work_is_static_object", "^insert_work", "^mutex_remove_waiter",
    "^rollback_registered", "^unregister_netdevice", "^unregister_netdev$", "^rhashtable_", "^__rhashtable",
    "^rht_", "^iput$", "^unlock_page$", "^folio_unlock$", "^alloc_page_interleave", "^___kmalloc_large",
    "^__kmalloc_large", "^skb_pull$", "^__skb_pull", "^skb_put$", "^skb_push$", "^skb_over_panic", "^skb_under_panic",
    "^skb_panic", "^aesti_", "^aes_",
    "^check_panic_on_warn", "^get_taint", "^panic_", "^nmi_panic", "^walk_stackframe", "^do_tag_check_fault", "^kobject_add",
    "^device_remove_file", "^device_destroy", "^dpm_sysfs_remove", "^try_to_grab_pending", "^__queue_delayed_work",
    "^crypto_", "^__crypto_", "^cipher_crypt", "^skcipher_", "^ecb_", "^kvasprintf", "^kasprintf",
    "^free_unref_folios", "^sk_skb_reason_drop", "^__sk_skb_reason_drop", "^kfree_skb_reason", "^skb_release_",
    "^page_pool_", "^__page_pool", "^napi_pp_put_page", "^skb_pp_recycle", "^skb_free_frag",
    "^kobject_", "^get_device_parent", "^device_add$", "^device_register$", "^tty_unregister_device",
    "^i2c_del_adapter", "^__unregister_client", "^device_for_each_child", "^i2c_unregister_device",
    "^dev_alloc_skb", "^__dev_alloc_skb", "^netdev_alloc_skb", "^xts_", "^drbg_", "^handle_bad_stack",
    # page freeing checks
    "^bad_page", "^free_pages_check", "^free_page_is_bad", "^__free_pages_ok", "^free_pages_prepare",
    "^free_unref_page", "^free_pcp_prepare", "^__free_one_page", "^page_frag_free", "^__folio_put", "^put_page$",
    "^__put_page", "^release_pages", "^folios_put", "^free_page_and_swap",
]
# The stall extractor names the frame just inside the first of these outer frames (syscall and other dispatch).
STALL_ANCHORS = [
    "^do_syscall_", "^entry_SYSCALL", "^entry_SYSENTER", "^entry_INT80", "^do_fast_syscall", "^do_int80_syscall",
    "^system_call", "^ret_from_fork", "^kthread$", "^worker_thread", "^process_one_work", "^process_scheduled_works",
    "^smp_call_function", "^__do_softirq", "^handle_softirqs", "^do_softirq", "^irq_exit",
    "^__irq_exit_rcu", "^run_ksoftirqd", "^net_rx_action", "^__netif_receive_skb", "^netif_receive_skb",
    "^process_backlog", "^napi_poll", "^__napi_poll", "^call_timer_fn", "^expire_timers", "^__run_timers",
    "^run_timer_softirq", "^__hrtimer_run_queues", "^hrtimer_run_queues", "^rcu_do_batch", "^rcu_core",
    "^tasklet_action", "^vfs_write$", "^__vfs_write", "^vfs_read$", "^__vfs_read", "^vfs_writev", "^vfs_readv",
    "^do_iter_write", "^do_iter_read", "^do_iter_readv_writev", "^new_sync_write", "^new_sync_read",
    "^vfs_ioctl", "^do_vfs_ioctl", "^ksys_ioctl", "^blkdev_ioctl", "^block_ioctl", "^compat_blkdev_ioctl",
    "^compat_sys_ioctl", "^__ia32_compat_sys_ioctl", "^__do_compat_sys_ioctl", "^vfs_fsync", "^do_fsync",
    "^__fput", "^____fput", "^task_work_run", "^exit_to_user_mode", "^syscall_exit_to_user_mode",
    "^__do_fault", "^do_fault$", "^handle_mm_fault", "^__handle_mm_fault", "^do_user_addr_fault", "^exc_page_fault",
    "^mmap_region", "^do_mmap", "^vm_mmap_pgoff", "^ksys_mmap_pgoff", "^rtnetlink_rcv_msg", "^netlink_rcv_skb",
    "^genl_rcv_msg", "^genl_family_rcv_msg", "^netlink_dump", "^__netlink_dump_start", "^genl_lock_dumpit",
    "^genl_dumpit", "^netlink_unicast", "^sock_sendmsg", "^__sock_sendmsg", "^sock_recvmsg", "^___sys_sendmsg",
    "^____sys_sendmsg", "^__sys_sendmsg", "^___sys_recvmsg", "^____sys_recvmsg", "^sock_write_iter",
    "^sock_read_iter", "^sock_ioctl", "^sock_do_ioctl", "^do_sock_setsockopt", "^__sys_setsockopt",
    "^nfnetlink_rcv_msg", "^sock_common_setsockopt", "^sock_common_getsockopt", "^sock_common_recvmsg",
    "^sys_ioctl$", "^ioctl$", "^compat_sys_ioctl$", "^compat_ioctl$", "^sys_compat_ioctl$", "^asm_call_on_stack",
    "^ret_fast_syscall", "^ret_from_exception", "^el0_svc", "^el0t_64_sync", "^invoke_syscall", "^kvm_vcpu_compat_ioctl", "^lo_compat_ioctl",
    "^scheduler_ipi", "^sysvec_call_function", "^generic_smp_call_function", "^flush_smp_call_function",
    "^__sysvec_call_function", "^smp_call_function_single_interrupt", "^call_function_single_interrupt",
    "^do_idle", "^cpu_startup_entry", "^start_secondary", "^do_group_exit", "^do_exit", "^get_signal",
    "^path_openat", "^do_filp_open", "^do_sys_open", "^do_dentry_open", "^vfs_open", "^__x64_sys_",
]
STALL_ANCHORS = [a for a in STALL_ANCHORS if a not in ("^__x64_sys_", "^__hrtimer_run_queues", "^hrtimer_run_queues",
                                                        "^irq_exit", "^__irq_exit_rcu")]
SKIP = [x for x in SKIP if x not in STALL_ANCHORS]

doc = {
    "_source": ("ksleuth's own report-format table, written by the project from the kernel's printk formats "
                "(mm/kasan, kernel/panic.c __warn, lockdep, hung_task, rcu stall, watchdog, x86/arm fault paths, "
                "list_debug, kmemleak, ubsan, kfence, kcsan, kmsan, debugobjects, refcount, bad page, usercopy) "
                "with the TITLE/ALT headers of the shared corpus as the specification of the titles."),
    "families": families,
    "stackParams": {
        "stackStart": [r"Call Trace:", r"Call trace:", r"Backtrace:", r"Allocated by task \d+",
                       r"Freed by task \d+", r"Allocated:", r"Freed:", r"(?:Last|Second to last) potentially related",
                       r"Uninit was (?:created|stored to memory) at:", r"^\s*backtrace(?: \(crc [0-9a-f]+\))?:",
                       r"badaddr: "],
        "frames": [r"^ *(?:\[<?(?:0x)?[0-9a-f]+>?\] ){0,2}" + FN + r"(?:\.|\+)",
                   r"\[<[0-9a-f]+>\] \(([a-zA-Z0-9_]+)[a-zA-Z0-9_.]*(?:\+0x[0-9a-f]+/0x[0-9a-f]+)?\) from \[<[0-9a-f]+>\] "
                   r"\(([a-zA-Z0-9_]+)"],
        "skip": SKIP,
        "corruptedLines": [r"FAULT_INJECTION: forcing a failure", r"should_fail"],
        "stripFramePrefixes": ["SyS_", "ksys_", "sys_", "__x64_", "__ia32_", "__arm64_", "__riscv_", "__s390x_",
                               "__se_sys_", "__do_sys_", "compat_SyS_"],
        "stallAnchors": STALL_ANCHORS,
    },
}
json.dump(doc, sys.stdout, indent=1)
