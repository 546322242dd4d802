#!/usr/bin/env python3
"""Writes an LTTng-like CTF 1.8 kernel trace for `make bench`: one stream per CPU, lttng-modules field names and
layout (compact event headers, `_prev_comm[16]`, `_prev_tid`, integer `_prev_state`, `cpu_id` in the packet
context, `kernel_release` in the environment), sched_switch / sched_waking / sched_wakeup events of a few busy
tasks, EVENTS in total.

Packets are built once and repeated: packet k of a stream covers clock values [k * 2^27, (k + 1) * 2^27), so the
27-bit compact timestamps of its events are the same in every packet and only the packet context changes.

usage: ctfgen.py OUTPUT_DIR EVENTS [CPUS]
"""
import os
import struct
import sys
import uuid

EVENTS_PER_PACKET = 8192
SPAN = 1 << 27            # clock ticks (ns) per packet
MAGIC = 0xC1FC1FC1

METADATA = """/* CTF 1.8 */

typealias integer { size = 8; align = 8; signed = false; } := uint8_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 5; align = 1; signed = false; } := uint5_t;

trace {
	major = 1;
	minor = 8;
	uuid = "%(uuid)s";
	byte_order = le;
	packet.header := struct {
		uint32_t magic;
		uint8_t  uuid[16];
		uint32_t stream_id;
		uint64_t stream_instance_id;
	} align(8);
};

env {
	hostname = "ksleuth-bench";
	domain = "kernel";
	sysname = "Linux";
	kernel_release = "6.1.0-ksleuth-bench";
	kernel_version = "#1 SMP PREEMPT_DYNAMIC";
	tracer_name = "lttng-modules";
	tracer_major = 2;
	tracer_minor = 13;
	tracer_patchlevel = 0;
};

clock {
	name = "monotonic";
	uuid = "%(clock_uuid)s";
	description = "Monotonic Clock";
	freq = 1000000000;
	precision = 1;
	offset_s = 1700000000;
	offset = 0;
	absolute = FALSE;
};

typealias integer { size = 27; align = 1; signed = false; map = clock.monotonic.value; } := uint27_clock_monotonic_t;
typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;

struct packet_context {
	uint64_clock_monotonic_t timestamp_begin;
	uint64_clock_monotonic_t timestamp_end;
	uint64_t content_size;
	uint64_t packet_size;
	uint64_t packet_seq_num;
	uint64_t events_discarded;
	uint32_t cpu_id;
} align(8);

struct event_header_compact {
	enum : uint5_t { compact = 0 ... 30, extended = 31 } id;
	variant <id> {
		struct {
			uint27_clock_monotonic_t timestamp;
		} compact;
		struct {
			uint32_t id;
			uint64_clock_monotonic_t timestamp;
		} extended;
	} v;
} align(8);

stream {
	id = 0;
	event.header := struct event_header_compact;
	packet.context := struct packet_context;
};

event {
	name = "sched_switch";
	id = 0;
	stream_id = 0;
	fields := struct {
		integer { size = 8; align = 8; signed = 0; encoding = UTF8; base = 10; } _prev_comm[16];
		integer { size = 32; align = 8; signed = 1; base = 10; } _prev_tid;
		integer { size = 32; align = 8; signed = 1; base = 10; } _prev_prio;
		integer { size = 64; align = 8; signed = 1; base = 10; } _prev_state;
		integer { size = 8; align = 8; signed = 0; encoding = UTF8; base = 10; } _next_comm[16];
		integer { size = 32; align = 8; signed = 1; base = 10; } _next_tid;
		integer { size = 32; align = 8; signed = 1; base = 10; } _next_prio;
	};
};

event {
	name = "sched_waking";
	id = 1;
	stream_id = 0;
	fields := struct {
		integer { size = 8; align = 8; signed = 0; encoding = UTF8; base = 10; } _comm[16];
		integer { size = 32; align = 8; signed = 1; base = 10; } _tid;
		integer { size = 32; align = 8; signed = 1; base = 10; } _prio;
		integer { size = 32; align = 8; signed = 1; base = 10; } _target_cpu;
	};
};

event {
	name = "sched_wakeup";
	id = 2;
	stream_id = 0;
	fields := struct {
		integer { size = 8; align = 8; signed = 0; encoding = UTF8; base = 10; } _comm[16];
		integer { size = 32; align = 8; signed = 1; base = 10; } _tid;
		integer { size = 32; align = 8; signed = 1; base = 10; } _prio;
		integer { size = 32; align = 8; signed = 1; base = 10; } _target_cpu;
	};
};
"""

# lttng-modules on 6.1 writes the report encoding: 1 S, 2 D, 0x80 I, preempted = TASK_REPORT_MAX (0x100).
STATES = [1, 1, 2, 0x100, 1, 0x80, 1, 2]


def comm(s):
    return s.encode()[:15].ljust(16, b'\0')


def template(cpu, variant):
    """EVENTS_PER_PACKET events: a task on this CPU is woken, runs, and switches out, round after round."""
    tasks = [(1000 + 100 * cpu + 10 * variant + i, name) for i, name in
             enumerate(['kworker/%d:1' % cpu, 'postgres', 'nginx', 'java', 'jbd2/sda1-8', 'rcu_sched'])]
    idle = (0, 'swapper/%d' % cpu)
    out = bytearray()
    step = (SPAN - 4096) // EVENTS_PER_PACKET
    current = idle
    n = 0
    while n < EVENTS_PER_PACKET:
        nxt = tasks[(n // 3 + variant) % len(tasks)]
        for kind in range(3):
            if n >= EVENTS_PER_PACKET:
                break
            ts = 1024 + n * step
            if kind < 2:
                # sched_waking, then sched_wakeup of the task about to run.
                out += struct.pack('<I', (ts << 5) | (1 + kind))
                out += comm(nxt[1]) + struct.pack('<iii', nxt[0], 20, cpu)
            else:
                state = 0 if current is idle else STATES[(n // 3) % len(STATES)]
                out += struct.pack('<I', ts << 5 | 0)
                out += comm(current[1]) + struct.pack('<iiq', current[0], 20 if current is not idle else 20, state)
                out += comm(nxt[1]) + struct.pack('<ii', nxt[0], 20)
                current = nxt
            n += 1
    last_ts = 1024 + (EVENTS_PER_PACKET - 1) * step
    return bytes(out), last_ts


def main():
    out_dir, total = sys.argv[1], int(sys.argv[2])
    cpus = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    os.makedirs(out_dir, exist_ok=True)
    trace_uuid = uuid.UUID('6b5e7f0c-5d0a-4c6e-9a0b-6b7365757468')
    with open(os.path.join(out_dir, 'metadata'), 'w') as f:
        f.write(METADATA % {'uuid': str(trace_uuid), 'clock_uuid': '2f0e1b4c-8a57-4d2c-b3c1-636c6f636b00'})
    header_size = 4 + 16 + 4 + 8
    context_size = 8 * 6 + 4
    packets_total = (total + EVENTS_PER_PACKET - 1) // EVENTS_PER_PACKET
    for cpu in range(cpus):
        templates = [template(cpu, v) for v in range(4)]
        packets = packets_total // cpus + (1 if cpu < packets_total % cpus else 0)
        with open(os.path.join(out_dir, 'channel0_%d' % cpu), 'wb') as f:
            for k in range(packets):
                events, last_ts = templates[k % len(templates)]
                content = header_size + context_size + len(events)
                size = (content + 4095) // 4096 * 4096
                begin = k * SPAN
                f.write(struct.pack('<I', MAGIC) + trace_uuid.bytes + struct.pack('<IQ', 0, cpu))
                f.write(struct.pack('<QQQQQQI', begin, begin + last_ts, content * 8, size * 8, k, 0, cpu))
                f.write(events)
                f.write(b'\0' * (size - content))


if __name__ == '__main__':
    main()
