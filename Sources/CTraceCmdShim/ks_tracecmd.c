#include "ks_tracecmd.h"
#include <event-parse.h>
#include <trace-seq.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ctype.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <trace-cmd/trace-cmd.h>

#define KS_VERIFY 8           // records of each type rendered both ways
#define KS_MEMO_MAX 4096      // values remembered per group
#define KS_MAX_KEYS 3

enum { SEG_LIT, SEG_NUM, SEG_STR, SEG_GROUP };

typedef struct memo_entry { uint64_t k[KS_MAX_KEYS]; char *text; int len; int used; } memo_entry;

typedef struct seg {
    int kind;
    const char *lit; int litlen;                  // SEG_LIT
    struct tep_format_field *field;               // SEG_NUM, SEG_STR
    char spec[24]; char conv; int bits; int plain; // SEG_NUM: printf spec normalized to ll, value width
    int dynamic;                                  // SEG_STR: __data_loc string
    struct tep_format_field *keys[KS_MAX_KEYS]; int nkeys;  // SEG_GROUP
    memo_entry *memo; int memo_cap, memo_count, memo_full;
} seg;

typedef struct compiled {
    int state;      // 0 not compiled, 1 native, -1 fallback
    int verified;
    int nseg;
    seg *segs;
} compiled;

typedef struct printk_fmt {
    uint64_t addr;
    char *fmt;
    int state;      // 0 unverified, >0 records verified, -1 fallback
} printk_fmt;

struct ks_fast {
    struct tep_handle *tep;
    compiled *by_id;
    int cap;
    int long_size;
    printk_fmt *printk;     // sorted by addr
    int nprintk;
};

ks_fast *ks_fast_create(struct tep_handle *tep) {
    ks_fast *f = calloc(1, sizeof(*f));
    f->tep = tep;
    f->long_size = tep_get_long_size(tep);
    if (f->long_size != 4 && f->long_size != 8) f->long_size = 8;
    return f;
}

void ks_fast_destroy(ks_fast *f) {
    if (!f) return;
    for (int i = 0; i < f->cap; i++) {
        compiled *c = &f->by_id[i];
        for (int s = 0; s < c->nseg; s++) {
            seg *g = &c->segs[s];
            for (int m = 0; m < g->memo_cap; m++) free(g->memo ? g->memo[m].text : NULL);
            free(g->memo);
        }
        free(c->segs);
    }
    free(f->by_id);
    for (int i = 0; i < f->nprintk; i++) free(f->printk[i].fmt);
    free(f->printk);
    free(f);
}

static seg *add_seg(compiled *c, int kind) {
    c->segs = realloc(c->segs, (size_t)(c->nseg + 1) * sizeof(seg));
    seg *s = &c->segs[c->nseg++];
    memset(s, 0, sizeof(*s));
    s->kind = kind;
    return s;
}

static struct tep_format_field *resolve(struct tep_event *ev, struct tep_print_arg *a) {
    if (a->type != TEP_PRINT_FIELD) return NULL;
    if (!a->field.field) a->field.field = tep_find_any_field(ev, a->field.name);
    return a->field.field;
}

/// Collects the numeric fields an expression reads; -1 when it does something we cannot key on.
static int collect(struct tep_event *ev, struct tep_print_arg *a, struct tep_format_field **keys, int *n) {
    if (!a) return 0;
    switch (a->type) {
    case TEP_PRINT_NULL: case TEP_PRINT_ATOM: return 0;
    case TEP_PRINT_FIELD: {
        struct tep_format_field *f = resolve(ev, a);
        if (!f || (f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC | TEP_FIELD_IS_STRING)) || f->size > 8) return -1;
        for (int i = 0; i < *n; i++) if (keys[i] == f) return 0;
        if (*n >= KS_MAX_KEYS) return -1;
        keys[(*n)++] = f;
        return 0;
    }
    case TEP_PRINT_TYPE: return collect(ev, a->typecast.item, keys, n);
    case TEP_PRINT_FLAGS: return collect(ev, a->flags.field, keys, n);
    case TEP_PRINT_SYMBOL: return collect(ev, a->symbol.field, keys, n);
    case TEP_PRINT_OP:
        if (collect(ev, a->op.left, keys, n) < 0) return -1;
        return collect(ev, a->op.right, keys, n);
    default: return -1;
    }
}

static void compile(ks_fast *f, struct tep_event *ev, compiled *c) {
    c->state = -1;
    if (ev->flags & (TEP_EVENT_FL_ISFTRACE | TEP_EVENT_FL_ISPRINT | TEP_EVENT_FL_ISBPRINT | TEP_EVENT_FL_PRINTRAW)) return;
    if (ev->handler) return;   // a plugin handler prints this event
    const char *p = ev->print_fmt.format;
    struct tep_print_arg *arg = ev->print_fmt.args;
    if (!p) return;
    seg *group = NULL;    // the group that the previous conversion opened, if it was one
    while (*p) {
        if (*p == '\\') return;
        if (*p != '%' || p[1] == '%') {
            const char *q = p;
            if (*p == '%') q = p + 1;  // "%%" prints '%': keep one
            const char *e = q + 1;
            while (*e && *e != '%' && *e != '\\') e++;
            seg *s = add_seg(c, SEG_LIT);
            s->lit = q;
            s->litlen = (int)(e - q);
            p = e;
            group = NULL;
            continue;
        }
        // %[flags][width][.prec][length]conv
        const char *start = p++;
        while (*p && strchr("-+ #0", *p)) p++;
        while (*p >= '0' && *p <= '9') p++;
        if (*p == '.') { p++; while (*p >= '0' && *p <= '9') p++; }
        if (*p == '*') return;
        int lmod = 0;   // 0 int, 1 long, 2 long long, -1 short, -2 char, 3 size_t
        if (*p == 'h') { lmod = -1; p++; if (*p == 'h') { lmod = -2; p++; } }
        else if (*p == 'l') { lmod = 1; p++; if (*p == 'l') { lmod = 2; p++; } }
        else if (*p == 'z' || *p == 'Z') { lmod = 3; p++; }
        else if (*p == 'L' || *p == 'q') { lmod = 2; p++; }
        char conv = *p;
        if (!conv || !arg) return;
        p++;
        int is_ptr_ext = conv == 'p' && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'));
        if (is_ptr_ext) while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) p++;
        struct tep_print_arg *a = arg;
        arg = arg->next;
        struct tep_format_field *fld = NULL;
        if (strchr("diuxXoc", conv) && (a->type == TEP_PRINT_FIELD || (a->type == TEP_PRINT_TYPE && a->typecast.item->type == TEP_PRINT_FIELD))) {
            fld = resolve(ev, a->type == TEP_PRINT_FIELD ? a : a->typecast.item);
            if (a->type == TEP_PRINT_TYPE) fld = NULL;   // casts: let a group memoize them
        }
        if (fld && !(fld->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC)) && fld->size <= 8 && conv != 'c') {
            seg *s = add_seg(c, SEG_NUM);
            s->field = fld;
            s->conv = conv;
            size_t n = (size_t)(p - start);
            // Drop the length modifier, put "ll": the value is passed as a (cast) long long.
            char tmp[24];
            size_t k = 0;
            for (size_t i = 0; i < n - 1 && k < 16; i++) {
                char ch = start[i];
                if (ch == 'h' || ch == 'l' || ch == 'z' || ch == 'Z' || ch == 'L' || ch == 'q') continue;
                tmp[k++] = ch;
            }
            tmp[k++] = 'l'; tmp[k++] = 'l'; tmp[k++] = conv; tmp[k] = 0;
            memcpy(s->spec, tmp, k + 1);
            s->plain = (n == 2 || (n == 3 && lmod == 1) || (n == 4 && lmod == 2));
            s->bits = lmod == 2 ? 64 : lmod == 1 || lmod == 3 ? f->long_size * 8 : lmod == -1 ? 16 : lmod == -2 ? 8 : 32;
            group = NULL;
            continue;
        }
        if (conv == 's' && !is_ptr_ext) {
            struct tep_format_field *sf = NULL;
            int dynamic = 0;
            if (a->type == TEP_PRINT_FIELD) {
                sf = resolve(ev, a);
                if (sf && (sf->flags & TEP_FIELD_IS_DYNAMIC)) dynamic = 1;
                else if (sf && !(sf->flags & TEP_FIELD_IS_ARRAY)) sf = NULL;
            } else if (a->type == TEP_PRINT_STRING) {
                if (!a->string.field) a->string.field = tep_find_any_field(ev, a->string.string);
                sf = a->string.field;
                dynamic = 1;
            }
            if (sf && start + 2 == p) {
                if (dynamic && (sf->flags & TEP_FIELD_IS_RELATIVE)) return;
                seg *s = add_seg(c, SEG_STR);
                s->field = sf;
                s->dynamic = dynamic;
                group = NULL;
                continue;
            }
        }
        // Anything else: an expression over a few numeric fields, memoized by their values.
        seg *g = group ? group : add_seg(c, SEG_GROUP);
        if (collect(ev, a, g->keys, &g->nkeys) < 0 || g->nkeys == 0) return;
        group = g;
    }
    if (arg) return;   // more args than conversions: not understood
    // A group must be followed by literal text (or end the format) to be cut out of libtraceevent's output.
    for (int i = 0; i < c->nseg; i++)
        if (c->segs[i].kind == SEG_GROUP && i + 1 < c->nseg && c->segs[i + 1].kind != SEG_LIT) return;
    c->state = 1;
}

static uint64_t read_field(ks_fast *f, struct tep_format_field *fld, struct tep_record *r) {
    unsigned long long v = 0;
    tep_read_number_field(fld, r->data, &v);
    (void)f;
    return v;
}

struct out { char *p; int len, cap, full; };

static void put(struct out *o, const char *s, int n) {
    if (o->len + n > o->cap) { o->full = 1; return; }
    memcpy(o->p + o->len, s, (size_t)n);
    o->len += n;
}

static int utoa(uint64_t v, char *b) {
    char t[24]; int n = 0;
    do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    for (int i = 0; i < n; i++) b[i] = t[n - 1 - i];
    return n;
}

static void num(struct out *o, seg *s, uint64_t raw, int is_signed) {
    char b[64];
    int n;
    long long sv;
    unsigned long long uv;
    switch (s->bits) {
    case 8: sv = (signed char)raw; uv = (unsigned char)raw; break;
    case 16: sv = (short)raw; uv = (unsigned short)raw; break;
    case 32: sv = (int)raw; uv = (unsigned int)raw; break;
    default: sv = (long long)raw; uv = raw; break;
    }
    (void)is_signed;
    if (s->plain && (s->conv == 'd' || s->conv == 'i')) {
        if (sv < 0) { b[0] = '-'; n = 1 + utoa((uint64_t)(-(sv + 1)) + 1, b + 1); } else n = utoa((uint64_t)sv, b);
    } else if (s->plain && s->conv == 'u') {
        n = utoa(uv, b);
    } else if (s->conv == 'd' || s->conv == 'i') {
        n = snprintf(b, sizeof b, s->spec, sv);
    } else {
        n = snprintf(b, sizeof b, s->spec, uv);
    }
    if (n > 0) put(o, b, n < (int)sizeof b ? n : (int)sizeof b - 1);
}

static void str(struct out *o, seg *s, struct tep_record *r, struct tep_handle *tep) {
    const char *data = r->data;
    int off = s->field->offset, len = s->field->size;
    if (s->dynamic) {
        unsigned long long v = tep_read_number(tep, data + s->field->offset, s->field->size < 4 ? s->field->size : 4);
        off = (int)(v & 0xffff);
        len = (int)(v >> 16);
    }
    if (off < 0 || off > r->size) return;
    if (len == 0 && !s->dynamic) len = r->size - off;   // char buf[] at the end of the record
    if (off + len > r->size) len = r->size - off;
    const char *z = memchr(data + off, 0, (size_t)len);
    put(o, data + off, z ? (int)(z - (data + off)) : len);
}

static memo_entry *memo_find(seg *g, const uint64_t *k, int insert) {
    if (g->memo_cap == 0) {
        if (!insert) return NULL;
        g->memo_cap = 64;
        g->memo = calloc((size_t)g->memo_cap, sizeof(memo_entry));
    }
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < g->nkeys; i++) h = (h ^ k[i]) * 1099511628211ULL;
    for (unsigned i = (unsigned)h & (unsigned)(g->memo_cap - 1);; i = (i + 1) & (unsigned)(g->memo_cap - 1)) {
        memo_entry *e = &g->memo[i];
        if (!e->used) return insert ? e : NULL;
        if (memcmp(e->k, k, sizeof(uint64_t) * (size_t)g->nkeys) == 0) return e;
    }
}

static void memo_store(seg *g, const uint64_t *k, const char *text, int len) {
    if (g->memo_count >= KS_MEMO_MAX) { g->memo_full = 1; return; }
    if ((g->memo_count + 1) * 2 > g->memo_cap) {
        memo_entry *old = g->memo; int oc = g->memo_cap;
        g->memo_cap = oc ? oc * 2 : 64;
        g->memo = calloc((size_t)g->memo_cap, sizeof(memo_entry));
        for (int i = 0; i < oc; i++) if (old[i].used) *memo_find(g, old[i].k, 1) = old[i];
        free(old);
    }
    memo_entry *e = memo_find(g, k, 1);
    if (e->used) return;
    e->used = 1;
    memcpy(e->k, k, sizeof(uint64_t) * KS_MAX_KEYS);
    e->text = malloc((size_t)len + 1);
    memcpy(e->text, text, (size_t)len);
    e->len = len;
    g->memo_count++;
}

/// Renders natively; returns 0 when done, 1 when a group value is unknown (libtraceevent must print it), -1 full.
static int render(ks_fast *f, compiled *c, struct tep_record *r, struct out *o) {
    for (int i = 0; i < c->nseg; i++) {
        seg *s = &c->segs[i];
        switch (s->kind) {
        case SEG_LIT: put(o, s->lit, s->litlen); break;
        case SEG_NUM: num(o, s, read_field(f, s->field, r), (s->field->flags & TEP_FIELD_IS_SIGNED) != 0); break;
        case SEG_STR: str(o, s, r, f->tep); break;
        case SEG_GROUP: {
            uint64_t k[KS_MAX_KEYS] = {0};
            for (int j = 0; j < s->nkeys; j++) k[j] = read_field(f, s->keys[j], r);
            memo_entry *e = memo_find(s, k, 0);
            if (!e) return 1;
            put(o, e->text, e->len);
            break;
        }
        }
    }
    return o->full ? -1 : 0;
}

/// Learns the text of every group of `r` from libtraceevent's rendering `full`; 0 on success, -1 when the
/// native parts do not match it (the type then falls back for good).
static int learn(ks_fast *f, compiled *c, struct tep_record *r, const char *full, int flen) {
    int at = 0;
    char b[4096];
    for (int i = 0; i < c->nseg; i++) {
        seg *s = &c->segs[i];
        if (s->kind == SEG_GROUP) {
            int end = flen;
            if (i + 1 < c->nseg) {
                seg *n = &c->segs[i + 1];
                end = -1;
                for (int x = at; x + n->litlen <= flen; x++)
                    if (memcmp(full + x, n->lit, (size_t)n->litlen) == 0) { end = x; break; }
                if (end < 0) return -1;
            }
            uint64_t k[KS_MAX_KEYS] = {0};
            for (int j = 0; j < s->nkeys; j++) k[j] = read_field(f, s->keys[j], r);
            if (!s->memo_full) memo_store(s, k, full + at, end - at);
            at = end;
            continue;
        }
        struct out o = { b, 0, sizeof b, 0 };
        if (s->kind == SEG_LIT) put(&o, s->lit, s->litlen);
        else if (s->kind == SEG_NUM) num(&o, s, read_field(f, s->field, r), 0);
        else str(&o, s, r, f->tep);
        if (o.full || at + o.len > flen || memcmp(full + at, b, (size_t)o.len) != 0) return -1;
        at += o.len;
    }
    return at == flen ? 0 : -1;
}

static void full_print(struct tep_handle *tep, struct trace_seq *seq, struct tep_record *r) {
    trace_seq_reset(seq);
    tep_print_event(tep, seq, r, "%s", TEP_PRINT_INFO);
    trace_seq_terminate(seq);
}

int ks_fast_render_bprint(ks_fast *f, struct tep_event *ev, struct tep_record *r, char *buf, int cap, struct trace_seq *seq);

int ks_fast_render(ks_fast *f, struct tep_event *ev, struct tep_record *r, char *buf, int cap, struct trace_seq *seq) {
    int id = ev->id;
    if (id < 0 || id > 1 << 20) return -1;
    if (id >= f->cap) {
        int n = f->cap ? f->cap : 64;
        while (n <= id) n *= 2;
        f->by_id = realloc(f->by_id, (size_t)n * sizeof(compiled));
        memset(f->by_id + f->cap, 0, (size_t)(n - f->cap) * sizeof(compiled));
        f->cap = n;
    }
    if (ev->flags & TEP_EVENT_FL_ISBPRINT) return ks_fast_render_bprint(f, ev, r, buf, cap, seq);
    compiled *c = &f->by_id[id];
    if (c->state == 0) compile(f, ev, c);
    if (c->state < 0) return -1;
    struct out o = { buf, 0, cap, 0 };
    int st = render(f, c, r, &o);
    if (st < 0) return -1;
    if (st == 0 && c->verified >= KS_VERIFY) return o.len;
    // A group value not seen yet, or one of the first records of this type: ask libtraceevent, learn, compare.
    full_print(f->tep, seq, r);
    int flen = (int)seq->len;
    while (flen > 0 && (seq->buffer[flen - 1] == '\n' || seq->buffer[flen - 1] == ' ')) flen--;
    if (learn(f, c, r, seq->buffer, flen) < 0) { c->state = -1; return -1; }
    if (st == 0) {
        int olen = o.len;
        while (olen > 0 && (buf[olen - 1] == '\n' || buf[olen - 1] == ' ')) olen--;
        if (olen != flen || memcmp(buf, seq->buffer, (size_t)flen) != 0) { c->state = -1; return -1; }
        c->verified++;
        return o.len;
    }
    o.len = 0; o.full = 0;
    if (render(f, c, r, &o) != 0) return -1;
    return o.len;
}

/* ---- trace_printk (bprint) records ------------------------------------------------------------------------ */

static int cmp_printk(const void *a, const void *b) {
    uint64_t x = ((const printk_fmt *)a)->addr, y = ((const printk_fmt *)b)->addr;
    return x < y ? -1 : x > y;
}

/// `0xADDR : "format"` lines, as the .dat stores them.
static void parse_printk(ks_fast *f, const char *p, size_t n) {
    const char *end = p + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol) eol = end;
        char *colon = memchr(p, ':', (size_t)(eol - p));
        const char *q1 = colon ? memchr(colon, '"', (size_t)(eol - colon)) : NULL;
        const char *q2 = eol;
        while (q2 > p && q2[-1] != '"') q2--;
        if (colon && q1 && q2 - 1 > q1) {
            uint64_t addr = strtoull(p, NULL, 16);
            size_t len = (size_t)(q2 - 1 - (q1 + 1));
            char *fmt = malloc(len + 1);
            size_t k = 0;
            for (size_t i = 0; i < len; i++) {
                char c = q1[1 + i];
                if (c == '\\' && i + 1 < len) {
                    char d = q1[2 + i++];
                    c = d == 'n' ? '\n' : d == 't' ? '\t' : d;
                }
                fmt[k++] = c;
            }
            fmt[k] = 0;
            f->printk = realloc(f->printk, (size_t)(f->nprintk + 1) * sizeof(printk_fmt));
            f->printk[f->nprintk++] = (printk_fmt){ addr, fmt, 0 };
        }
        p = eol + 1;
    }
    qsort(f->printk, (size_t)f->nprintk, sizeof(printk_fmt), cmp_printk);
}

int ks_fast_load_printk(ks_fast *f, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 64) { close(fd); return -1; }
    size_t size = (size_t)st.st_size;
    const unsigned char *d = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (d == MAP_FAILED) return -1;
    int ok = -1;
    size_t pos = 10;
    int big = 0;
#define NEED(n) do { if (pos + (n) > size) goto done; } while (0)
#define NUM(n) (tep_read_number(f->tep, d + pos, (n)))
    if (memcmp(d, "\x17\x08" "Dtracing", 10) != 0 || d[10] != '6' || d[11] != 0) goto done;
    pos = 12;
    NEED(6);
    big = d[pos];
    (void)big;
    pos += 6;
    NEED(12);
    if (memcmp(d + pos, "header_page", 12) != 0) goto done;
    pos += 12; NEED(8); pos += 8 + NUM(8);
    NEED(13);
    if (memcmp(d + pos, "header_event", 13) != 0) goto done;
    pos += 13; NEED(8); pos += 8 + NUM(8);
    NEED(4);
    { unsigned long long count = NUM(4); pos += 4;
      for (unsigned long long i = 0; i < count; i++) { NEED(8); pos += 8 + NUM(8); } }
    NEED(4);
    { unsigned long long systems = NUM(4); pos += 4;
      for (unsigned long long s = 0; s < systems; s++) {
          const unsigned char *z = memchr(d + pos, 0, size - pos);
          if (!z) goto done;
          pos = (size_t)(z - d) + 1;
          NEED(4);
          unsigned long long count = NUM(4); pos += 4;
          for (unsigned long long i = 0; i < count; i++) { NEED(8); pos += 8 + NUM(8); }
      } }
    NEED(4); pos += 4 + NUM(4);            // kallsyms
    NEED(4);
    { unsigned long long n = NUM(4); pos += 4; NEED(n); parse_printk(f, (const char *)d + pos, n); ok = 0; }
#undef NEED
#undef NUM
done:
    munmap((void *)d, size);
    return ok;
}

static printk_fmt *find_printk(ks_fast *f, uint64_t addr) {
    int lo = 0, hi = f->nprintk - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (f->printk[mid].addr == addr) return &f->printk[mid];
        if (f->printk[mid].addr < addr) lo = mid + 1; else hi = mid - 1;
    }
    return NULL;
}

/// `%ps` of an address: the function's name, or 0xADDR.
static void put_sym(ks_fast *f, struct out *o, uint64_t addr) {
    const char *name = tep_find_function(f->tep, addr);
    if (name) { put(o, name, (int)strlen(name)); return; }
    char b[32];
    int n = snprintf(b, sizeof b, "0x%llx", (unsigned long long)addr);
    put(o, b, n);
}

/// Renders a bprint record the way libtraceevent does (`%ps: ` + the format applied to the binary arguments);
/// 1 when the format uses something not handled here.
static int render_bprint(ks_fast *f, struct tep_event *ev, struct tep_record *r, printk_fmt *pf, struct out *o) {
    struct tep_format_field *ipf = tep_find_field(ev, "ip"), *buf = tep_find_field(ev, "buf");
    if (!ipf || !buf) return 1;
    put_sym(f, o, read_field(f, ipf, r));
    put(o, ": ", 2);
    const char *bptr = (const char *)r->data + buf->offset;
    const char *bend = (const char *)r->data + r->size;
    for (const char *p = pf->fmt; *p; ) {
        if (*p != '%') {
            const char *e = p;
            while (*e && *e != '%') e++;
            put(o, p, (int)(e - p));
            p = e;
            continue;
        }
        if (p[1] == '%') { put(o, "%", 1); p += 2; continue; }
        const char *start = p++;
        while (*p && strchr("-+ #0", *p)) p++;
        while (isdigit((unsigned char)*p)) p++;
        if (*p == '.') { p++; while (isdigit((unsigned char)*p)) p++; }
        int ls = 0;
        while (*p == 'l') { ls++; p++; }
        if (*p == 'L') { ls = 2; p++; }
        else if (*p == 'z' || *p == 'Z') { ls = 1; p++; }
        char conv = *p;
        if (!conv) return 1;
        p++;
        char spec[32];
        int speclen = (int)(p - start);
        if (speclen > 20) return 1;
        if (conv == 's') {
            memcpy(spec, start, (size_t)speclen);
            spec[speclen] = 0;
            const char *z = memchr(bptr, 0, (size_t)(bend - bptr > 0 ? bend - bptr : 0));
            if (!z) return 1;
            if (speclen == 2) put(o, bptr, (int)(z - bptr));
            else { char b[512]; int n = snprintf(b, sizeof b, spec, bptr); if (n >= (int)sizeof b) return 1; put(o, b, n); }
            bptr = z + 1;
            continue;
        }
        int ptr_sym = 0;
        if (conv == 'p') {
            ls = 1;
            if (*p == 's' || *p == 'S') { ptr_sym = *p == 'S' ? 2 : 1; p++; }
            else if (isalnum((unsigned char)*p)) return 1;
        } else if (!strchr("diuxXo", conv)) {
            return 1;
        }
        int vsize = ls == 0 ? 4 : ls == 1 ? f->long_size : 8;
        bptr = (const char *)(((uintptr_t)bptr + 3) & ~(uintptr_t)3);
        if (bptr + vsize > bend) return 1;
        uint64_t val = tep_read_number(f->tep, bptr, vsize);
        bptr += vsize;
        if (conv == 'p') {
            if (ptr_sym == 1) { put_sym(f, o, val); continue; }
            if (ptr_sym == 2) return 1;   // %pS prints an offset: leave it to libtraceevent
            char b[32];
            int n = snprintf(b, sizeof b, "0x%llx", (unsigned long long)val);
            put(o, b, n);
            continue;
        }
        // The spec without its length modifier, as long long.
        size_t k = 0;
        for (const char *c = start; c < p - 1 && k < 20; c++) if (*c != 'l' && *c != 'L' && *c != 'z' && *c != 'Z') spec[k++] = *c;
        spec[k++] = 'l'; spec[k++] = 'l'; spec[k++] = conv; spec[k] = 0;
        long long sv = vsize == 4 ? (long long)(int32_t)val : (long long)val;
        unsigned long long uv = vsize == 4 ? (unsigned long long)(uint32_t)val : (unsigned long long)val;
        char b[64];
        int n = (conv == 'd' || conv == 'i') ? snprintf(b, sizeof b, spec, sv) : snprintf(b, sizeof b, spec, uv);
        if (n >= (int)sizeof b) return 1;
        put(o, b, n);
    }
    return 0;
}

int ks_fast_render_bprint(ks_fast *f, struct tep_event *ev, struct tep_record *r, char *buf, int cap, struct trace_seq *seq) {
    if (!f->nprintk || !(ev->flags & TEP_EVENT_FL_ISBPRINT)) return -1;
    struct tep_format_field *ff = tep_find_field(ev, "fmt");
    if (!ff) return -1;
    printk_fmt *pf = find_printk(f, read_field(f, ff, r));
    if (!pf || pf->state < 0) return -1;
    struct out o = { buf, 0, cap, 0 };
    if (render_bprint(f, ev, r, pf, &o) != 0 || o.full) { if (!o.full) pf->state = -1; return -1; }
    int len = o.len;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) len--;
    if (pf->state >= KS_VERIFY) return len;
    full_print(f->tep, seq, r);
    int flen = (int)seq->len;
    while (flen > 0 && (seq->buffer[flen - 1] == '\n' || seq->buffer[flen - 1] == ' ')) flen--;
    if (flen != len || memcmp(buf, seq->buffer, (size_t)len) != 0) { pf->state = -1; return -1; }
    pf->state++;
    return len;
}

// ---- tracecmd_open guarded against crashes inside libtraceevent ----

static sigjmp_buf ks_open_jump;
static volatile sig_atomic_t ks_open_guarded;
static pthread_t ks_open_thread;
static const int ks_open_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL };
static struct sigaction ks_open_previous[4];

static void ks_open_restore(void) {
    for (int i = 0; i < 4; i++) sigaction(ks_open_signals[i], &ks_open_previous[i], NULL);
}

static void ks_open_crashed(int sig) {
    if (ks_open_guarded && pthread_equal(pthread_self(), ks_open_thread)) {
        ks_open_guarded = 0;
        siglongjmp(ks_open_jump, sig);
    }
    // Another thread crashed: give the signal back to whoever handled it before (returning re-raises it).
    ks_open_restore();
}

struct tracecmd_input *ks_tracecmd_open_guarded(const char *path, int flags, int *crash_signal) {
    static pthread_mutex_t one_at_a_time = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&one_at_a_time);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ks_open_crashed;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 4; i++) sigaction(ks_open_signals[i], &sa, &ks_open_previous[i]);
    struct tracecmd_input *handle = NULL;
    int sig = sigsetjmp(ks_open_jump, 1);
    if (sig == 0) {
        ks_open_thread = pthread_self();
        ks_open_guarded = 1;
        handle = tracecmd_open(path, flags);
        ks_open_guarded = 0;
    }
    ks_open_restore();
    pthread_mutex_unlock(&one_at_a_time);
    *crash_signal = sig;
    return sig ? NULL : handle;
}
