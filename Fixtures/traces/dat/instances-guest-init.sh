#!/bin/busybox sh
# The /init that captured Fixtures/traces/dat/instances-6.1-v{6,7}.dat (see README.md there): a minimal copy of
# the ksleuth lab's guest-init.sh that records two small trace-cmd files with a top-level buffer and one instance
# buffer, v7 (zstd-compressed) and v6, writes /out as a tar archive onto /dev/vda and powers off. Used by copying
# the lab's built initramfs tree, putting this file in as `init`, repacking it (cpio newc + gzip) and booting the
# Debian 6.1 cloud kernel under qemu (TCG, 2 CPUs, 512 MB, a 64 MB raw virtio disk); the lab scripts are unchanged.
/bin/busybox mkdir -p /proc /sys /dev /tmp /out /mnt /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs -o size=200m tmpfs /out
mount -t tracefs tracefs /sys/kernel/tracing
KVER=$(uname -r); MODDIR=/lib/modules/$KVER
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
	insmod $MODDIR/kernel/$m.ko
done
i=0; while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
# Keep the files small: trace-cmd saves /proc/kallsyms (3.6 MB here) into every file; sched tracepoints need no
# symbols, so a real subset (the kernel's sched text symbols) is bind-mounted over it for this capture.
grep -E ' [Tt] (__)?sched' /proc/kallsyms > /tmp/kallsyms; wc -l /tmp/kallsyms > /out/kallsyms.txt
mount --bind /tmp/kallsyms /proc/kallsyms && echo "kallsyms bound: $(wc -c < /proc/kallsyms) bytes" >> /out/kallsyms.txt
cat > /tmp/work.sh <<'W'
#!/bin/sh
for f in /sys/kernel/tracing/trace_clock /sys/kernel/tracing/instances/*/trace_clock; do echo "$f: $(cat $f)"; done >> /out/clocks.txt
for i in 1 2 3; do ls -R /sys/kernel/tracing/events/sched > /dev/null; cat /proc/stat > /dev/null; sleep 0.1; done
W
uname -a > /out/uname.txt
cd /out
trace-cmd record -q -o /out/instances-v7.dat --file-version 7 --compression any -b 256 \
	-e sched:sched_switch -e sched:sched_process_exec \
	-B wakeups -e sched:sched_waking -e sched:sched_wakeup -e sched:sched_process_fork \
	-- sh /tmp/work.sh > /out/v7.log 2>&1; echo "rc=$?" >> /out/v7.log
trace-cmd record -q -o /out/instances-v6.dat --file-version 6 -b 256 \
	-e sched:sched_switch -e sched:sched_process_exec \
	-B wakeups -e sched:sched_waking -e sched:sched_wakeup -e sched:sched_process_fork \
	-- sh /tmp/work.sh > /out/v6.log 2>&1; echo "rc=$?" >> /out/v6.log
ls -la /out > /out/ls.txt
dmesg > /out/dmesg.txt
tar -cf /dev/vda -C /out . && sync
poweroff -f
