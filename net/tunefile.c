/* Reading, writing and matching the tune file (format: tunefile.h). The parser is strict and
 * all-or-nothing: an unknown key, a missing or repeated one, a number out of range or a
 * repeated entry key voids the file. */
#include "tunefile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cell.h"
#include "internal.h"
#include "kernels.h"

#define FILE_COMMENT "# recur tune file, written by `recur tune`: any malformed line voids the whole file\n"

/* Strict non-negative decimal (or 0x hex when hex) within [lo, hi]. */
static int parse_int(const char *s, size_t n, int hex, int64_t lo, int64_t hi, int64_t *out) {
  int base = 10;
  if (hex && n > 2 && s[0] == '0' && s[1] == 'x') s += 2, n -= 2, base = 16;
  if (n == 0 || n > 16) return 0;
  uint64_t v = 0; /* unsigned: 16 hex digits fill all 64 bits */
  for (size_t i = 0; i < n; i++) {
    int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0'
          : base == 16 && s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;
    if (d < 0) return 0;
    v = v * (unsigned)base + (unsigned)d;
  }
  if (v < (uint64_t)lo || v > (uint64_t)hi) return 0;
  *out = (int64_t)v;
  return 1;
}

/* A time in ms, written with 4 decimals and read back by hand: strtod and printf follow the
 * host program's locale (a decimal comma would void every file). At most 1e9 ms (11 days). */
#define MAX_MS 1000000000
static void format_ms(double ms, char buf[32]) {
  long long q = ms > 0 ? llround((ms < MAX_MS ? ms : MAX_MS) * 1e4) : 0;
  snprintf(buf, 32, "%lld.%04lld", q / 10000, q % 10000);
}

static int parse_ms(const char *s, size_t n, double *out) {
  const char *dot = memchr(s, '.', n);
  size_t whole = dot ? (size_t)(dot - s) : n, frac = dot ? n - whole - 1 : 0;
  int64_t w, f = 0;
  if (!parse_int(s, whole, 0, 0, MAX_MS, &w) ||
      (dot && (frac < 1 || frac > 4 || !parse_int(dot + 1, frac, 0, 0, 9999, &f))))
    return 0;
  for (size_t i = frac; i < 4; i++) f *= 10;
  if (w == MAX_MS && f) return 0;
  *out = (double)(w * 10000 + f) / 1e4; /* one correctly rounded division, as strtod */
  return 1;
}

static const char *const split_names[] = {"auto", "batch", "hidden"};
static int parse_name(const char *s, size_t n, const char *const *names, int count, int *out) {
  for (int i = 0; i < count; i++)
    if (strlen(names[i]) == n && !memcmp(s, names[i], n)) return *out = i, 1;
  return 0;
}

/* The fields of an entry line, in the order they are written. */
enum field_type { F_INT, F_INT64, F_CELL, F_ISA, F_PRECISION, F_SPLIT, F_MS };
typedef struct field {
  const char *name;
  enum field_type type;
  size_t offset;
  int64_t lo, hi;
} field;

#define KEY(m) offsetof(recur_tune_entry, key.m)
#define PACK(m) offsetof(recur_tune_entry, p.pack.m)
#define CALL(m) offsetof(recur_tune_entry, p.call.m)
static const field entry_fields[] = {
  {"cell", F_CELL, KEY(cell), 0, 0},
  {"isa", F_ISA, KEY(isa), 0, 0},
  {"precision", F_PRECISION, KEY(precision), 0, 0},
  {"dirs", F_INT, KEY(dirs), 1, 2},
  {"I", F_INT64, KEY(I), 1, RECUR_MAX_DIM},
  {"H", F_INT64, KEY(H), 1, RECUR_MAX_DIM},
  {"P", F_INT64, KEY(P), 0, RECUR_MAX_DIM},
  {"threads", F_INT, KEY(threads), 1, RECUR_TUNE_MAX_THREADS},
  {"B", F_INT64, KEY(B), 1, RECUR_MAX_DIM},
  {"nv", F_INT, PACK(nv), 1, RECUR_NV_MAX},
  {"nv_proj", F_INT, PACK(nv_proj), 0, RECUR_NV_MAX},
  {"kc", F_INT64, PACK(kc), 1, RECUR_MAX_DIM},
  {"kc_input", F_INT64, PACK(kc_input), 1, RECUR_MAX_DIM},
  {"mr", F_INT, CALL(mr), 0, RECUR_MR_MAX},
  {"chunk", F_INT64, CALL(chunk_rows), 1, RECUR_MAX_DIM},
  {"mc", F_INT64, CALL(mc), 0, RECUR_MAX_DIM},
  {"split", F_SPLIT, CALL(split), 0, 0},
  {"bparts", F_INT, CALL(bparts), 1, RECUR_TUNE_MAX_THREADS},
  {"groups", F_INT, CALL(groups), 1, 2},
  {"use", F_INT, CALL(use_threads), 1, RECUR_TUNE_MAX_THREADS},
  {"default_ms", F_MS, offsetof(recur_tune_entry, default_ms), 0, 0},
  {"tuned_ms", F_MS, offsetof(recur_tune_entry, tuned_ms), 0, 0},
};
#define N_ENTRY_FIELDS (sizeof entry_fields / sizeof *entry_fields)

static int parse_field(const field *f, const char *v, size_t n, recur_tune_entry *e) {
  char *at = (char *)e + f->offset;
  int64_t i64;
  int i;
  const recur_cell_info *cell;
  switch (f->type) {
  case F_INT: if (!parse_int(v, n, 0, f->lo, f->hi, &i64)) return 0; *(int *)(void *)at = (int)i64; return 1;
  case F_INT64: return parse_int(v, n, 0, f->lo, f->hi, (int64_t *)(void *)at);
  case F_CELL: if (!(cell = recur_cell_named(v, n))) return 0; *(recur_cell *)(void *)at = cell->id; return 1;
  case F_PRECISION: return recur_precision_named(v, n, (recur_precision *)(void *)at);
  case F_SPLIT: return parse_name(v, n, split_names + 1, 2, &i) && (*(int *)(void *)at = i + 1, 1);
  case F_ISA: if (n >= RECUR_TUNE_ISA_LEN || !recur_isa_named(v, n)) return 0; memcpy(at, v, n); at[n] = 0; return 1;
  case F_MS: return parse_ms(v, n, (double *)(void *)at);
  }
  return 0;
}

/* What one field's range cannot say. */
static const char *check_entry(const recur_tune_entry *e) {
  const recur_tune_key *k = &e->key;
  const recur_packing *pk = &e->p.pack;
  const recur_call_choices *p = &e->p.call;
  int gates = (int)recur_cell_gates(k->cell);
  if (k->P && (!recur_cell_projects(recur_cell_get(k->cell)) || k->P >= k->H)) return "P needs an LSTM and P < H";
  if (!recur_nv_valid(pk->nv, gates)) return "nv is not 1, 2, 4 or 8 within 16 vectors of gates";
  if (k->P ? !recur_nv_valid(pk->nv_proj, 1) : pk->nv_proj != 0) return "nv_proj must be 1, 2, 4 or 8 with P, else 0";
  if (p->groups == 2 && k->dirs != 2) return "groups=2 needs dirs=2";
  if (p->use_threads > k->threads) return "use exceeds threads";
  if (p->bparts > p->use_threads) return "bparts exceeds use";
  if (!strcmp(k->isa, "scalar")) return "isa=scalar has no tile sizes to tune";
  return NULL;
}

typedef struct parser {
  const char *line;
  size_t len;
  char *why;
  size_t why_len;
  int line_no;
} parser;

static recur_status bad(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static recur_status bad(parser *ps, const char *fmt, ...) {
  char msg[160], escaped[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *line = recur_one_line(escaped, sizeof escaped, msg); /* it quotes the file */
  if (ps->line_no) snprintf(ps->why, ps->why_len, "line %d: %s", ps->line_no, line);
  else snprintf(ps->why, ps->why_len, "%s", line);
  return RECUR_ERR_BAD_FILE;
}

/* "entry k=v k=v ...": every field exactly once, in any order. */
static recur_status parse_entry(parser *ps, const char *s, size_t n, recur_tune_entry *e) {
  unsigned seen = 0;
  memset(e, 0, sizeof *e);
  for (size_t at = 0; at < n;) {
    if (s[at] == ' ') { at++; continue; }
    size_t end = at;
    while (end < n && s[end] != ' ') end++;
    const char *eq = memchr(s + at, '=', end - at);
    if (!eq) return bad(ps, "'%.*s' is not key=value", (int)(end - at > 40 ? 40 : end - at), s + at);
    size_t klen = (size_t)(eq - (s + at));
    size_t f = 0;
    while (f < N_ENTRY_FIELDS && (strlen(entry_fields[f].name) != klen ||
                                  memcmp(entry_fields[f].name, s + at, klen)))
      f++;
    if (f == N_ENTRY_FIELDS) return bad(ps, "unknown entry key '%.*s'", (int)(klen > 40 ? 40 : klen), s + at);
    if (seen & (1u << f)) return bad(ps, "%s given twice", entry_fields[f].name);
    seen |= 1u << f;
    if (!parse_field(&entry_fields[f], eq + 1, (size_t)(s + end - eq - 1), e))
      return bad(ps, "bad value for %s", entry_fields[f].name);
    at = end;
  }
  if (seen != (1u << N_ENTRY_FIELDS) - 1) {
    size_t f = 0;
    while (seen & (1u << f)) f++;
    return bad(ps, "entry without %s", entry_fields[f].name);
  }
  const char *why = check_entry(e);
  return why ? bad(ps, "%s", why) : RECUR_OK;
}

/* The header: each key exactly once, before the entries. */
enum { H_VERSION, H_VENDOR, H_FAMILY, H_MODEL, H_STEPPING, H_FEATURES, H_L1D, H_L2, H_L3, N_HEADER };
static const char *const header_keys[N_HEADER] = {
  "version", "cpu.vendor", "cpu.family", "cpu.model", "cpu.stepping", "cpu.features",
  "cpu.l1d", "cpu.l2", "cpu.l3",
};

static recur_status parse_header(parser *ps, const char *s, size_t n, recur_tune_file *f,
                                 unsigned *seen) {
  const char *eq = memchr(s, '=', n);
  if (!eq) return bad(ps, "not key=value");
  size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
  const char *v = eq + 1;
  int h = 0;
  while (h < N_HEADER && (strlen(header_keys[h]) != klen || memcmp(header_keys[h], s, klen))) h++;
  if (h == N_HEADER) return bad(ps, "unknown key '%.*s'", (int)(klen > 40 ? 40 : klen), s);
  if (*seen & (1u << h)) return bad(ps, "%s given twice", header_keys[h]);
  *seen |= 1u << h;
  int64_t x = 0;
  int ok = 1;
  if (h == H_VERSION || h == H_VENDOR) {
    char *dst = h == H_VERSION ? f->version : f->cpu.vendor;
    size_t cap = h == H_VERSION ? sizeof f->version : sizeof f->cpu.vendor;
    for (size_t i = 0; i < vlen; i++) ok &= v[i] > ' ' && v[i] < 127;
    if ((ok = ok && vlen > 0 && vlen < cap)) memcpy(dst, v, vlen), dst[vlen] = 0;
  } else if (h == H_FEATURES) {
    if ((ok = parse_int(v, vlen, 1, 0, 0xffffffffLL, &x))) f->cpu.features = (unsigned)x;
  } else if (h <= H_STEPPING) {
    ok = parse_int(v, vlen, 0, 0, 1 << 30, &x);
    *(h == H_FAMILY ? &f->cpu.family : h == H_MODEL ? &f->cpu.model : &f->cpu.stepping) = (int)x;
  } else {
    ok = parse_int(v, vlen, 0, 0, (int64_t)1 << 50, &x);
    *(h == H_L1D ? &f->cpu.l1d : h == H_L2 ? &f->cpu.l2 : &f->cpu.l3) = x;
  }
  return ok ? RECUR_OK : bad(ps, "bad value for %s", header_keys[h]);
}

static recur_status header_complete(parser *ps, unsigned seen) {
  int h = 0;
  while (h < N_HEADER && (seen & (1u << h))) h++;
  return h == N_HEADER ? RECUR_OK : bad(ps, "no %s in the header", header_keys[h]);
}

#define ORDER(x) if (a->x != b->x) return a->x < b->x ? -1 : 1

/* Keys by network shape (cell, isa, precision, dirs, I, H, P), then threads and B. */
static int net_order(const recur_tune_key *a, const recur_tune_key *b) {
  ORDER(cell);
  int c = strcmp(a->isa, b->isa);
  if (c) return c;
  ORDER(precision);
  ORDER(dirs);
  ORDER(I);
  ORDER(H);
  ORDER(P);
  return 0;
}

static int key_order(const recur_tune_key *a, const recur_tune_key *b) {
  int c = net_order(a, b);
  if (c) return c;
  ORDER(threads);
  ORDER(B);
  return 0;
}
#undef ORDER

static int same_key(const recur_tune_key *a, const recur_tune_key *b) { return !key_order(a, b); }
static int same_net(const recur_tune_key *a, const recur_tune_key *b) { return !net_order(a, b); }

static int entry_order(const void *a, const void *b) {
  return key_order(&((const recur_tune_entry *)a)->key, &((const recur_tune_entry *)b)->key);
}

void recur_tune_sort(recur_tune_file *f) {
  if (f->n) qsort(f->entries, f->n, sizeof *f->entries, entry_order);
}

recur_tune_file recur_tune_net_entries(const recur_tune_file *f, const recur_tune_key *k) {
  recur_tune_file view = {0};
  size_t first = 0, end;
  while (f && first < f->n && !same_net(&f->entries[first].key, k)) first++;
  for (end = first; f && end < f->n && same_net(&f->entries[end].key, k);) end++;
  if (f) view.entries = f->entries + first, view.n = end - first;
  return view;
}

static int same_packing(const recur_packing *a, const recur_packing *b) {
  return a->nv == b->nv && a->nv_proj == b->nv_proj && a->kc == b->kc && a->kc_input == b->kc_input;
}

static recur_status append(recur_tune_file *f, const recur_tune_entry *e) {
  if (f->n == RECUR_TUNE_MAX_ENTRIES)
    return recur_fail(RECUR_ERR_LIMIT, "tune file: more than %d entries", RECUR_TUNE_MAX_ENTRIES);
  if (f->n == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 16;
    recur_tune_entry *p = realloc(f->entries, cap * sizeof *p);
    if (!p) return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "tune file: no memory for %zu entries", cap);
    f->entries = p, f->cap = cap;
  }
  f->entries[f->n++] = *e;
  return RECUR_OK;
}

void recur_tune_file_free(recur_tune_file *f) {
  free(f->entries);
  f->entries = NULL, f->n = f->cap = 0;
}

recur_status recur_tune_parse(const char *text, size_t len, recur_tune_file *out, char *why,
                              size_t why_len) {
  memset(out, 0, sizeof *out);
  parser ps = {.why = why, .why_len = why_len};
  if (len > RECUR_TUNE_MAX_BYTES) return bad(&ps, "the file is over %d bytes", RECUR_TUNE_MAX_BYTES);
  if (len == 0) return bad(&ps, "the file is empty");
  if (text[len - 1] != '\n') { /* a writer always ends with one: anything else is truncated */
    ps.line_no = 1;
    for (size_t i = 0; i < len; i++) ps.line_no += text[i] == '\n';
    return bad(&ps, "the file is truncated (no final newline)");
  }
  unsigned seen = 0;
  int ended = 0; /* the entries=N line, last: a file cut at a line end lacks it */
  recur_status st = RECUR_OK;
  for (size_t at = 0; at < len && !st;) {
    const char *nl = memchr(text + at, '\n', len - at);
    size_t n = (size_t)(nl - (text + at));
    const char *s = text + at;
    at += n + 1;
    ps.line_no++;
    if (memchr(s, 0, n) || memchr(s, '\r', n) || memchr(s, '\t', n)) { st = bad(&ps, "control character"); break; }
    if (n == 0 || s[0] == '#') continue;
    int64_t count;
    if (ended) st = bad(&ps, "a line after entries=");
    else if (n > 8 && !memcmp(s, "entries=", 8)) {
      if ((st = header_complete(&ps, seen))) break;
      if (!parse_int(s + 8, n - 8, 0, 0, RECUR_TUNE_MAX_ENTRIES, &count) || (size_t)count != out->n)
        st = bad(&ps, "entries=%.*s, but %zu entries precede it", (int)(n - 8 > 20 ? 20 : n - 8), s + 8, out->n);
      ended = 1;
    } else if (n > 6 && !memcmp(s, "entry ", 6)) {
      if (seen != (1u << N_HEADER) - 1) { st = bad(&ps, "entry before the whole header"); break; }
      recur_tune_entry e;
      if ((st = parse_entry(&ps, s + 6, n - 6, &e))) break;
      for (size_t i = 0; i < out->n && !st; i++)
        if (same_key(&out->entries[i].key, &e.key)) st = bad(&ps, "the same key as entry %zu", i + 1);
      for (size_t i = 0; i < out->n && !st; i++)
        if (same_net(&out->entries[i].key, &e.key) &&
            !same_packing(&out->entries[i].p.pack, &e.p.pack))
          st = bad(&ps, "network choices differ from entry %zu of the same network", i + 1);
      if (!st && append(out, &e)) st = bad(&ps, "%s", recur_last_error());
    } else {
      st = parse_header(&ps, s, n, out, &seen);
    }
  }
  if (!st) st = header_complete(&ps, seen);
  if (!st && !ended) st = bad(&ps, "truncated: no entries= line at the end");
  if (st) recur_tune_file_free(out);
  return st;
}

int recur_tune_check_origin(const recur_tune_file *f, const recur_cpu_id *id, char *why,
                            size_t why_len) {
  const recur_cpu_id *c = &f->cpu;
  if (strcmp(f->version, RECUR_VERSION_STRING))
    snprintf(why, why_len, "written by recur %s, this is %s", f->version, RECUR_VERSION_STRING);
  else if (strcmp(c->vendor, id->vendor) || c->family != id->family || c->model != id->model ||
           c->stepping != id->stepping)
    snprintf(why, why_len, "measured on another CPU (%s family %d model %d stepping %d; this is "
             "%s %d/%d/%d)", c->vendor, c->family, c->model, c->stepping, id->vendor, id->family,
             id->model, id->stepping);
  else if (c->features != id->features)
    snprintf(why, why_len, "measured on a CPU with other features (0x%x; this one 0x%x)",
             c->features, id->features);
  else if (c->l1d != id->l1d || c->l2 != id->l2 || c->l3 != id->l3)
    snprintf(why, why_len, "measured with other cache sizes (L1d/L2/L3 %lld/%lld/%lld; this CPU "
             "%lld/%lld/%lld)", (long long)c->l1d, (long long)c->l2, (long long)c->l3,
             (long long)id->l1d, (long long)id->l2, (long long)id->l3);
  else return 1;
  return 0;
}

recur_status recur_tune_read(const char *path, const recur_cpu_id *id, recur_tune_file *out,
                             int *exists, char *why, size_t why_len) {
  memset(out, 0, sizeof *out);
  *exists = !(access(path, F_OK) != 0 && errno == ENOENT);
  if (!*exists) {
    snprintf(why, why_len, "no such file");
    return RECUR_ERR_IO;
  }
  recur_file_bytes bytes = {0};
  recur_status st = recur_read_file_at_most(path, RECUR_TUNE_MAX_BYTES, &bytes);
  char detail[256];
  if (st) snprintf(why, why_len, "%s", recur_last_error());
  else if ((st = recur_tune_parse((const char *)bytes.data, bytes.size, out, detail, sizeof detail)))
    snprintf(why, why_len, "malformed: %s", detail);
  else if (!recur_tune_check_origin(out, id, why, why_len)) {
    recur_tune_file_free(out);
    st = RECUR_ERR_BAD_FILE;
  }
  recur_free_file(&bytes);
  return st;
}

void recur_tune_init(recur_tune_file *f, const recur_cpu_id *id) {
  memset(f, 0, sizeof *f);
  snprintf(f->version, sizeof f->version, "%s", RECUR_VERSION_STRING);
  f->cpu = *id;
}

recur_status recur_tune_put(recur_tune_file *f, const recur_tune_entry *e) {
  size_t kept = 0;
  for (size_t i = 0; i < f->n; i++) {
    const recur_tune_entry *old = &f->entries[i];
    int other_packing = same_net(&old->key, &e->key) && !same_packing(&old->p.pack, &e->p.pack);
    if (!same_key(&old->key, &e->key) && !other_packing)
      f->entries[kept++] = *old;
  }
  f->n = kept;
  return append(f, e);
}

/* A growing string; on failure it stays NULL. */
typedef struct text {
  char *s;
  size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
  if (!t->s && t->cap) return; /* an earlier failure */
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (t->len + (size_t)n + 1 > t->cap) {
    size_t cap = (t->len + (size_t)n + 1) * 2;
    char *s = realloc(t->s, cap);
    if (!s) { free(t->s); t->s = NULL; t->cap = 1; return; }
    t->s = s, t->cap = cap;
  }
  va_start(ap, fmt);
  vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  t->len += (size_t)n;
}

char *recur_tune_format(const recur_tune_file *f, size_t *len) {
  text t = {0};
  const recur_cpu_id *c = &f->cpu;
  put(&t, FILE_COMMENT "version=%s\ncpu.vendor=%s\ncpu.family=%d\ncpu.model=%d\ncpu.stepping=%d\n"
      "cpu.features=0x%x\ncpu.l1d=%lld\ncpu.l2=%lld\ncpu.l3=%lld\n", f->version, c->vendor,
      c->family, c->model, c->stepping, c->features, (long long)c->l1d, (long long)c->l2,
      (long long)c->l3);
  for (size_t i = 0; i < f->n; i++) {
    const recur_tune_key *k = &f->entries[i].key;
    const recur_packing *pk = &f->entries[i].p.pack;
    const recur_call_choices *p = &f->entries[i].p.call;
    char default_ms[32], tuned_ms[32];
    format_ms(f->entries[i].default_ms, default_ms);
    format_ms(f->entries[i].tuned_ms, tuned_ms);
    put(&t, "entry cell=%s isa=%s precision=%s dirs=%d I=%lld H=%lld P=%lld threads=%d B=%lld nv=%d nv_proj=%d "
        "kc=%lld kc_input=%lld mr=%d chunk=%lld mc=%lld split=%s bparts=%d groups=%d use=%d "
        "default_ms=%s tuned_ms=%s\n", recur_cell_name(k->cell), k->isa,
        recur_precision_name(k->precision), k->dirs, (long long)k->I,
        (long long)k->H, (long long)k->P, k->threads, (long long)k->B, pk->nv, pk->nv_proj,
        (long long)pk->kc, (long long)pk->kc_input, p->mr, (long long)p->chunk_rows,
        (long long)p->mc, split_names[p->split], p->bparts, p->groups, p->use_threads,
        default_ms, tuned_ms);
  }
  put(&t, "entries=%zu\n", f->n);
  if (t.s) *len = t.len;
  return t.s;
}

const recur_tune_entry *recur_tune_find_net(const recur_tune_file *f, const recur_tune_key *k) {
  const recur_tune_entry *best = NULL;
  for (size_t i = 0; f && i < f->n; i++) {
    const recur_tune_entry *e = &f->entries[i];
    if (same_net(&e->key, k) && (!best || e->key.B < best->key.B ||
                                 (e->key.B == best->key.B && e->key.threads < best->key.threads)))
      best = e;
  }
  return best;
}

/* Compares B's distance to a and to b on a log scale (max/min ratios, cross-multiplied):
 * negative when a is nearer. Sizes are below 2^28, so the products fit. */
static int64_t log_distance_cmp(int64_t B, int64_t a, int64_t b) {
  int64_t an = a > B ? a : B, ad = a > B ? B : a, bn = b > B ? b : B, bd = b > B ? B : b;
  return an * bd - bn * ad;
}

const recur_tune_entry *recur_tune_find_call(const recur_tune_file *f, const recur_tune_key *k) {
  const recur_tune_entry *best = NULL;
  for (size_t i = 0; f && i < f->n; i++) {
    const recur_tune_entry *e = &f->entries[i];
    if (!same_net(&e->key, k) || e->key.threads != k->threads) continue;
    if (2 * k->B < e->key.B || k->B > 2 * e->key.B) continue;
    int64_t d = best ? log_distance_cmp(k->B, e->key.B, best->key.B) : -1;
    if (d < 0 || (d == 0 && e->key.B < best->key.B)) best = e;
  }
  return best;
}
