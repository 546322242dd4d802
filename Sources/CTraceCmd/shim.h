// libtracecmd / libtraceevent for Swift (the TraceDatReader target).
// Swift cannot call C variadic functions, so the one we need (tep_print_event) is wrapped in a static inline
// function here; a few functions libtracecmd exports but does not declare in <trace-cmd.h> are declared too.
#ifndef KSLEUTH_CTRACECMD_SHIM_H
#define KSLEUTH_CTRACECMD_SHIM_H

#include <event-parse.h>
#include <trace-seq.h>
#include <trace-cmd.h>

// Exported by libtracecmd.so.1 (trace-cmd 3.x) but missing from its public header.
struct tep_record *tracecmd_read_next_data(struct tracecmd_input *handle, int *rec_cpu);
struct tep_record *tracecmd_peek_next_data(struct tracecmd_input *handle, int *rec_cpu);
int tracecmd_cpus(struct tracecmd_input *handle);
unsigned long tracecmd_get_in_file_version(struct tracecmd_input *handle);
const char *tracecmd_get_trace_clock(struct tracecmd_input *handle);

/// The event's text as its own print fmt renders it (what tracefs and `trace-cmd report -N` print after
/// `name: `), appended to `s`.
static inline void ks_tep_print_info(struct tep_handle *tep, struct trace_seq *s, struct tep_record *record) {
    tep_print_event(tep, s, record, "%s", TEP_PRINT_INFO);
}

/// `name=value` for every field, as `trace-cmd report -R` prints (used when the print fmt cannot be rendered).
static inline void ks_tep_print_raw(struct tep_handle *tep, struct trace_seq *s, struct tep_record *record) {
    tep_print_event(tep, s, record, "%s", TEP_PRINT_INFO_RAW);
}

#endif
