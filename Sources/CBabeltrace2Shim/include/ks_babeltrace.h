// The C side of the LTTng/CTF reader: builds the babeltrace2 graph (source.ctf.fs per trace -> utils.muxer ->
// a simple sink), hands Swift arrays of messages, and renders an event's fields as ftrace-style `key=value`
// text. Plain C because the simple-sink API takes C callbacks and the field API is a deep tree of calls.
#ifndef KS_BABELTRACE_H
#define KS_BABELTRACE_H
#include <stddef.h>
#include <stdint.h>

typedef struct ks_bt ks_bt;

/// Opens the CTF traces in `paths` (trace directories: each holds a `metadata` file). With `use_muxer` the
/// messages of all streams come in time order; without it each stream is read on its own sink (for traces whose
/// packets overlap, which the muxer refuses) and messages come stream by stream. NULL on error, with a one-line
/// reason in `err`.
ks_bt *ks_bt_open(const char *const *paths, size_t count, int use_muxer, char *err, size_t err_len);
void ks_bt_close(ks_bt *bt);

/// The next messages: 1 when `*count` > 0 messages are available through `ks_bt_message`, 0 at the end, -1 on
/// error (reason in `err`), -2 when the muxer refused the trace (a stream went back in time: overlapping
/// packets). Messages are released by the next call.
int ks_bt_next(ks_bt *bt, uint64_t *count, char *err, size_t err_len);
const void *ks_bt_message(ks_bt *bt, uint64_t index);

enum ks_msg_kind { KS_MSG_OTHER = 0, KS_MSG_EVENT = 1, KS_MSG_DISCARDED_EVENTS = 2, KS_MSG_DISCARDED_PACKETS = 3 };

typedef struct ks_event_info {
    int kind;                  // enum ks_msg_kind
    int64_t ns;                // clock snapshot, ns from origin (INT64_MIN when none)
    int64_t cpu;               // packet context cpu_id (-1 when none)
    int64_t tid;               // context tid / vtid (-1 when none)
    int64_t pid;               // context pid / vpid (-1 when none)
    const char *procname;      // context procname (NULL when none)
    const void *event_class;   // identity of the event class (for caches)
    const char *name;          // event class name
    const void *trace;         // identity of the trace
    const void *stream;        // identity of the stream
    uint64_t stream_id;        // the stream's id within its trace
    int64_t discarded;         // discarded events/packets count (-1 when unknown)
    // Dense ids (0, 1, 2, ... in order of first appearance, per `ks_bt` handle; -1 when none), so that callers
    // can keep per-class / per-stream / per-trace state in arrays instead of hashing pointers per event.
    int32_t class_index;
    int32_t stream_index;
    int32_t trace_index;
} ks_event_info;

/// Classifies message `index` and fills `info`.
void ks_bt_info(ks_bt *bt, uint64_t index, ks_event_info *info);

/// Renders the payload of event message `index` into `buf` as `key=value` pairs separated by one blank: strings
/// bare, integers in decimal (hex with 0x when the field prefers hex), arrays as `{a b}`, nested structures as
/// `outer.inner=`. LTTng names become ftrace names: `tid` -> `pid`, `*_tid` -> `*_pid`, and the tgid fields they
/// displace (`pid`, `*_pid`) -> `tgid`, `*_tgid`, and priorities get back the 100 LTTng subtracts. Returns the
/// length, or -(length written) - 1 when `cap` was too small (rendering stops there).
/// When `spans` is not NULL it receives (offset, length) pairs of the values of the sched_switch fields, indexed
/// by KS_SW_* (left untouched for fields the event does not have), and `ints` (when not NULL) the values of those
/// that are integers representable as int64_t (left untouched otherwise).
/// The field names, types and key spellings of each event class are looked up once (a per-class plan), not per
/// event.
long ks_bt_render(ks_bt *bt, uint64_t index, char *buf, size_t cap, int lttng, long *spans, int64_t *ints);

enum { KS_SW_PREV_COMM = 0, KS_SW_PREV_PID = 1, KS_SW_PREV_STATE = 2, KS_SW_NEXT_COMM = 3, KS_SW_NEXT_PID = 4, KS_SW_COUNT = 5 };

/// A name for the trace that `trace` identifies that is the same in every graph: its UUID, else its name.
const char *ks_bt_trace_key(const void *trace, char *buf, size_t cap);

/// The trace environment entry `name` (string or integer, as text) of the trace that `trace` identifies.
const char *ks_bt_env(const void *trace, const char *name, char *buf, size_t cap);

#endif
