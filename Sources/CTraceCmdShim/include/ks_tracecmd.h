// A faster rendering of trace event payloads than tep_print_event, giving the same text.
//
// Each event type's print fmt is compiled once into literal text, plain field conversions (rendered here from the
// record), and "groups": conversions whose argument is an expression (__print_flags, __print_symbolic, ?:, %ps)
// over at most three numeric fields. A group's text is memoized by those fields' values, taken from libtraceevent's
// own rendering the first time a value combination is seen, so the file's print fmt stays the reference. The first
// records of every type are rendered both ways and compared; any difference, or a print fmt outside this subset,
// sends that type back to tep_print_event for good.
#ifndef KS_TRACECMD_H
#define KS_TRACECMD_H

struct tep_handle;
struct tep_event;
struct tep_record;
struct trace_seq;
struct tracecmd_input;

/// tracecmd_open, with a crash in it turned into a failure: libtraceevent dereferences NULL on some corrupt event
/// formats while libtracecmd parses them (`trace-cmd report` segfaults on such files), and no check of the bytes can
/// foresee that. SIGSEGV/SIGBUS/SIGFPE/SIGILL raised by the calling thread during the open jump back here; the
/// handle is then NULL and `*crash_signal` the signal (0 otherwise). The library's state after such a jump is not to
/// be trusted: the caller reports the file as unusable and opens nothing more from it.
struct tracecmd_input *ks_tracecmd_open_guarded(const char *path, int flags, int *crash_signal);

typedef struct ks_fast ks_fast;

ks_fast *ks_fast_create(struct tep_handle *tep);
void ks_fast_destroy(ks_fast *f);

/// Renders the payload of `record` (of type `event`) into `buf`: returns its length, or -1 when this event type
/// must be rendered by tep_print_event (the caller then does that). `seq` is scratch space.
int ks_fast_render(ks_fast *f, struct tep_event *event, struct tep_record *record, char *buf, int cap,
                   struct trace_seq *seq);

/// Loads the trace_printk formats of a v6 `.dat` (libtraceevent has no public lookup for them) so that `bprint`
/// records are rendered here too, checked against tep_print_event for the first records of each format.
/// 0 when loaded; -1 otherwise (bprint records then go to tep_print_event).
int ks_fast_load_printk(ks_fast *f, const char *path);

#endif
