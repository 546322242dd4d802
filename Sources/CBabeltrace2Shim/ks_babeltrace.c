#include "ks_babeltrace.h"
#include <babeltrace2/babeltrace.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KS_MAX_SINKS 4096

/// Pointer -> dense index (0, 1, 2, ... in order of insertion): open addressing, with the last hit remembered.
struct ptrmap {
    const void **keys;
    int32_t *vals;
    uint32_t cap, n;
    const void *last_key;
    int32_t last_val;
};

static uint32_t ptr_hash(const void *p) {
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33;
    return (uint32_t)x;
}

/// The index of `k`, inserting it as the next index when absent (`*created` says so).
static int32_t ptrmap_get(struct ptrmap *m, const void *k, int *created) {
    *created = 0;
    if (m->n > 0 && m->last_key == k) return m->last_val;
    if (m->n * 2 >= m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 64;
        const void **keys = calloc(cap, sizeof(*keys));
        int32_t *vals = calloc(cap, sizeof(*vals));
        for (uint32_t i = 0; i < m->cap; i++) {
            if (!m->keys[i]) continue;
            uint32_t h = ptr_hash(m->keys[i]) & (cap - 1);
            while (keys[h]) h = (h + 1) & (cap - 1);
            keys[h] = m->keys[i];
            vals[h] = m->vals[i];
        }
        free(m->keys); free(m->vals);
        m->keys = keys; m->vals = vals; m->cap = cap;
    }
    uint32_t h = ptr_hash(k) & (m->cap - 1);
    while (m->keys[h] && m->keys[h] != k) h = (h + 1) & (m->cap - 1);
    if (!m->keys[h]) {
        m->keys[h] = k;
        m->vals[h] = (int32_t)m->n++;
        *created = 1;
    }
    m->last_key = k;
    m->last_val = m->vals[h];
    return m->vals[h];
}

static void ptrmap_free(struct ptrmap *m) { free(m->keys); free(m->vals); }

/// What is known about a stream: its packet's cpu_id (set at each packet-beginning message), its trace.
struct ks_stream {
    int64_t cpu;
    int cpu_set;
    int has_clock;
    const bt_trace *trace;
    int32_t trace_index;
    uint64_t id;
};

struct ks_class;
static void free_class(struct ks_class *c);

struct ks_bt {
    bt_graph *graph;
    // Messages handed out by the last ks_bt_next (owned: put on the next call).
    const bt_message **msgs;
    uint64_t count, cap;
    int ended_sinks, sinks;
    struct ptrmap stream_ids, class_ids, trace_ids;
    struct ks_stream *streams;
    uint32_t streams_cap;
    struct ks_class **classes;
    uint32_t classes_cap;
    // The class ks_bt_info found for message `info_index`, for the ks_bt_render call that follows it.
    uint64_t info_index;
    struct ks_class *info_class;
};

static struct ks_stream *stream_entry(ks_bt *bt, const bt_stream *s, int32_t *index) {
    int created;
    int32_t i = ptrmap_get(&bt->stream_ids, s, &created);
    if (created) {
        if ((uint32_t)i >= bt->streams_cap) {
            bt->streams_cap = bt->streams_cap ? bt->streams_cap * 2 : 16;
            bt->streams = realloc(bt->streams, bt->streams_cap * sizeof(*bt->streams));
        }
        struct ks_stream *e = &bt->streams[i];
        memset(e, 0, sizeof(*e));
        e->cpu = -1;
        e->has_clock = bt_stream_class_borrow_default_clock_class_const(bt_stream_borrow_class_const(s)) != NULL;
        e->trace = bt_stream_borrow_trace_const(s);
        e->trace_index = ptrmap_get(&bt->trace_ids, e->trace, &created);
        e->id = bt_stream_get_id(s);
    }
    if (index) *index = i;
    return &bt->streams[i];
}

struct ks_sink {
    ks_bt *bt;
    int ended;
};

/// The deepest cause of the current error (cause 0: where the problem was found, e.g. a bad packet or metadata
/// line), on one line. Returns 1 when that cause is the muxer (the trace's streams go back in time).
static int take_error(char *err, size_t len, const char *fallback) {
    const bt_error *e = bt_current_thread_take_error();
    if (!e) { snprintf(err, len, "%s", fallback); return 0; }
    uint64_t n = bt_error_get_cause_count(e);
    const char *msg = n > 0 ? bt_error_cause_get_message(bt_error_borrow_cause_by_index(e, 0)) : NULL;
    snprintf(err, len, "%s", msg && *msg ? msg : fallback);
    for (char *p = err; *p; p++) if (*p == '\n' || *p == '\t') *p = ' ';
    // The muxer's own refusal is the deepest cause; an upstream decoding error merely passes through it.
    int muxer = 0;
    if (n > 0) {
        const bt_error_cause *c = bt_error_borrow_cause_by_index(e, 0);
        if (bt_error_cause_get_actor_type(c) == BT_ERROR_CAUSE_ACTOR_TYPE_COMPONENT) {
            const char *cls = bt_error_cause_component_actor_get_component_class_name(c);
            if (cls && strcmp(cls, "muxer") == 0) muxer = 1;
        }
    }
    bt_error_release(e);
    return muxer;
}

static void keep(ks_bt *bt, bt_message_array_const msgs, uint64_t count) {
    if (bt->count + count > bt->cap) {
        uint64_t cap = bt->cap ? bt->cap * 2 : 1024;
        while (cap < bt->count + count) cap *= 2;
        bt->msgs = realloc(bt->msgs, cap * sizeof(*bt->msgs));
        bt->cap = cap;
    }
    memcpy(bt->msgs + bt->count, msgs, count * sizeof(*msgs));
    bt->count += count;
}

static bt_graph_simple_sink_component_consume_func_status consume(bt_message_iterator *it, void *data) {
    struct ks_sink *s = data;
    if (s->ended) return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
    bt_message_array_const msgs;
    uint64_t count = 0;
    switch (bt_message_iterator_next(it, &msgs, &count)) {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
        keep(s->bt, msgs, count);
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
        s->ended = 1;
        s->bt->ended_sinks++;
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
    default:
        return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
    }
}

static void finalize(void *data) { free(data); }

static const bt_component_class_source *ctf_fs(char *err, size_t len, const bt_plugin **plugin) {
    if (bt_plugin_find("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, plugin) != BT_PLUGIN_FIND_STATUS_OK) {
        snprintf(err, len, "the babeltrace2 'ctf' plugin is not installed (Debian package babeltrace2)");
        return NULL;
    }
    return bt_plugin_borrow_source_component_class_by_name_const(*plugin, "fs");
}

static int add_sink(ks_bt *bt, const bt_port_output *out, int index, char *err, size_t len) {
    struct ks_sink *s = calloc(1, sizeof(*s));
    s->bt = bt;
    char name[64];
    snprintf(name, sizeof name, "ksleuth-%d", index);
    const bt_component_sink *sink = NULL;
    if (bt_graph_add_simple_sink_component(bt->graph, name, NULL, consume, finalize, s, &sink)
        != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
        free(s);
        take_error(err, len, "cannot add the reading sink");
        return -1;
    }
    if (bt_graph_connect_ports(bt->graph, out, bt_component_sink_borrow_input_port_by_index_const(sink, 0), NULL)
        != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
        take_error(err, len, "cannot connect the reading sink");
        return -1;
    }
    bt->sinks++;
    return 0;
}

ks_bt *ks_bt_open(const char *const *paths, size_t count, int use_muxer, char *err, size_t len) {
    bt_logging_set_global_level(BT_LOGGING_LEVEL_NONE);
    bt_current_thread_clear_error();
    ks_bt *bt = calloc(1, sizeof(*bt));
    bt->graph = bt_graph_create(0);
    const bt_plugin *ctf = NULL, *utils = NULL;
    const bt_component_class_source *fs = ctf_fs(err, len, &ctf);
    if (!fs) goto fail;
    const bt_component_filter *muxer = NULL;
    if (use_muxer) {
        if (bt_plugin_find("utils", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, &utils) != BT_PLUGIN_FIND_STATUS_OK) {
            snprintf(err, len, "the babeltrace2 'utils' plugin is not installed (Debian package babeltrace2)");
            goto fail;
        }
        const bt_component_class_filter *mc = bt_plugin_borrow_filter_component_class_by_name_const(utils, "muxer");
        if (bt_graph_add_filter_component(bt->graph, mc, "muxer", NULL, BT_LOGGING_LEVEL_NONE, &muxer)
            != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
            take_error(err, len, "cannot create the babeltrace2 muxer");
            goto fail;
        }
    }
    int sink_index = 0;
    for (size_t i = 0; i < count; i++) {
        bt_value *params = bt_value_map_create();
        bt_value *inputs = NULL;
        bt_value_map_insert_empty_array_entry(params, "inputs", &inputs);
        bt_value_array_append_string_element(inputs, paths[i]);
        char name[64];
        snprintf(name, sizeof name, "ctf-%zu", i);
        const bt_component_source *src = NULL;
        bt_graph_add_component_status st =
            bt_graph_add_source_component(bt->graph, fs, name, params, BT_LOGGING_LEVEL_NONE, &src);
        bt_value_put_ref(params);
        if (st != BT_GRAPH_ADD_COMPONENT_STATUS_OK) {
            take_error(err, len, "cannot read the CTF trace");
            goto fail;
        }
        uint64_t ports = bt_component_source_get_output_port_count(src);
        for (uint64_t p = 0; p < ports; p++) {
            const bt_port_output *out = bt_component_source_borrow_output_port_by_index_const(src, p);
            if (muxer) {
                uint64_t n = bt_component_filter_get_input_port_count(muxer);
                const bt_port_input *in = bt_component_filter_borrow_input_port_by_index_const(muxer, n - 1);
                if (bt_graph_connect_ports(bt->graph, out, in, NULL) != BT_GRAPH_CONNECT_PORTS_STATUS_OK) {
                    take_error(err, len, "cannot connect a CTF stream to the muxer");
                    goto fail;
                }
            } else if (sink_index >= KS_MAX_SINKS) {
                snprintf(err, len, "more than %d CTF streams", KS_MAX_SINKS);
                goto fail;
            } else if (add_sink(bt, out, sink_index++, err, len) != 0) {
                goto fail;
            }
        }
    }
    if (muxer && add_sink(bt, bt_component_filter_borrow_output_port_by_index_const(muxer, 0), 0, err, len) != 0)
        goto fail;
    if (bt->sinks == 0) {
        snprintf(err, len, "the CTF trace has no data streams");
        goto fail;
    }
    bt_plugin_put_ref(ctf);
    bt_plugin_put_ref(utils);
    return bt;
fail:
    bt_plugin_put_ref(ctf);
    bt_plugin_put_ref(utils);
    ks_bt_close(bt);
    return NULL;
}

static void release(ks_bt *bt) {
    for (uint64_t i = 0; i < bt->count; i++) bt_message_put_ref(bt->msgs[i]);
    bt->count = 0;
    bt->info_class = NULL;
}

void ks_bt_close(ks_bt *bt) {
    if (!bt) return;
    release(bt);
    free(bt->msgs);
    for (uint32_t i = 0; i < bt->class_ids.n; i++) free_class(bt->classes[i]);
    free(bt->classes);
    free(bt->streams);
    ptrmap_free(&bt->stream_ids);
    ptrmap_free(&bt->class_ids);
    ptrmap_free(&bt->trace_ids);
    bt_graph_put_ref(bt->graph);
    free(bt);
}

int ks_bt_next(ks_bt *bt, uint64_t *count, char *err, size_t len) {
    release(bt);
    while (bt->count == 0) {
        if (bt->ended_sinks >= bt->sinks) { *count = 0; return 0; }
        switch (bt_graph_run_once(bt->graph)) {
        case BT_GRAPH_RUN_ONCE_STATUS_OK:
        case BT_GRAPH_RUN_ONCE_STATUS_AGAIN:
            break;
        case BT_GRAPH_RUN_ONCE_STATUS_END:
            if (bt->count == 0) { *count = 0; return 0; }
            break;
        default:
            return take_error(err, len, "babeltrace2 failed reading the trace") ? -2 : -1;
        }
    }
    *count = bt->count;
    return 1;
}

const void *ks_bt_message(ks_bt *bt, uint64_t index) { return bt->msgs[index]; }

static int64_t int_value(const bt_field *f, int *ok) {
    if (!f) { *ok = 0; return 0; }
    bt_field_class_type t = bt_field_get_class_type(f);
    if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER)) { *ok = 1; return (int64_t)bt_field_integer_unsigned_get_value(f); }
    if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER)) { *ok = 1; return bt_field_integer_signed_get_value(f); }
    *ok = 0;
    return 0;
}

static const bt_field *member(const bt_field *s, const char *name) {
    if (!s || bt_field_get_class_type(s) != BT_FIELD_CLASS_TYPE_STRUCTURE) return NULL;
    return bt_field_structure_borrow_member_field_by_name_const(s, name);
}

/// The index of member `name` of structure class `fc` when it is an integer (`want_string` = 0) or a string
/// (`want_string` = 1); -1 when absent or of another type.
static int64_t member_index(const bt_field_class *fc, const char *name, int want_string) {
    if (!fc || bt_field_class_get_type(fc) != BT_FIELD_CLASS_TYPE_STRUCTURE) return -1;
    uint64_t n = bt_field_class_structure_get_member_count(fc);
    for (uint64_t i = 0; i < n; i++) {
        const bt_field_class_structure_member *m = bt_field_class_structure_borrow_member_by_index_const(fc, i);
        if (strcmp(bt_field_class_structure_member_get_name(m), name) != 0) continue;
        bt_field_class_type t = bt_field_class_get_type(bt_field_class_structure_member_borrow_field_class_const(m));
        if (want_string) return t == BT_FIELD_CLASS_TYPE_STRING ? (int64_t)i : -1;
        return bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER)
            || bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER) ? (int64_t)i : -1;
    }
    return -1;
}

static int64_t first_index(const bt_field_class *fc, const char *a, const char *b) {
    int64_t i = member_index(fc, a, 0);
    return i >= 0 ? i : member_index(fc, b, 0);
}

/// One member of an event class's payload, as rendered: its `key=` text and how to write its value.
enum { M_SKIP, M_UINT, M_UINT_HEX, M_SINT, M_PRIO_U, M_PRIO_S, M_STRING, M_STRUCT, M_GENERIC };
struct ks_member {
    uint8_t kind;
    int8_t which;        // KS_SW_* or -1
    uint16_t key_len;
    uint64_t index;
    char *key;           // `key=` (M_STRUCT: the member name, the prefix of the nested keys)
};

/// What an event class needs per event, computed at its first event: name, where the context fields ksleuth
/// uses are (member indices, -1 when absent), and the payload rendering plan (built per `lttng` setting).
struct ks_class {
    const char *name;
    int64_t tid[2], pid[2], procname[2], perf_cpu[2];  // [0] common context, [1] specific context
    int any_context;
    int64_t payload_perf_cpu;
    int64_t packet_cpu;                                 // cpu_id in the packet context
    int plan_lttng;                                     // -1: no plan yet
    int payload_struct;
    uint64_t n;
    struct ks_member *m;
};

static void free_class(struct ks_class *c) {
    if (!c) return;
    for (uint64_t i = 0; i < c->n; i++) free(c->m[i].key);
    free(c->m);
    free(c);
}

static struct ks_class *class_entry(ks_bt *bt, const bt_event_class *ec, int32_t *index) {
    int created;
    int32_t i = ptrmap_get(&bt->class_ids, ec, &created);
    if (index) *index = i;
    if (!created) return bt->classes[i];
    if ((uint32_t)i >= bt->classes_cap) {
        bt->classes_cap = bt->classes_cap ? bt->classes_cap * 2 : 64;
        bt->classes = realloc(bt->classes, bt->classes_cap * sizeof(*bt->classes));
    }
    struct ks_class *c = calloc(1, sizeof(*c));
    c->name = bt_event_class_get_name(ec);
    const bt_stream_class *sc = bt_event_class_borrow_stream_class_const(ec);
    const bt_field_class *ctx[2] = { bt_stream_class_borrow_event_common_context_field_class_const(sc),
                                     bt_event_class_borrow_specific_context_field_class_const(ec) };
    for (int k = 0; k < 2; k++) {
        c->tid[k] = first_index(ctx[k], "tid", "vtid");
        c->pid[k] = first_index(ctx[k], "pid", "vpid");
        c->procname[k] = member_index(ctx[k], "procname", 1);
        c->perf_cpu[k] = member_index(ctx[k], "perf_cpu", 0);
        if (c->tid[k] >= 0 || c->pid[k] >= 0 || c->procname[k] >= 0 || c->perf_cpu[k] >= 0) c->any_context = 1;
    }
    c->payload_perf_cpu = member_index(bt_event_class_borrow_payload_field_class_const(ec), "perf_cpu", 0);
    c->packet_cpu = member_index(bt_stream_class_borrow_packet_context_field_class_const(sc), "cpu_id", 0);
    c->plan_lttng = -1;
    bt->classes[i] = c;
    return c;
}

static int64_t int_at(const bt_field *s, int64_t i) {
    int ok;
    return int_value(bt_field_structure_borrow_member_field_by_index_const(s, (uint64_t)i), &ok);
}

void ks_bt_info(ks_bt *bt, uint64_t index, ks_event_info *info) {
    const bt_message *m = bt->msgs[index];
    memset(info, 0, sizeof(*info));
    info->ns = INT64_MIN;
    info->cpu = info->tid = info->pid = info->discarded = -1;
    info->class_index = info->stream_index = info->trace_index = -1;
    const bt_stream *stream = NULL;
    struct ks_stream *se = NULL;
    int32_t si = -1;
    const bt_clock_snapshot *snap = NULL;
    switch (bt_message_get_type(m)) {
    case BT_MESSAGE_TYPE_EVENT: {
        info->kind = KS_MSG_EVENT;
        const bt_event *ev = bt_message_event_borrow_event_const(m);
        const bt_event_class *ec = bt_event_borrow_class_const(ev);
        struct ks_class *c = class_entry(bt, ec, &info->class_index);
        bt->info_index = index;
        bt->info_class = c;
        info->event_class = ec;
        info->name = c->name;
        stream = bt_event_borrow_stream_const(ev);
        se = stream_entry(bt, stream, &si);
        if (se->has_clock) snap = bt_message_event_borrow_default_clock_snapshot_const(m);
        if (se->cpu_set) {
            info->cpu = se->cpu;
        } else if (c->packet_cpu >= 0) {
            const bt_packet *pkt = bt_event_borrow_packet_const(ev);
            const bt_field *pc = pkt ? bt_packet_borrow_context_field_const(pkt) : NULL;
            if (pc) info->cpu = int_at(pc, c->packet_cpu);
        }
        // Context fields added with `lttng add-context`: tid / vtid, pid / vpid, procname.
        if (c->any_context) {
            const bt_field *ctxs[2] = { bt_event_borrow_common_context_field_const(ev),
                                        bt_event_borrow_specific_context_field_const(ev) };
            for (int i = 0; i < 2; i++) {
                const bt_field *x = ctxs[i];
                if (!x) continue;
                if (c->tid[i] >= 0) info->tid = int_at(x, c->tid[i]);
                if (c->pid[i] >= 0) info->pid = int_at(x, c->pid[i]);
                if (c->procname[i] >= 0)
                    info->procname = bt_field_string_get_value(bt_field_structure_borrow_member_field_by_index_const(x, (uint64_t)c->procname[i]));
                // perf -> CTF writes the CPU as an event field.
                if (c->perf_cpu[i] >= 0 && info->cpu < 0) info->cpu = int_at(x, c->perf_cpu[i]);
            }
        }
        if (info->cpu < 0 && c->payload_perf_cpu >= 0) {
            const bt_field *p = bt_event_borrow_payload_field_const(ev);
            if (p) info->cpu = int_at(p, c->payload_perf_cpu);
        }
        break;
    }
    case BT_MESSAGE_TYPE_DISCARDED_EVENTS: {
        info->kind = KS_MSG_DISCARDED_EVENTS;
        stream = bt_message_discarded_events_borrow_stream_const(m);
        uint64_t n;
        if (bt_message_discarded_events_get_count(m, &n) == BT_PROPERTY_AVAILABILITY_AVAILABLE) info->discarded = (int64_t)n;
        if (bt_stream_class_discarded_events_have_default_clock_snapshots(bt_stream_borrow_class_const(stream)))
            snap = bt_message_discarded_events_borrow_end_default_clock_snapshot_const(m);
        break;
    }
    case BT_MESSAGE_TYPE_DISCARDED_PACKETS: {
        info->kind = KS_MSG_DISCARDED_PACKETS;
        stream = bt_message_discarded_packets_borrow_stream_const(m);
        uint64_t n;
        if (bt_message_discarded_packets_get_count(m, &n) == BT_PROPERTY_AVAILABILITY_AVAILABLE) info->discarded = (int64_t)n;
        if (bt_stream_class_discarded_packets_have_default_clock_snapshots(bt_stream_borrow_class_const(stream)))
            snap = bt_message_discarded_packets_borrow_end_default_clock_snapshot_const(m);
        break;
    }
    case BT_MESSAGE_TYPE_PACKET_BEGINNING: {
        const bt_packet *pkt = bt_message_packet_beginning_borrow_packet_const(m);
        int ok;
        int64_t v = int_value(member(bt_packet_borrow_context_field_const(pkt), "cpu_id"), &ok);
        if (ok) {
            struct ks_stream *e = stream_entry(bt, bt_packet_borrow_stream_const(pkt), NULL);
            e->cpu = v;
            e->cpu_set = 1;
        }
        return;
    }
    default:
        return;
    }
    if (snap) {
        int64_t ns;
        if (bt_clock_snapshot_get_ns_from_origin(snap, &ns) == BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK) info->ns = ns;
    }
    if (stream) {
        if (!se) se = stream_entry(bt, stream, &si);
        info->trace = se->trace;
        info->stream = stream;
        info->stream_id = se->id;
        info->stream_index = si;
        info->trace_index = se->trace_index;
    }
}

const char *ks_bt_trace_key(const void *trace, char *buf, size_t cap) {
    if (!trace) return NULL;
    bt_uuid u = bt_trace_get_uuid(trace);
    if (u) {
        size_t k = 0;
        for (int i = 0; i < 16 && k + 3 < cap; i++) k += (size_t)snprintf(buf + k, cap - k, "%02x", u[i]);
        return buf;
    }
    const char *name = bt_trace_get_name(trace);
    snprintf(buf, cap, "%s", name ? name : "");
    return buf;
}

struct out { char *p; size_t len, cap; int full; };

/// Copies `n` bytes; keys and numbers are short, so those are copied inline (two overlapping fixed-size moves)
/// rather than through a libc call.
static inline void copy_short(char *d, const char *s, size_t n) {
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8); memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8); memcpy(d + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4); memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4); memcpy(d + n - 4, &b, 4);
    } else if (n > 0 && n < 4) {
        d[0] = s[0]; d[n / 2] = s[n / 2]; d[n - 1] = s[n - 1];
    } else if (n > 16) {
        memcpy(d, s, n);
    }
}

static inline void put(struct out *o, const char *s, size_t n) {
    if (o->len + n > o->cap) { o->full = 1; return; }
    copy_short(o->p + o->len, s, n);
    o->len += n;
}

static inline void put_char(struct out *o, char c) {
    if (o->len + 1 > o->cap) { o->full = 1; return; }
    o->p[o->len++] = c;
}
static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

static void render_value(struct out *o, const bt_field *f);

static const char digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

static void put_uint(struct out *o, uint64_t v) {
    char b[20];
    int i = 20;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        i -= 2;
        memcpy(b + i, digits2 + 2 * r, 2);
    }
    if (v >= 10) { i -= 2; memcpy(b + i, digits2 + 2 * v, 2); }
    else b[--i] = (char)('0' + v);
    put(o, b + i, (size_t)(20 - i));
}

/// `0x` and lowercase hex digits, no padding (printf's `0x%" PRIx64 "`).
static void put_hex(struct out *o, uint64_t v) {
    char b[18];
    int i = 18;
    do { b[--i] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
    b[--i] = 'x';
    b[--i] = '0';
    put(o, b + i, (size_t)(18 - i));
}

/// A string value, with line breaks and tabs turned into blanks (one event, one line).
static void put_string(struct out *o, const bt_field *f) {
    const char *s = bt_field_string_get_value(f);
    uint64_t n = bt_field_string_get_length(f);
    if (o->len + n > o->cap) { o->full = 1; n = o->cap - o->len; }
    char *d = o->p + o->len;
    copy_short(d, s, n);
    // Eight bytes at a time: only a word holding a byte below 0x0e can hold a tab or a line break.
    uint64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, d + i, 8);
        if (((w - 0x0e0e0e0e0e0e0e0eULL) & ~w & 0x8080808080808080ULL) == 0) continue;
        for (uint64_t j = i; j < i + 8; j++)
            if (d[j] == '\n' || d[j] == '\r' || d[j] == '\t') d[j] = ' ';
    }
    for (; i < n; i++)
        if (d[i] == '\n' || d[i] == '\r' || d[i] == '\t') d[i] = ' ';
    o->len += n;
}

static void put_int(struct out *o, int64_t v) {
    if (v < 0) { put_char(o, '-'); put_uint(o, (uint64_t)(-(v + 1)) + 1); } else put_uint(o, (uint64_t)v);
}

static int ends_with(const char *name, size_t n, const char *suffix, size_t k) {
    return n >= k && memcmp(name + n - k, suffix, k) == 0;
}

/// Writes the key; returns which sched_switch value it names (KS_SW_*), or -1.
static int render_key(struct out *o, const char *prefix, const char *name, int lttng) {
    if (prefix && *prefix) { puts_(o, prefix); put(o, ".", 1); }
    size_t n = strlen(name);
    // LTTng prefixes some field names with `_` when they clash with CTF keywords.
    if (n > 1 && name[0] == '_') { name++; n--; }
    int which = -1;
    if (n >= 9 && name[0] == 'p' && memcmp(name, "prev_", 5) == 0) {
        if (n == 9 && memcmp(name + 5, "comm", 4) == 0) which = KS_SW_PREV_COMM;
        else if (n == 10 && memcmp(name + 5, "state", 5) == 0) which = KS_SW_PREV_STATE;
    } else if (n >= 9 && name[0] == 'n' && memcmp(name, "next_comm", 9) == 0 && n == 9) {
        which = KS_SW_NEXT_COMM;
    }
    if (!lttng) {
        if (n == 8 && memcmp(name, "prev_pid", 8) == 0) which = KS_SW_PREV_PID;
        if (n == 8 && memcmp(name, "next_pid", 8) == 0) which = KS_SW_NEXT_PID;
        put(o, name, n);
        return which;
    }
    if (n == 3 && name[1] == 'i' && name[2] == 'd') {
        if (name[0] == 't') { puts_(o, "pid"); return which; }
        if (name[0] == 'p') { puts_(o, "tgid"); return which; }
    }
    if (ends_with(name, n, "_tid", 4)) {
        if (n == 8 && memcmp(name, "prev", 4) == 0) which = KS_SW_PREV_PID;
        if (n == 8 && memcmp(name, "next", 4) == 0) which = KS_SW_NEXT_PID;
        put(o, name, n - 4); puts_(o, "_pid");
        return which;
    }
    if (ends_with(name, n, "_pid", 4)) { put(o, name, n - 4); puts_(o, "_tgid"); return which; }
    put(o, name, n);
    return which;
}

static void render_struct(struct out *o, const bt_field *s, const char *prefix, int lttng, long *spans) {
    const bt_field_class *fc = bt_field_borrow_class_const(s);
    uint64_t n = bt_field_class_structure_get_member_count(fc);
    for (uint64_t i = 0; i < n && !o->full; i++) {
        const char *name = bt_field_class_structure_member_get_name(bt_field_class_structure_borrow_member_by_index_const(fc, i));
        const bt_field *f = bt_field_structure_borrow_member_field_by_index_const(s, i);
        if (bt_field_get_class_type(f) == BT_FIELD_CLASS_TYPE_STRUCTURE) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s%s%s", prefix && *prefix ? prefix : "", prefix && *prefix ? "." : "", name);
            render_struct(o, f, sub, lttng, NULL);
            continue;
        }
        // Sequence lengths (`_name_length`) are CTF plumbing, not data.
        size_t nl = strlen(name);
        if (name[0] == '_' && ends_with(name, nl, "_length", 7)) continue;
        if (o->len > 0) put(o, " ", 1);
        int which = render_key(o, prefix, name, lttng);
        put(o, "=", 1);
        size_t value_at = o->len;
        // ftrace prints priorities as the kernel's prio (120 for nice 0); LTTng subtracts 100.
        int done = 0;
        if (lttng && ends_with(name, nl, "prio", 4)) {
            int ok;
            int64_t v = int_value(f, &ok);
            if (ok) { put_int(o, v < 100 ? v + 100 : v); done = 1; }
        }
        if (!done) render_value(o, f);
        if (which >= 0 && spans) { spans[2 * which] = (long)value_at; spans[2 * which + 1] = (long)(o->len - value_at); }
    }
}

static void render_value(struct out *o, const bt_field *f) {
    char b[64];
    int k;
    bt_field_class_type t = bt_field_get_class_type(f);
    if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER)) {
        uint64_t v = bt_field_integer_unsigned_get_value(f);
        if (bt_field_class_integer_get_preferred_display_base(bt_field_borrow_class_const(f)) == BT_FIELD_CLASS_INTEGER_PREFERRED_DISPLAY_BASE_HEXADECIMAL)
            put_hex(o, v);
        else
            put_uint(o, v);
    } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER)) {
        put_int(o, bt_field_integer_signed_get_value(f));
    } else if (t == BT_FIELD_CLASS_TYPE_STRING) {
        put_string(o, f);
    } else if (t == BT_FIELD_CLASS_TYPE_BOOL) {
        put(o, bt_field_bool_get_value(f) ? "1" : "0", 1);
    } else if (t == BT_FIELD_CLASS_TYPE_BIT_ARRAY) {
        put_hex(o, bt_field_bit_array_get_value_as_integer(f));
    } else if (t == BT_FIELD_CLASS_TYPE_SINGLE_PRECISION_REAL) {
        k = snprintf(b, sizeof b, "%g", (double)bt_field_real_single_precision_get_value(f));
        put(o, b, (size_t)k);
    } else if (t == BT_FIELD_CLASS_TYPE_DOUBLE_PRECISION_REAL) {
        k = snprintf(b, sizeof b, "%g", bt_field_real_double_precision_get_value(f));
        put(o, b, (size_t)k);
    } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_ARRAY)) {
        uint64_t n = bt_field_array_get_length(f);
        put(o, "{", 1);
        for (uint64_t i = 0; i < n && !o->full; i++) {
            if (i) put(o, " ", 1);
            render_value(o, bt_field_array_borrow_element_field_by_index_const(f, i));
        }
        put(o, "}", 1);
    } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_OPTION)) {
        const bt_field *v = bt_field_option_borrow_field_const(f);
        if (v) render_value(o, v); else puts_(o, "(none)");
    } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_VARIANT)) {
        render_value(o, bt_field_variant_borrow_selected_option_field_const(f));
    } else if (t == BT_FIELD_CLASS_TYPE_STRUCTURE) {
        put(o, "{", 1);
        struct out inner = { o->p + o->len, 0, o->cap - o->len, 0 };
        render_struct(&inner, f, NULL, 0, NULL);
        o->len += inner.len;
        o->full |= inner.full;
        put(o, "}", 1);
    } else {
        put(o, "?", 1);
    }
}

/// The payload plan of class `c`: per member, its `key=` text (LTTng names mapped) and value writer, chosen from
/// the member's field class once instead of per event. Produces exactly what `render_struct` writes.
static void build_plan(struct ks_class *c, const bt_event_class *ec, int lttng) {
    for (uint64_t i = 0; i < c->n; i++) free(c->m[i].key);
    free(c->m);
    c->m = NULL;
    c->n = 0;
    c->plan_lttng = lttng;
    const bt_field_class *fc = bt_event_class_borrow_payload_field_class_const(ec);
    c->payload_struct = fc && bt_field_class_get_type(fc) == BT_FIELD_CLASS_TYPE_STRUCTURE;
    if (!c->payload_struct) return;
    uint64_t n = bt_field_class_structure_get_member_count(fc);
    c->m = calloc(n ? n : 1, sizeof(*c->m));
    c->n = n;
    for (uint64_t i = 0; i < n; i++) {
        const bt_field_class_structure_member *mc = bt_field_class_structure_borrow_member_by_index_const(fc, i);
        const char *name = bt_field_class_structure_member_get_name(mc);
        const bt_field_class *mf = bt_field_class_structure_member_borrow_field_class_const(mc);
        bt_field_class_type t = bt_field_class_get_type(mf);
        struct ks_member *m = &c->m[i];
        m->index = i;
        m->which = -1;
        size_t nl = strlen(name);
        if (t == BT_FIELD_CLASS_TYPE_STRUCTURE) { m->kind = M_STRUCT; m->key = strdup(name); continue; }
        if (name[0] == '_' && ends_with(name, nl, "_length", 7)) { m->kind = M_SKIP; continue; }
        // The mapped name is at most 2 bytes longer (`_pid` -> `_tgid`), then `=`.
        struct out k = { malloc(nl + 8), 0, nl + 8, 0 };
        m->which = (int8_t)render_key(&k, NULL, name, lttng);
        put(&k, "=", 1);
        m->key = k.p;
        m->key_len = (uint16_t)(k.len < 65535 ? k.len : 65535);
        int is_u = bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER);
        int is_s = bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);
        if (lttng && ends_with(name, nl, "prio", 4) && (is_u || is_s)) m->kind = is_u ? M_PRIO_U : M_PRIO_S;
        else if (is_u) m->kind = bt_field_class_integer_get_preferred_display_base(mf)
                                 == BT_FIELD_CLASS_INTEGER_PREFERRED_DISPLAY_BASE_HEXADECIMAL ? M_UINT_HEX : M_UINT;
        else if (is_s) m->kind = M_SINT;
        else if (t == BT_FIELD_CLASS_TYPE_STRING) m->kind = M_STRING;
        else m->kind = M_GENERIC;
    }
}

long ks_bt_render(ks_bt *bt, uint64_t index, char *buf, size_t cap, int lttng, long *spans, int64_t *ints) {
    const bt_event *ev = bt_message_event_borrow_event_const(bt->msgs[index]);
    const bt_event_class *ec = bt_event_borrow_class_const(ev);
    struct ks_class *c = bt->info_class && bt->info_index == index ? bt->info_class : class_entry(bt, ec, NULL);
    if (c->plan_lttng != lttng) build_plan(c, ec, lttng);
    struct out o = { buf, 0, cap, 0 };
    const bt_field *payload = bt_event_borrow_payload_field_const(ev);
    if (!payload || !c->payload_struct) return 0;
    for (uint64_t i = 0; i < c->n && !o.full; i++) {
        const struct ks_member *m = &c->m[i];
        if (m->kind == M_SKIP) continue;
        const bt_field *f = bt_field_structure_borrow_member_field_by_index_const(payload, m->index);
        if (m->kind == M_STRUCT) { render_struct(&o, f, m->key, lttng, NULL); continue; }
        if (o.len > 0) put_char(&o, ' ');
        put(&o, m->key, m->key_len);
        size_t value_at = o.len;
        switch (m->kind) {
        case M_UINT: case M_UINT_HEX: {
            uint64_t v = bt_field_integer_unsigned_get_value(f);
            if (m->kind == M_UINT) put_uint(&o, v); else put_hex(&o, v);
            if (ints && m->which >= 0 && v <= (uint64_t)INT64_MAX) ints[m->which] = (int64_t)v;
            break;
        }
        case M_SINT: {
            int64_t v = bt_field_integer_signed_get_value(f);
            put_int(&o, v);
            if (ints && m->which >= 0 && v != INT64_MIN) ints[m->which] = v;
            break;
        }
        case M_PRIO_U: case M_PRIO_S: {
            // ftrace prints priorities as the kernel's prio (120 for nice 0); LTTng subtracts 100.
            int64_t v = m->kind == M_PRIO_U ? (int64_t)bt_field_integer_unsigned_get_value(f)
                                            : bt_field_integer_signed_get_value(f);
            put_int(&o, v < 100 ? v + 100 : v);
            break;
        }
        case M_STRING:
            put_string(&o, f);
            break;
        default:
            render_value(&o, f);
        }
        if (m->which >= 0 && spans) { spans[2 * m->which] = (long)value_at; spans[2 * m->which + 1] = (long)(o.len - value_at); }
    }
    return o.full ? -(long)o.len - 1 : (long)o.len;
}

const char *ks_bt_env(const void *trace, const char *name, char *buf, size_t cap) {
    if (!trace) return NULL;
    const bt_value *v = bt_trace_borrow_environment_entry_value_by_name_const(trace, name);
    if (!v) return NULL;
    if (bt_value_get_type(v) == BT_VALUE_TYPE_STRING) { snprintf(buf, cap, "%s", bt_value_string_get(v)); return buf; }
    if (bt_value_get_type(v) == BT_VALUE_TYPE_SIGNED_INTEGER) { snprintf(buf, cap, "%" PRId64, bt_value_integer_signed_get(v)); return buf; }
    if (bt_value_get_type(v) == BT_VALUE_TYPE_UNSIGNED_INTEGER) { snprintf(buf, cap, "%" PRIu64, bt_value_integer_unsigned_get(v)); return buf; }
    return NULL;
}
