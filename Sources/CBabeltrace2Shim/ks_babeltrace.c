#include "ks_babeltrace.h"
#include <babeltrace2/babeltrace.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KS_MAX_SINKS 4096

struct ks_bt {
    bt_graph *graph;
    // Messages handed out by the last ks_bt_next (owned: put on the next call).
    const bt_message **msgs;
    uint64_t count, cap;
    int ended_sinks, sinks;
    // cpu_id of each stream's current packet, set at its packet-beginning message (events look it up by stream).
    struct { const bt_stream *stream; int64_t cpu; } *cpus;
    int ncpus, cpus_cap, last;
};

static int64_t *stream_cpu(ks_bt *bt, const bt_stream *s, int insert) {
    if (bt->ncpus > 0 && bt->cpus[bt->last].stream == s) return &bt->cpus[bt->last].cpu;
    for (int i = 0; i < bt->ncpus; i++)
        if (bt->cpus[i].stream == s) { bt->last = i; return &bt->cpus[i].cpu; }
    if (!insert) return NULL;
    if (bt->ncpus == bt->cpus_cap) {
        bt->cpus_cap = bt->cpus_cap ? bt->cpus_cap * 2 : 16;
        bt->cpus = realloc(bt->cpus, (size_t)bt->cpus_cap * sizeof(*bt->cpus));
    }
    bt->cpus[bt->ncpus].stream = s;
    bt->cpus[bt->ncpus].cpu = -1;
    bt->last = bt->ncpus++;
    return &bt->cpus[bt->last].cpu;
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
}

void ks_bt_close(ks_bt *bt) {
    if (!bt) return;
    release(bt);
    free(bt->msgs);
    free(bt->cpus);
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

void ks_bt_info(ks_bt *bt, uint64_t index, ks_event_info *info) {
    const bt_message *m = bt->msgs[index];
    memset(info, 0, sizeof(*info));
    info->ns = INT64_MIN;
    info->cpu = info->tid = info->pid = info->discarded = -1;
    const bt_stream *stream = NULL;
    const bt_clock_snapshot *snap = NULL;
    switch (bt_message_get_type(m)) {
    case BT_MESSAGE_TYPE_EVENT: {
        info->kind = KS_MSG_EVENT;
        const bt_event *ev = bt_message_event_borrow_event_const(m);
        const bt_event_class *ec = bt_event_borrow_class_const(ev);
        info->event_class = ec;
        info->name = bt_event_class_get_name(ec);
        stream = bt_event_borrow_stream_const(ev);
        if (bt_stream_class_borrow_default_clock_class_const(bt_stream_borrow_class_const(stream)))
            snap = bt_message_event_borrow_default_clock_snapshot_const(m);
        const bt_packet *pkt = bt_event_borrow_packet_const(ev);
        int ok = 0;
        int64_t *known = stream_cpu(bt, stream, 0);
        if (known) {
            info->cpu = *known;
        } else if (pkt) {
            int64_t v = int_value(member(bt_packet_borrow_context_field_const(pkt), "cpu_id"), &ok);
            if (ok) info->cpu = v;
        }
        (void)ok;
        // Context fields added with `lttng add-context`: tid / vtid, pid / vpid, procname.
        const bt_field *ctxs[2] = { bt_event_borrow_common_context_field_const(ev),
                                    bt_event_borrow_specific_context_field_const(ev) };
        for (int i = 0; i < 2; i++) {
            const bt_field *c = ctxs[i];
            if (!c) continue;
            int64_t v = int_value(member(c, "tid"), &ok);
            if (!ok) v = int_value(member(c, "vtid"), &ok);
            if (ok) info->tid = v;
            v = int_value(member(c, "pid"), &ok);
            if (!ok) v = int_value(member(c, "vpid"), &ok);
            if (ok) info->pid = v;
            const bt_field *p = member(c, "procname");
            if (p && bt_field_get_class_type(p) == BT_FIELD_CLASS_TYPE_STRING) info->procname = bt_field_string_get_value(p);
            // perf -> CTF writes the CPU as an event field.
            v = int_value(member(c, "perf_cpu"), &ok);
            if (ok && info->cpu < 0) info->cpu = v;
        }
        if (info->cpu < 0) {
            int64_t v = int_value(member(bt_event_borrow_payload_field_const(ev), "perf_cpu"), &ok);
            if (ok) info->cpu = v;
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
        if (ok) *stream_cpu(bt, bt_packet_borrow_stream_const(pkt), 1) = v;
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
        info->trace = bt_stream_borrow_trace_const(stream);
        info->stream = stream;
        info->stream_id = bt_stream_get_id(stream);
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

static void put(struct out *o, const char *s, size_t n) {
    if (o->len + n > o->cap) { o->full = 1; return; }
    memcpy(o->p + o->len, s, n);
    o->len += n;
}
static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

static void render_value(struct out *o, const bt_field *f);

static void put_uint(struct out *o, uint64_t v) {
    char t[24]; int n = 0;
    do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    char b[24];
    for (int i = 0; i < n; i++) b[i] = t[n - 1 - i];
    put(o, b, (size_t)n);
}

static void put_int(struct out *o, int64_t v) {
    if (v < 0) { put(o, "-", 1); put_uint(o, (uint64_t)(-(v + 1)) + 1); } else put_uint(o, (uint64_t)v);
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
            k = snprintf(b, sizeof b, "0x%" PRIx64, v);
        else { put_uint(o, v); return; }
        put(o, b, (size_t)k);
    } else if (bt_field_class_type_is(t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER)) {
        put_int(o, bt_field_integer_signed_get_value(f));
    } else if (t == BT_FIELD_CLASS_TYPE_STRING) {
        const char *s = bt_field_string_get_value(f);
        uint64_t n = bt_field_string_get_length(f);
        if (o->len + n > o->cap) { o->full = 1; n = o->cap - o->len; }
        for (uint64_t i = 0; i < n; i++) {
            char c = s[i];
            put(o, (c == '\n' || c == '\r' || c == '\t') ? " " : &s[i], 1);
        }
    } else if (t == BT_FIELD_CLASS_TYPE_BOOL) {
        put(o, bt_field_bool_get_value(f) ? "1" : "0", 1);
    } else if (t == BT_FIELD_CLASS_TYPE_BIT_ARRAY) {
        k = snprintf(b, sizeof b, "0x%" PRIx64, bt_field_bit_array_get_value_as_integer(f));
        put(o, b, (size_t)k);
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

long ks_bt_render(ks_bt *bt, uint64_t index, char *buf, size_t cap, int lttng, long *spans) {
    const bt_event *ev = bt_message_event_borrow_event_const(bt->msgs[index]);
    const bt_field *payload = bt_event_borrow_payload_field_const(ev);
    struct out o = { buf, 0, cap, 0 };
    if (payload && bt_field_get_class_type(payload) == BT_FIELD_CLASS_TYPE_STRUCTURE) render_struct(&o, payload, NULL, lttng, spans);
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
