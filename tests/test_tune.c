/* The tune file, as the library reads it (`recur tune` itself: test_tune_cli.c):
 *  - the format round-trips: recur_tune_format, recur_tune_parse, recur_tune_format again;
 *  - a corrupt line, a truncated file, a foreign CPU, another recur version, an empty or a
 *    missing file each leaves the defaults: recur_tune_status says why, and every plan equals
 *    the plan of the same network without a tune file (computed in a forked child);
 *  - recur_net_plan reports the entry that applies, with the matching rule: all of the key but
 *    B exactly, B within [B/2, 2B], the nearest B on a log scale, ties to the smaller;
 *  - tuned tile sizes and schedules give bitwise the defaults' results, every cell;
 *  - the search, on known times (a fake timer): it keeps a winner only when it is faster by
 *    3% and by more than the noise of its runs, and records the defaults otherwise.
 * Criterion runs each test in a process of its own, and the library reads the tune file once,
 * at first use: each test sets RECUR_TUNE_FILE before its first recur call. */
#define _GNU_SOURCE /* nftw */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernels.h"
#include "net.h"
#include "poison.h"
#include "randnet.h"
#include "schedule.h"
#include "tune.h"
#include "tunefile.h"

#define PATH_LEN 512

/* ---------------------------------------------------------------------------------------- */
/* A temporary folder per test                                                               */

static char tmp_dir[PATH_LEN];

static void tmp_setup(void) {
  const char *base = getenv("TMPDIR");
  snprintf(tmp_dir, sizeof tmp_dir, "%s/recur-tune-XXXXXX", base && base[0] ? base : "/tmp");
  cr_assert(mkdtemp(tmp_dir), "mkdtemp %s", tmp_dir);
  unsetenv("RECUR_VERBOSE");
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

static void tmp_teardown(void) { nftw(tmp_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

TestSuite(tune, .init = tmp_setup, .fini = tmp_teardown, .timeout = 120);

static void tmp_path(char *buf, const char *name) {
  int n = snprintf(buf, PATH_LEN, "%s/%s", tmp_dir, name);
  cr_assert(n > 0 && n < PATH_LEN);
}

/* A formatted string, malloc'd to its length. */
__attribute__((format(printf, 1, 2))) static char *text_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *text;
  int n = vasprintf(&text, fmt, ap);
  va_end(ap);
  cr_assert_geq(n, 0, "vasprintf");
  return text;
}

static void write_text(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot write %s", path);
  cr_assert_eq(fwrite(text, 1, len, f), len);
  cr_assert_eq(fclose(f), 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Building tune files                                                                       */

static recur_tune_entry make_entry(recur_cell cell, const char *isa, int dirs, int64_t I, int64_t H,
                                   int64_t P, int threads, int64_t B, recur_tune_params p) {
  recur_tune_entry e = {.key = {.cell = cell, .dirs = dirs, .I = I, .H = H, .P = P,
                                .threads = threads, .B = B},
                        .p = p, .default_ms = 2.5, .tuned_ms = 2.0};
  size_t n = strlen(isa);
  cr_assert_lt(n, sizeof e.key.isa);
  memcpy(e.key.isa, isa, n + 1);
  return e;
}

static void put(recur_tune_file *f, const recur_tune_entry *e) {
  cr_assert_eq(recur_tune_put(f, e), RECUR_OK, "%s", recur_last_error());
}

/* f's text, malloc'd. */
static char *format(const recur_tune_file *f, size_t *len) {
  char *text = recur_tune_format(f, len);
  cr_assert_not_null(text);
  cr_assert_eq(strlen(text), *len);
  return text;
}

static void write_tune_file(const char *path, const recur_tune_file *f) {
  size_t len;
  char *text = format(f, &len);
  write_text(path, text, len);
  free(text);
}

/* Floats per vector of a kernel table: what nr = nv * vec is counted in. */
static int vec_of(const char *isa) {
  return !strcmp(isa, "avx512") ? 16 : !strcmp(isa, "avx2") ? 8 : !strcmp(isa, "neon") ? 4 : 0;
}

/* The vector tables this CPU runs, best first (recur_isa_list without "scalar"). */
static int fast_tables(char names[4][16]) {
  char list[128], *save = NULL;
  int n = 0;
  snprintf(list, sizeof list, "%s", recur_isa_list());
  for (char *isa = strtok_r(list, " ", &save); isa && n < 4; isa = strtok_r(NULL, " ", &save))
    if (strcmp(isa, "scalar") != 0) snprintf(names[n++], 16, "%s", isa);
  return n;
}

/* A vector table this build knows that this CPU does not run: its entries never apply. */
static const char *foreign_table(void) {
  char list[128];
  snprintf(list, sizeof list, " %s ", recur_isa_list());
  static const char *const all[] = {"neon", "avx2", "avx512"};
  for (int i = 0; i < 3; i++) {
    char word[16];
    snprintf(word, sizeof word, " %s ", all[i]);
    if (!strstr(list, word)) return all[i];
  }
  cr_assert_fail("this CPU runs every table: %s", recur_isa_list());
  return NULL;
}

static recur_net *make_net(const recur_desc *d, unsigned seed) {
  randnet_tensors w;
  randnet_make(d, seed, &w);
  recur_net *net;
  cr_assert_eq(recur_net_create(&net, d, w.t, w.n), RECUR_OK, "%s", recur_last_error());
  randnet_free(&w);
  return net;
}

static recur_plan plan_of(const recur_net *net, int64_t B, int threads) {
  recur_plan p;
  cr_assert_eq(recur_net_plan(net, B, threads, &p), RECUR_OK, "%s", recur_last_error());
  return p;
}

static void expect_plan_eq(const recur_plan *got, const recur_plan *want, const char *what) {
  cr_expect_eq(got->tuned_tiling, want->tuned_tiling, "%s: tuned_tiling", what);
  cr_expect_eq(got->tuned_call, want->tuned_call, "%s: tuned_call", what);
  cr_expect_eq(got->tuned_batch, want->tuned_batch, "%s: tuned_batch", what);
  cr_expect_eq(got->nr, want->nr, "%s: nr %lld, want %lld", what, (long long)got->nr, (long long)want->nr);
  cr_expect_eq(got->nr_proj, want->nr_proj, "%s: nr_proj", what);
  cr_expect_eq(got->kc, want->kc, "%s: kc %lld, want %lld", what, (long long)got->kc, (long long)want->kc);
  cr_expect_eq(got->kc_input, want->kc_input, "%s: kc_input", what);
  cr_expect_eq(got->mr, want->mr, "%s: mr %d, want %d", what, got->mr, want->mr);
  cr_expect_eq(got->chunk_rows, want->chunk_rows, "%s: chunk_rows %lld, want %lld", what,
               (long long)got->chunk_rows, (long long)want->chunk_rows);
  cr_expect_eq(got->mc, want->mc, "%s: mc", what);
  cr_expect_eq(got->threads, want->threads, "%s: threads", what);
  cr_expect_eq(got->groups, want->groups, "%s: groups", what);
  cr_expect_eq(got->group_threads[0], want->group_threads[0], "%s: group_threads[0]", what);
  cr_expect_eq(got->group_threads[1], want->group_threads[1], "%s: group_threads[1]", what);
  cr_expect_eq(got->hidden_split, want->hidden_split, "%s: hidden_split", what);
}

/* ---------------------------------------------------------------------------------------- */
/* 1. The format round-trips                                                                 */

static void expect_entry_eq(const recur_tune_entry *a, const recur_tune_entry *b, size_t i) {
  const recur_tune_key *x = &a->key, *y = &b->key;
  cr_expect_eq(x->cell, y->cell, "entry %zu: cell", i);
  cr_expect_str_eq(x->isa, y->isa, "entry %zu: isa", i);
  cr_expect_eq(x->dirs, y->dirs, "entry %zu: dirs", i);
  cr_expect_eq(x->I, y->I, "entry %zu: I", i);
  cr_expect_eq(x->H, y->H, "entry %zu: H", i);
  cr_expect_eq(x->P, y->P, "entry %zu: P", i);
  cr_expect_eq(x->threads, y->threads, "entry %zu: threads", i);
  cr_expect_eq(x->B, y->B, "entry %zu: B", i);
  const recur_packing *pk = &a->p.pack, *qk = &b->p.pack;
  cr_expect_eq(pk->nv, qk->nv, "entry %zu: nv", i);
  cr_expect_eq(pk->nv_proj, qk->nv_proj, "entry %zu: nv_proj", i);
  cr_expect_eq(pk->kc, qk->kc, "entry %zu: kc", i);
  cr_expect_eq(pk->kc_input, qk->kc_input, "entry %zu: kc_input", i);
  const recur_call_choices *p = &a->p.call, *q = &b->p.call;
  cr_expect_eq(p->mr, q->mr, "entry %zu: mr", i);
  cr_expect_eq(p->chunk_rows, q->chunk_rows, "entry %zu: chunk", i);
  cr_expect_eq(p->mc, q->mc, "entry %zu: mc", i);
  cr_expect_eq(p->split, q->split, "entry %zu: split", i);
  cr_expect_eq(p->groups, q->groups, "entry %zu: groups", i);
  cr_expect_eq(p->use_threads, q->use_threads, "entry %zu: use", i);
  cr_expect_eq(a->default_ms, b->default_ms, "entry %zu: default_ms %.17g, want %.17g", i,
               a->default_ms, b->default_ms);
  cr_expect_eq(a->tuned_ms, b->tuned_ms, "entry %zu: tuned_ms", i);
}

static void expect_file_eq(const recur_tune_file *a, const recur_tune_file *b) {
  cr_expect_str_eq(a->version, b->version);
  cr_expect_str_eq(a->cpu.vendor, b->cpu.vendor);
  cr_expect_eq(a->cpu.family, b->cpu.family);
  cr_expect_eq(a->cpu.model, b->cpu.model);
  cr_expect_eq(a->cpu.stepping, b->cpu.stepping);
  cr_expect_eq(a->cpu.features, b->cpu.features);
  cr_expect_eq(a->cpu.l1d, b->cpu.l1d);
  cr_expect_eq(a->cpu.l2, b->cpu.l2);
  cr_expect_eq(a->cpu.l3, b->cpu.l3);
  cr_assert_eq(a->n, b->n, "%zu entries, want %zu", a->n, b->n);
  for (size_t i = 0; i < a->n; i++) expect_entry_eq(&a->entries[i], &b->entries[i], i);
}

/* Entries over every cell, table, split and the ranges' ends (millisecond values with at most
 * four decimals: the format writes four). */
static void sample_file(recur_tune_file *f) {
  recur_cpu_id id;
  recur_cpu_identify(&id);
  recur_tune_init(f, &id);
  const int64_t MAX = (int64_t)1 << 28;
  recur_tune_entry e[] = {
    make_entry(RECUR_CELL_LSTM, "avx512", 2, 1024, 1024, 0, 2, 64,
               (recur_tune_params){{2, 0, 256, 128}, {4, 1024, 64, RECUR_SPLIT_HIDDEN, 2, 2, 1}}),
    make_entry(RECUR_CELL_LSTM, "avx512", 2, 1024, 1024, 0, 1, 1,
               (recur_tune_params){{2, 0, 256, 128}, {8, 1, 0, RECUR_SPLIT_BATCH, 1, 1, 1}}),
    make_entry(RECUR_CELL_LSTM, "avx2", 1, 19, 37, 11, 4, 5,
               (recur_tune_params){{1, 8, 8, 16}, {0, 7, 3, RECUR_SPLIT_BATCH, 1, 3, 1}}),
    make_entry(RECUR_CELL_GRU, "neon", 2, 7, MAX, 0, 1024, MAX,
               (recur_tune_params){{4, 0, MAX, 1}, {1, MAX, MAX, RECUR_SPLIT_HIDDEN, 2, 1024, 1}}),
    make_entry(RECUR_CELL_RNN_RELU, "avx2", 1, 1, 1, 0, 1, 1,
               (recur_tune_params){{8, 0, 1, 1}, {2, 1, 0, RECUR_SPLIT_BATCH, 1, 1, 1}}),
    make_entry(RECUR_CELL_RNN_TANH, "avx512", 2, 33, 65, 0, 3, 17,
               (recur_tune_params){{1, 0, 64, 64}, {5, 256, 32, RECUR_SPLIT_HIDDEN, 1, 2, 1}}),
  };
  double ms[][2] = {{12.3456, 10.5}, {0.0012, 0.0009}, {0, 0}, {98765.4321, 1234.5}, {1, 1}, {3.25, 0.0001}};
  for (size_t i = 0; i < sizeof e / sizeof *e; i++) {
    e[i].default_ms = ms[i][0], e[i].tuned_ms = ms[i][1];
    put(f, &e[i]);
  }
  cr_assert_eq(f->n, sizeof e / sizeof *e);
}

Test(tune, the_format_round_trips) {
  recur_tune_file f, back, again;
  sample_file(&f);
  size_t len, len2;
  char *text = format(&f, &len), why[256] = "";
  cr_assert_eq(recur_tune_parse(text, len, &back, why, sizeof why), RECUR_OK, "%s\n%s", why, text);
  expect_file_eq(&back, &f);
  char *text2 = format(&back, &len2);
  cr_expect_eq(len2, len);
  cr_expect_str_eq(text2, text, "formatting the parsed file changed the text");
  recur_cpu_id id;
  recur_cpu_identify(&id);
  cr_expect_eq(recur_tune_check_origin(&back, &id, why, sizeof why), 1, "%s", why);
  cr_expect_str_eq(back.version, RECUR_VERSION_STRING);

  /* Keys in another order, extra spaces, comments and blank lines: the same file. */
  char *shuffled;
  size_t shuffled_len;
  FILE *o = open_memstream(&shuffled, &shuffled_len);
  cr_assert_not_null(o);
  fprintf(o, "\n# a comment\n");
  for (const char *line = text; *line;) {
    const char *nl = strchr(line, '\n');
    if (!strncmp(line, "entry ", 6)) { /* reverse the order of the key=value pairs */
      const char *words[32];
      size_t lens[32], n = 0;
      for (const char *w = line + 6; w < nl;) {
        const char *end = memchr(w, ' ', (size_t)(nl - w));
        if (!end) end = nl;
        words[n] = w, lens[n++] = (size_t)(end - w);
        w = end + (end < nl);
      }
      fprintf(o, "entry ");
      while (n--) fprintf(o, " %.*s ", (int)lens[n], words[n]);
      fprintf(o, "\n\n");
    } else {
      fprintf(o, "%.*s\n", (int)(nl - line), line);
    }
    line = nl + 1;
  }
  cr_assert_eq(fclose(o), 0);
  recur_tune_file reordered;
  cr_assert_eq(recur_tune_parse(shuffled, shuffled_len, &reordered, why, sizeof why), RECUR_OK,
               "%s\n%s", why, shuffled);
  expect_file_eq(&reordered, &f);

  /* put replaces an entry with the same key; an entry of the same network with another packing
   * drops the network's other entries (measured on another packing); remove removes. */
  recur_tune_entry e = f.entries[0];
  e.p.call.mr = 1, e.p.call.use_threads = 1;
  put(&back, &e);
  cr_expect_eq(back.n, f.n, "put with an existing key added an entry");
  cr_expect_eq(recur_tune_find_call(&back, &e.key)->p.call.mr, 1);
  e.p.pack.nv = 4; /* another packing of the LSTM 1024x1024 network: its two entries go */
  put(&back, &e);
  cr_expect_eq(back.n, f.n - 1);
  cr_expect_eq(recur_tune_find_net(&back, &e.key)->p.pack.nv, 4);
  cr_assert_eq(recur_tune_parse(text, len, &again, why, sizeof why), RECUR_OK);
  cr_expect_eq(again.n, f.n);

  free(text), free(text2), free(shuffled);
  recur_tune_file_free(&f), recur_tune_file_free(&back), recur_tune_file_free(&again);
  recur_tune_file_free(&reordered);
}

/* The text with line `line_no` (1-based) replaced by repl (NULL: removed, "\1": given twice). */
static char *edit_line(const char *text, int line_no, const char *repl) {
  char *out;
  size_t out_len;
  FILE *o = open_memstream(&out, &out_len);
  cr_assert_not_null(o);
  int n = 1;
  for (const char *line = text; *line; n++) {
    const char *nl = strchr(line, '\n');
    int len = (int)(nl - line) + 1;
    if (n != line_no) fprintf(o, "%.*s", len, line);
    else if (repl && repl[0] == '\1') fprintf(o, "%.*s%.*s", len, line, len, line);
    else if (repl) fprintf(o, "%s\n", repl);
    line = nl + 1;
  }
  cr_assert_eq(fclose(o), 0);
  return out;
}

static void expect_void(const char *text, const char *want_why, const char *what) {
  recur_tune_file f;
  char why[256] = "";
  recur_status st = recur_tune_parse(text, strlen(text), &f, why, sizeof why);
  cr_expect_eq(st, RECUR_ERR_BAD_FILE, "%s: parsed:\n%s", what, text);
  cr_expect_eq(f.n, 0, "%s: entries left", what);
  cr_expect_null(f.entries, "%s: entries left", what);
  cr_expect(strstr(why, want_why), "%s: why is \"%s\", expected \"%s\"", what, why, want_why);
  if (!st) recur_tune_file_free(&f);
}

/* Every header key and every entry key, left out or given twice, voids the file, and so does
 * any malformed value: the parser names the line and the problem. */
Test(tune, every_missing_repeated_or_bad_field_voids_the_file) {
  recur_tune_file f;
  sample_file(&f);
  size_t len;
  char *text = format(&f, &len), want[128];
  static const char *const header[] = {"version", "cpu.vendor", "cpu.family", "cpu.model",
                                       "cpu.stepping", "cpu.features", "cpu.l1d", "cpu.l2", "cpu.l3"};
  for (int h = 0; h < 9; h++) { /* line 1 is the comment, the header from line 2 */
    char *t = edit_line(text, h + 2, NULL); /* the entries then come too early */
    expect_void(t, "line 10: entry before the whole header", header[h]);
    free(t);
    t = edit_line(text, h + 2, "\1");
    snprintf(want, sizeof want, "line %d: %s given twice", h + 3, header[h]);
    expect_void(t, want, header[h]);
    free(t);
  }
  /* A header without entries: each key left out names it. */
  char *head = edit_line(text, 11, NULL);
  for (size_t i = 1; i < f.n; i++) {
    char *shorter = edit_line(head, 11, NULL);
    free(head);
    head = shorter;
  }
  cr_assert_null(strstr(head, "entry"), "%s", head);
  for (int h = 0; h < 9; h++) {
    char *t = edit_line(head, h + 2, NULL);
    snprintf(want, sizeof want, "no %s in the header", header[h]);
    expect_void(t, want, header[h]);
    free(t);
  }
  free(head);

  static const char *const keys[] = {"cell", "isa", "precision", "dirs", "I", "H", "P", "threads", "B", "nv",
                                     "nv_proj", "kc", "kc_input", "mr", "chunk", "mc", "split", "bparts",
                                     "groups", "use", "default_ms", "tuned_ms"};
  const char *entry = strstr(text, "\nentry ") + 1;
  size_t entry_len = (size_t)(strchr(entry, '\n') - entry);
  for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
    char line[1024], key[32];
    snprintf(key, sizeof key, " %s=", keys[k]);
    snprintf(line, sizeof line, "%.*s", (int)entry_len, entry);
    char *at = strstr(line, key);
    cr_assert_not_null(at, "%s not in %s", key, line);
    char *end = strchr(at + 1, ' ');
    char pair[64];
    snprintf(pair, sizeof pair, "%.*s", (int)(end ? end - at : (long)strlen(at)), at);
    memmove(at, at + strlen(pair), strlen(at + strlen(pair)) + 1); /* left out */
    char *t = edit_line(text, 11, line);
    snprintf(want, sizeof want, "line 11: entry without %s", keys[k]);
    expect_void(t, want, keys[k]);
    free(t);
    snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", pair, pair); /* twice */
    t = edit_line(text, 11, line);
    snprintf(want, sizeof want, "line 11: %s given twice", keys[k]);
    expect_void(t, want, keys[k]);
    free(t);
  }

  /* Malformed values and lines, each on entry line 12 or header line 5 (cpu.model). */
  static const struct { const char *from, *to, *why; } bad[] = {
    {" mr=8 ", " mr=9 ", "line 12: bad value for mr"},
    {" mr=8 ", " mr=-1 ", "line 12: bad value for mr"},
    {" mr=8 ", " mr=+1 ", "line 12: bad value for mr"},
    {" mr=8 ", " mr=1x ", "line 12: bad value for mr"},
    {" mr=8 ", " mr= ", "line 12: bad value for mr"},
    {" kc=256 ", " kc=0 ", "line 12: bad value for kc"},
    {" kc=256 ", " kc=0x100 ", "line 12: bad value for kc"},
    {" kc=256 ", " kc=99999999999999999 ", "line 12: bad value for kc"},
    {" chunk=1 ", " chunk=0 ", "line 12: bad value for chunk"},
    {" nv=2 ", " nv=3 ", "line 12: nv is not 1, 2, 4 or 8"},
    {" nv=2 ", " nv=8 ", "line 12: nv is not 1, 2, 4 or 8"}, /* 4 gates x 8 > 16 vectors */
    {" nv_proj=0 ", " nv_proj=1 ", "line 12: nv_proj must be"},
    {" P=0 ", " P=1024 ", "line 12: P needs an LSTM and P < H"},
    {" dirs=2 ", " dirs=3 ", "line 12: bad value for dirs"},
    {" threads=1 ", " threads=0 ", "line 12: bad value for threads"},
    {" use=1 ", " use=2 ", "line 12: use exceeds threads"},
    {" split=batch ", " split=auto ", "line 12: bad value for split"},
    {" split=batch ", " split=Batch ", "line 12: bad value for split"},
    {" cell=lstm ", " cell=LSTM ", "line 12: bad value for cell"},
    {" isa=avx512 ", " isa=sse4 ", "line 12: bad value for isa"},
    {" isa=avx512 ", " isa=scalar ", "line 12: isa=scalar has no tile sizes to tune"},
    {" precision=fp32 ", " precision=fp16 ", "line 12: bad value for precision"},
    {" precision=fp32 ", " precision=FP32 ", "line 12: bad value for precision"},
    {" precision=fp32 ", " precision=1 ", "line 12: bad value for precision"},
    {" default_ms=0.0012 ", " default_ms=0,0012 ", "line 12: bad value for default_ms"},
    {" default_ms=0.0012 ", " default_ms=1e3 ", "line 12: bad value for default_ms"},
    {" default_ms=0.0012 ", " default_ms=0.00012 ", "line 12: bad value for default_ms"},
    {" default_ms=0.0012 ", " default_ms=1000000000.0001 ", "line 12: bad value for default_ms"},
    {"entries=", "entries=9", "entries=96, but 6 entries precede it"},
    {" default_ms=0.0012 ", " default_ms=-1 ", "line 12: bad value for default_ms"},
    {" default_ms=0.0012 ", " default_ms=nan ", "line 12: bad value for default_ms"},
    {" default_ms=0.0012 ", " default_ms=inf ", "line 12: bad value for default_ms"},
    {" default_ms=0.0012 ", " default_ms=1ms ", "line 12: bad value for default_ms"},
    {" mr=8 ", " mr=8 colour=blue ", "line 12: unknown entry key 'colour'"},
    {" mr=8 ", " mr=8 blue ", "line 12: 'blue' is not key=value"},
    {" mr=8 ", " mr=8\t", "line 12: control character"},
    {" mr=8 ", " mr=8\r", "line 12: control character"},
    {"cpu.model=", "cpu.brand=Xeon\ncpu.model=", "line 5: unknown key 'cpu.brand'"},
    {"cpu.model=", "cpu.model=x", "line 5: bad value for cpu.model"},
    {"cpu.model=", "cpu.model=-", "line 5: bad value for cpu.model"},
    {"cpu.model=", "cpu.model= ", "line 5: bad value for cpu.model"},
    {"version=", "version= ", "line 2: bad value for version"},
    {"cpu.model=", "cpu.model ", "line 5: not key=value"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    const char *at = strstr(text, bad[i].from);
    if (bad[i].from[0] == ' ') at = strstr(strstr(text, "\nentry cell=lstm isa=avx512 precision=fp32 dirs=2 I=1024 H=1024 P=0 threads=1 "), bad[i].from);
    cr_assert_not_null(at, "%s", bad[i].from);
    size_t pre = (size_t)(at - text), from = strlen(bad[i].from);
    char *t = text_printf("%.*s%s%s", (int)pre, text, bad[i].to, at + from);
    expect_void(t, bad[i].why, bad[i].to);
    free(t);
  }

  /* Two entries with one key; two packings of one network; an entry before the header. */
  char *t = edit_line(text, 12, "\1");
  expect_void(t, "line 13: the same key as entry 2", "a repeated key");
  free(t);
  char line[1024];
  const char *e2 = strstr(text, "\nentry cell=lstm isa=avx512 precision=fp32 dirs=2 I=1024 H=1024 P=0 threads=1 ") + 1;
  snprintf(line, sizeof line, "%.*s", (int)(strchr(e2, '\n') - e2), e2);
  memcpy(strstr(line, " kc=256 "), " kc=255 ", 8);
  t = edit_line(text, 12, line);
  expect_void(t, "line 12: network choices differ from entry 1", "two packings");
  free(t);

  /* Empty, and cut anywhere (no final newline). */
  expect_void("", "the file is empty", "empty");
  for (size_t cut = 1; cut < len; cut += 7) {
    char *part = strndup(text, cut);
    /* a cut at a line's end leaves whole lines, but not the entries= line that ends a file */
    expect_void(part, text[cut - 1] == '\n' ? "" : "the file is truncated (no final newline)", "cut");
    free(part);
  }
  for (size_t cut = 1; cut < len; cut++) /* every cut at a line's end: the same, named */
    if (text[cut - 1] == '\n') {
      char *part = strndup(text, cut);
      expect_void(part, "", "cut at a line's end");
      free(part);
    }
  char *no_end = strndup(text, len - strlen(strstr(text, "entries=")));
  expect_void(no_end, "truncated: no entries= line at the end", "no entries= line");
  free(no_end);
  char *after = text_printf("%s# a comment may follow\nversion=0.1.0\n", text);
  expect_void(after, "a line after entries=", "a line after the end");
  free(after);
  free(text);
  recur_tune_file_free(&f);
}

/* ---------------------------------------------------------------------------------------- */
/* 2. Anything wrong: defaults                                                               */

/* The networks the fallback tests look at, and the calls. */
static const recur_desc probe_nets[] = {
  {RECUR_CELL_LSTM, 24, 100, 1, 1, 0, 1, 0}, /* bidirectional */
  {RECUR_CELL_LSTM, 19, 37, 1, 0, 11, 1, 0}, /* projection */
  {RECUR_CELL_GRU, 32, 64, 1, 0, 0, 1, 0},
};
#define N_PROBE_NETS (sizeof probe_nets / sizeof *probe_nets)
static const struct { int64_t B; int threads; } probe_calls[] = {{4, 1}, {4, 2}, {16, 2}, {5, 2}};
#define N_PROBE_CALLS (sizeof probe_calls / sizeof *probe_calls)
#define N_PROBES (N_PROBE_NETS * N_PROBE_CALLS)

/* The table the probes run on: the active one, or, when that is the scalar reference
 * (RECUR_ISA=scalar), the best vector table this CPU runs, so that a tune entry can show. */
static void probe_isa(char *name) {
  char fast[4][16];
  if (strcmp(recur_isa_name(), "scalar") != 0 || fast_tables(fast) == 0)
    snprintf(name, 16, "%s", recur_isa_name());
  else
    snprintf(name, 16, "%s", fast[0]);
}

/* Non-default choices for every probe network and call (kc 16, chunk 128 and mc 32 are no
 * table's defaults): what would apply if the file were read. */
static void probe_file(recur_tune_file *f, const char *isa) {
  recur_cpu_id id;
  recur_cpu_identify(&id);
  recur_tune_init(f, &id);
  for (size_t n = 0; n < N_PROBE_NETS; n++) {
    const recur_desc *d = &probe_nets[n];
    for (size_t c = 0; c < N_PROBE_CALLS; c++) {
      int t = probe_calls[c].threads;
      recur_tune_params p = {{1, d->proj_size ? 1 : 0, 16, 16},
                             {1, 128, 32, RECUR_SPLIT_HIDDEN, 1, t, 1}};
      recur_tune_entry e = make_entry(d->cell, isa, d->bidirectional ? 2 : 1, d->input_size,
                                      d->hidden_size, d->proj_size, t, probe_calls[c].B, p);
      put(f, &e);
    }
  }
}

typedef struct probe_result {
  recur_status st;
  char isa[16];
  recur_plan plan; /* plan.isa NULL: the name is in isa */
} probe_result;

/* The plans of every probe in this process. No Criterion calls: it also runs in a child. */
static void probe(const char *isa, probe_result out[N_PROBES]) {
  memset(out, 0, N_PROBES * sizeof *out);
  recur_status forced = recur_isa_force(isa);
  for (size_t n = 0, i = 0; n < N_PROBE_NETS; n++) {
    randnet_tensors w;
    randnet_make(&probe_nets[n], (unsigned)n + 1, &w);
    recur_net *net = NULL;
    recur_status st = forced ? forced : recur_net_create(&net, &probe_nets[n], w.t, w.n);
    randnet_free(&w);
    for (size_t c = 0; c < N_PROBE_CALLS; c++, i++) {
      out[i].st = st ? st : recur_net_plan(net, probe_calls[c].B, probe_calls[c].threads, &out[i].plan);
      if (!out[i].st) snprintf(out[i].isa, sizeof out[i].isa, "%s", out[i].plan.isa);
      out[i].plan.isa = NULL;
    }
    recur_net_free(net);
  }
}

/* The probes' plans without a tune file ($RECUR_TUNE_FILE names no file), in a forked child:
 * call it before this process uses recur (the library reads its tune file once). */
static void default_probes(const char *isa, probe_result out[N_PROBES]) {
  int fds[2];
  cr_assert_eq(pipe(fds), 0);
  fflush(NULL);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    char missing[PATH_LEN + 32];
    snprintf(missing, sizeof missing, "%s/no-such-tune-file", tmp_dir);
    setenv("RECUR_TUNE_FILE", missing, 1);
    static probe_result res[N_PROBES];
    probe(isa, res);
    recur_tune_info info;
    recur_tune_status(&info);
    int ok = !info.loaded && info.reason && !strcmp(info.reason, "no such file");
    const char *p = (const char *)res;
    for (size_t left = sizeof res; left > 0;) {
      ssize_t n = write(fds[1], p, left);
      if (n <= 0) _exit(3);
      p += n, left -= (size_t)n;
    }
    _exit(ok ? 0 : 2);
  }
  close(fds[1]);
  char *p = (char *)out;
  size_t got = 0;
  for (ssize_t n; got < N_PROBES * sizeof *out && (n = read(fds[0], p + got, N_PROBES * sizeof *out - got)) > 0;)
    got += (size_t)n;
  close(fds[0]);
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child without a tune file failed: %d", status);
  cr_assert_eq(got, N_PROBES * sizeof *out);
}

/* Writes text as the tune file, and checks that it is not used (reason contains want_why) and
 * that every probe's plan is the default one. */
static void expect_defaults(const char *text, size_t len, const char *want_why) {
  char isa[16], path[PATH_LEN];
  probe_result want[N_PROBES], got[N_PROBES];
  probe_isa(isa); /* recur_isa_list: no tune file involved */
  default_probes(isa, want);
  tmp_path(path, "tune.conf");
  if (text) write_text(path, text, len);
  cr_assert_eq(setenv("RECUR_TUNE_FILE", path, 1), 0);

  probe(isa, got);
  recur_tune_info info;
  recur_tune_status(&info);
  cr_expect_str_eq(info.path, path);
  cr_expect_eq(info.loaded, 0, "the tune file was used");
  cr_expect_eq(info.exists, access(path, F_OK) == 0, "exists: %d", info.exists);
  cr_expect_eq(info.entries, 0);
  cr_expect_eq(info.applicable, 0);
  cr_assert_not_null(info.reason);
  cr_expect(strstr(info.reason, want_why), "reason \"%s\", expected \"%s\"", info.reason, want_why);
  for (size_t i = 0; i < N_PROBES; i++) {
    char what[96];
    snprintf(what, sizeof what, "net %zu, B=%lld threads=%d", i / N_PROBE_CALLS,
             (long long)probe_calls[i % N_PROBE_CALLS].B, probe_calls[i % N_PROBE_CALLS].threads);
    cr_assert_eq(got[i].st, RECUR_OK, "%s: %s", what, recur_last_error());
    cr_assert_eq(want[i].st, RECUR_OK, "%s (no tune file): status %d", what, want[i].st);
    cr_expect_str_eq(got[i].isa, isa, "%s", what);
    cr_expect_str_eq(want[i].isa, isa, "%s", what);
    cr_expect_eq(got[i].plan.tuned_tiling, 0, "%s: tuned_tiling", what);
    cr_expect_eq(got[i].plan.tuned_call, 0, "%s: tuned_call", what);
    expect_plan_eq(&got[i].plan, &want[i].plan, what);
  }
}

/* A valid file for this CPU with the probes' entries, as text. */
static char *probe_text(size_t *len) {
  char isa[16];
  probe_isa(isa);
  recur_tune_file f;
  probe_file(&f, isa);
  char *text = format(&f, len);
  recur_tune_file_free(&f);
  return text;
}

/* probe_text with the first occurrence of from replaced by to. */
static char *probe_text_edited(const char *from, const char *to, size_t *len) {
  char *text = probe_text(len);
  char *at = strstr(text, from);
  cr_assert_not_null(at, "\"%s\" not in the tune file", from);
  char *out = text_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
  free(text);
  *len = strlen(out);
  return out;
}

/* The header line starting with key, with its value replaced: "cpu.model=" -> "cpu.model=N+1". */
static char *probe_text_header(const char *key, const char *value, size_t *len) {
  char *text = probe_text(len), from[128], to[128];
  char *at = strstr(text, key);
  cr_assert_not_null(at);
  snprintf(from, sizeof from, "%.*s", (int)(strchr(at, '\n') - at), at);
  snprintf(to, sizeof to, "%s%s", key, value);
  cr_assert_str_neq(from, to);
  free(text);
  return probe_text_edited(from, to, len);
}

/* The control: the unedited file applies (where tiles exist), so each case below must see a
 * change that the edit alone explains. */
Test(tune, control_the_probe_file_applies) {
  char isa[16], path[PATH_LEN];
  probe_result want[N_PROBES], got[N_PROBES];
  probe_isa(isa);
  default_probes(isa, want);
  size_t len;
  char *text = probe_text(&len);
  tmp_path(path, "tune.conf");
  write_text(path, text, len);
  free(text);
  setenv("RECUR_TUNE_FILE", path, 1);
  probe(isa, got);
  recur_tune_info info;
  recur_tune_status(&info);
  cr_assert_eq(info.loaded, 1, "%s", info.reason);
  cr_expect_null(info.reason);
  cr_expect_eq(info.entries, (int64_t)N_PROBES);
  int packed = vec_of(isa) > 0;
  cr_expect_eq(info.applicable, (int64_t)N_PROBES, "applicable %lld", /* isa is forced */
               (long long)info.applicable);
  for (size_t i = 0; i < N_PROBES; i++) {
    const recur_plan *p = &got[i].plan, *d = &want[i].plan;
    cr_assert_eq(got[i].st, RECUR_OK);
    cr_expect_eq(p->tuned_tiling, packed, "probe %zu", i);
    cr_expect_eq(p->tuned_call, packed, "probe %zu", i);
    if (!packed) {
      expect_plan_eq(p, d, "scalar");
      continue;
    }
    cr_expect_eq(p->tuned_batch, probe_calls[i % N_PROBE_CALLS].B, "probe %zu", i);
    cr_expect_eq(p->kc, 16, "probe %zu", i);
    cr_expect_neq(d->kc, 16, "probe %zu: 16 is the default kc", i);
    cr_expect_eq(p->chunk_rows, 128);
    cr_expect_neq(d->chunk_rows, 128);
    cr_expect_eq(p->mc, 32);
    cr_expect_eq(d->mc, 0);
    cr_expect_eq(p->mr, 1);
    cr_expect_neq(d->mr, 1, "probe %zu", i);
    cr_expect_eq(p->nr, vec_of(isa));
  }
}

/* The library never prints about a bad tune file, unless RECUR_VERBOSE is set. */
static void capture_stderr(int *saved, const char *path) {
  fflush(stderr);
  *saved = dup(2);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert_geq(fd, 0);
  dup2(fd, 2);
  close(fd);
}

static char *restore_stderr(int saved, const char *path) {
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f);
  static char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  fclose(f);
  return buf;
}

Test(tune, corrupt_value_falls_back) {
  size_t len;
  char *text = probe_text_edited(" mr=1 ", " mr=x ", &len);
  char err[PATH_LEN];
  tmp_path(err, "stderr");
  int saved;
  capture_stderr(&saved, err);
  expect_defaults(text, len, "malformed: line 11: bad value for mr");
  const char *printed = restore_stderr(saved, err);
  cr_expect_str_empty(printed, "the library printed: %s", printed);
  free(text);
}

Test(tune, corrupt_value_is_logged_under_recur_verbose) {
  size_t len;
  char *text = probe_text_edited(" chunk=128 ", " chunk=0 ", &len);
  char err[PATH_LEN];
  tmp_path(err, "stderr");
  setenv("RECUR_VERBOSE", "1", 1);
  int saved;
  capture_stderr(&saved, err);
  expect_defaults(text, len, "malformed: line 11: bad value for chunk");
  const char *printed = restore_stderr(saved, err);
  cr_expect(strstr(printed, "recur: tune file ") && strstr(printed, "line 11: bad value for chunk") &&
            strstr(printed, "defaults apply"), "RECUR_VERBOSE=1 printed: %s", printed);
  free(text);
}

Test(tune, unknown_entry_key_falls_back) {
  size_t len;
  char *text = probe_text_edited(" mc=32 ", " mc=32 colour=blue ", &len);
  expect_defaults(text, len, "malformed: line 11: unknown entry key 'colour'");
  free(text);
}

Test(tune, unknown_header_key_falls_back) {
  size_t len;
  char *text = probe_text_edited("cpu.l1d=", "cpu.brand=Xeon\ncpu.l1d=", &len);
  expect_defaults(text, len, "malformed: line 8: unknown key 'cpu.brand'");
  free(text);
}

Test(tune, corrupt_last_entry_falls_back) { /* the other entries are fine: still all or nothing */
  size_t len;
  char *text = probe_text(&len);
  char *last = strrchr(text, ' ') + 1; /* tuned_ms=2.0000 */
  cr_assert_eq(strncmp(last, "tuned_ms=", 9), 0);
  last[9] = '-';
  expect_defaults(text, len, "bad value for tuned_ms");
  free(text);
}

Test(tune, file_cut_inside_its_last_line_falls_back) {
  size_t len;
  char *text = probe_text(&len);
  expect_defaults(text, len - 20, "malformed: line 22: the file is truncated (no final newline)");
  free(text);
}

Test(tune, file_cut_inside_the_header_falls_back) {
  size_t len;
  char *text = probe_text(&len);
  char *cut = strstr(text, "cpu.stepping=");
  expect_defaults(text, (size_t)(cut - text), "malformed: line 5: no cpu.stepping in the header");
  free(text);
}

Test(tune, file_cut_inside_its_first_entry_falls_back) {
  size_t len;
  char *text = probe_text(&len);
  char *cut = strstr(text, "\nentry ") + 10;
  expect_defaults(text, (size_t)(cut - text), "the file is truncated (no final newline)");
  free(text);
}

static char *header_value(const char *text, const char *key, char *buf) {
  const char *at = strstr(text, key);
  cr_assert_not_null(at);
  at += strlen(key);
  snprintf(buf, 64, "%.*s", (int)(strchr(at, '\n') - at), at);
  return buf;
}

/* A file from a CPU that differs in one identity field. */
static void expect_foreign_cpu(const char *key, const char *want_why) {
  size_t len;
  char *text = probe_text(&len), value[64], changed[80];
  header_value(text, key, value);
  free(text);
  if (!strcmp(key, "cpu.vendor=")) snprintf(changed, sizeof changed, "%sX", value);
  else if (!strcmp(key, "cpu.features=")) snprintf(changed, sizeof changed, "0x%x", (unsigned)strtoul(value, NULL, 16) ^ 0x40u);
  else snprintf(changed, sizeof changed, "%lld", strtoll(value, NULL, 10) + 1);
  text = probe_text_header(key, changed, &len);
  expect_defaults(text, len, want_why);
  free(text);
}

Test(tune, foreign_cpu_vendor_falls_back) { expect_foreign_cpu("cpu.vendor=", "measured on another CPU"); }
Test(tune, foreign_cpu_family_falls_back) { expect_foreign_cpu("cpu.family=", "measured on another CPU"); }
Test(tune, foreign_cpu_model_falls_back) { expect_foreign_cpu("cpu.model=", "measured on another CPU"); }
Test(tune, foreign_cpu_stepping_falls_back) { expect_foreign_cpu("cpu.stepping=", "measured on another CPU"); }
Test(tune, foreign_cpu_features_fall_back) { expect_foreign_cpu("cpu.features=", "measured on a CPU with other features"); }
Test(tune, foreign_l1d_size_falls_back) { expect_foreign_cpu("cpu.l1d=", "measured with other cache sizes"); }
Test(tune, foreign_l2_size_falls_back) { expect_foreign_cpu("cpu.l2=", "measured with other cache sizes"); }
Test(tune, foreign_l3_size_falls_back) { expect_foreign_cpu("cpu.l3=", "measured with other cache sizes"); }

Test(tune, another_recur_version_falls_back) {
  size_t len;
  char *text = probe_text_header("version=", "0.0.9", &len);
  char want[128];
  snprintf(want, sizeof want, "written by recur 0.0.9, this is %s", RECUR_VERSION_STRING);
  expect_defaults(text, len, want);
  free(text);
}

Test(tune, empty_file_falls_back) { expect_defaults("", 0, "malformed: the file is empty"); }

Test(tune, missing_file_falls_back) { expect_defaults(NULL, 0, "no such file"); }

Test(tune, a_folder_in_place_of_the_file_falls_back) {
  char path[PATH_LEN];
  tmp_path(path, "tune.conf");
  cr_assert_eq(mkdir(path, 0700), 0);
  expect_defaults(NULL, 0, "tune.conf");
}

/* ---------------------------------------------------------------------------------------- */
/* 3. The plan API reports the entry that applies                                            */

/* The network of the plan tests, and its entries per table: one packing per table (tables
 * differ so that a table's net shows it got its own), per-call choices at threads=2 for B=4
 * and B=16, at threads=1 for B=20 and B=40, at threads=4 for B=20 and B=45. */
static const recur_desc plan_net = {RECUR_CELL_LSTM, 24, 100, 1, 1, 0, 1, 0};

typedef struct call_entry {
  int threads;
  int64_t B;
  int mr;
  int64_t chunk, mc;
  int split, groups, use;
} call_entry;

static const call_entry plan_calls[] = {
  {2, 4, 1, 128, 32, RECUR_SPLIT_HIDDEN, 1, 2},
  {2, 16, 2, 7, 3, RECUR_SPLIT_BATCH, 2, 2},
  {1, 20, 3, 256, 0, RECUR_SPLIT_BATCH, 1, 1},
  {1, 40, 4, 1, 5, RECUR_SPLIT_HIDDEN, 1, 1},
  {4, 20, 5, 300, 0, RECUR_SPLIT_HIDDEN, 1, 3},
  {4, 45, 6, 9, 2, RECUR_SPLIT_BATCH, 2, 2}, /* 2: not fewer than at threads=2 (below) */
};
#define N_PLAN_CALLS (sizeof plan_calls / sizeof *plan_calls)

static recur_packing table_packing(int table) {
  static const recur_packing p[] = {{1, 0, 16, 8}, {2, 0, 24, 40}, {4, 0, 48, 12}};
  return p[table];
}

static void put_plan_entries(recur_tune_file *f, const char *isa, int table) {
  for (size_t i = 0; i < N_PLAN_CALLS; i++) {
    const call_entry *c = &plan_calls[i];
    recur_tune_params p = {table_packing(table),
                           {.mr = c->mr, .chunk_rows = c->chunk, .mc = c->mc, .split = c->split,
                            .groups = c->groups, .use_threads = c->use, .bparts = 1}};
    recur_tune_entry e = make_entry(plan_net.cell, isa, 2, plan_net.input_size, plan_net.hidden_size,
                                    0, c->threads, c->B, p);
    put(f, &e);
  }
}

/* What a call of call_B rows matching entry c must report on table isa (packing of table). */
static recur_plan expected_plan(const char *isa, int table, const call_entry *c, int64_t call_B) {
  recur_packing p = table_packing(table);
  int threads = c->use, groups = c->groups == 2 && threads >= 2 ? 2 : 1;
  int64_t tiles = (plan_net.hidden_size + p.nv * vec_of(isa) - 1) / (p.nv * vec_of(isa));
  int hidden = c->split == RECUR_SPLIT_HIDDEN && tiles > 1;
  /* the entry's threads, its groups, never more per group than tiles or rows to share */
  int64_t units = hidden ? tiles : call_B;
  int per_group = (threads + groups - 1) / groups, cap = per_group < units ? per_group : (int)units;
  int g0 = groups == 2 ? threads - threads / 2 : threads, g1 = groups == 2 ? threads / 2 : 0;
  g0 = g0 < cap ? g0 : cap, g1 = g1 < cap ? g1 : cap;
  recur_plan want = {.tuned_tiling = 1, .tuned_call = 1, .tuned_batch = c->B,
                     .nr = p.nv * vec_of(isa), .nr_proj = 0, .kc = p.kc, .kc_input = p.kc_input,
                     .mr = c->mr, .chunk_rows = c->chunk, .mc = c->mc, .threads = g0 + g1,
                     .groups = groups, .group_threads = {g0, g1}, .hidden_split = hidden};
  return want;
}

/* The plan of a call no entry matches: the tuned packing, the heuristic's per-call choices. */
static recur_plan untuned_call_plan(const recur_net *net, const char *isa, int table, int64_t B, int threads) {
  recur_packing p = table_packing(table);
  recur_schedule s = recur_schedule_choose(net, B, threads, NULL);
  const recur_kernels *k = net->kernels;
  recur_plan want = {.tuned_tiling = 1, .tuned_call = 0, .tuned_batch = 0,
                     .nr = p.nv * vec_of(isa), .kc = p.kc, .kc_input = p.kc_input,
                     .mr = recur_tile_rows(k, 0, (int)(4 * p.nv)), .chunk_rows = s.call.chunk_rows,
                     .mc = 0, .threads = s.call.use_threads, .groups = s.call.groups,
                     .group_threads = {s.group_threads[0], s.group_threads[1]},
                     .hidden_split = s.call.split == RECUR_SPLIT_HIDDEN};
  return want;
}

static const call_entry *plan_call(int threads, int64_t B) {
  for (size_t i = 0; i < N_PLAN_CALLS; i++)
    if (plan_calls[i].threads == threads && plan_calls[i].B == B) return &plan_calls[i];
  cr_assert_fail("no entry at threads=%d B=%lld", threads, (long long)B);
  return NULL;
}

/* Every matching case on the plan network built for table isa (the table-th vector table). */
static void check_plans(const char *isa, int table) {
  cr_assert_eq(recur_isa_force(isa), RECUR_OK, "%s", recur_last_error());
  recur_net *net = make_net(&plan_net, 7);
  /* call B, threads -> the entry at that threads and B (0: none) */
  static const struct { int64_t B; int threads; int64_t entry_B; } m[] = {
    {4, 2, 4}, {16, 2, 16},             /* exact */
    {2, 2, 4}, {3, 2, 4}, {5, 2, 4},    /* 2 = 4/2: the range's end */
    {8, 2, 4},                          /* 8/4 = 16/8: a tie goes to the smaller B */
    {7, 2, 4}, {9, 2, 16}, {11, 2, 16}, /* 11: only 16's range holds it */
    {32, 2, 16},                        /* 32 = 2 x 16: the range's end */
    {1, 2, 0}, {33, 2, 0}, {100, 2, 0}, /* outside every range */
    {10, 1, 20}, {28, 1, 20},           /* 28/20 = 1.4 < 40/28 */
    {29, 1, 40},                        /* 29/20 = 1.45 > 40/29 = 1.38: log scale, not 9 < 11 */
    {80, 1, 40}, {81, 1, 0}, {9, 1, 0},
    {30, 4, 20},                        /* 30/20 = 45/30: the tie again */
    {31, 4, 45},                        /* 31/20 = 1.55 > 45/31 = 1.45 */
    {22, 4, 20},                        /* 2 x 22 < 45: only 20's range */
    {23, 4, 20},                        /* both ranges; 23/20 = 1.15 < 45/23 = 1.96 */
    {16, 3, 0}, {4, 3, 0}, {20, 3, 0},  /* threads must match exactly */
  };
  for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
    char what[96];
    snprintf(what, sizeof what, "%s: B=%lld threads=%d", isa, (long long)m[i].B, m[i].threads);
    recur_plan got = plan_of(net, m[i].B, m[i].threads);
    cr_expect_str_eq(got.isa, isa, "%s", what);
    got.isa = NULL;
    int64_t entry_B = m[i].entry_B;
    recur_plan want = entry_B ? expected_plan(isa, table, plan_call(m[i].threads, entry_B), m[i].B)
                              : untuned_call_plan(net, isa, table, m[i].B, m[i].threads);
    expect_plan_eq(&got, &want, what);
  }
  recur_net_free(net);

  /* A network whose shape has entries for a table this CPU lacks only: nothing applies. */
  recur_desc other = plan_net;
  other.cell = RECUR_CELL_GRU;
  net = make_net(&other, 8);
  recur_plan got = plan_of(net, 4, 2);
  cr_expect_eq(got.tuned_tiling, 0, "%s: the GRU has entries for %s only", isa, foreign_table());
  cr_expect_eq(got.tuned_call, 0);
  cr_expect_eq(got.tuned_batch, 0);
  recur_net_free(net);
  /* Nor does an entry of another shape: I differs by one. */
  other = plan_net;
  other.input_size++;
  net = make_net(&other, 9);
  got = plan_of(net, 4, 2);
  cr_expect_eq(got.tuned_tiling, 0);
  cr_expect_eq(got.tuned_call, 0);
  recur_net_free(net);
}

Test(tune, the_plan_reports_the_entry_that_applies) {
  char fast[4][16], path[PATH_LEN];
  int n_fast = fast_tables(fast);
  const char *active = recur_isa_name(), *foreign = foreign_table();
  recur_cpu_id id;
  recur_cpu_identify(&id);
  recur_tune_file f;
  recur_tune_init(&f, &id);
  for (int t = 0; t < n_fast; t++) put_plan_entries(&f, fast[t], t);
  put_plan_entries(&f, foreign, 2); /* same shape, a table this CPU lacks: never applies */
  recur_tune_params gp = {{1, 0, 16, 16}, {1, 128, 32, RECUR_SPLIT_HIDDEN, 1, 2, 1}};
  recur_tune_entry gru = make_entry(RECUR_CELL_GRU, foreign, 2, 24, 100, 0, 2, 4, gp);
  put(&f, &gru);
  tmp_path(path, "tune.conf");
  write_tune_file(path, &f);
  cr_assert_eq(setenv("RECUR_TUNE_FILE", path, 1), 0);

  recur_tune_info info;
  recur_tune_status(&info);
  cr_assert_eq(info.loaded, 1, "%s", info.reason);
  cr_expect_eq(info.entries, (int64_t)f.n);
  /* the reference table has no tile sizes: a tune file has no entries for it */
  cr_expect_eq(info.applicable, strcmp(active, "scalar") ? (int64_t)N_PLAN_CALLS : 0,
               "entries for %s: %lld", active,
               (long long)info.applicable);

  if (!strcmp(active, "scalar")) {
    /* The reference table has no tiles: entries (even its own) never apply, the plan says so. */
    recur_net *net = make_net(&plan_net, 7);
    for (size_t i = 0; i < N_PLAN_CALLS; i++) {
      recur_plan p = plan_of(net, plan_calls[i].B, plan_calls[i].threads);
      cr_expect_str_eq(p.isa, "scalar");
      cr_expect_eq(p.tuned_tiling, 0);
      cr_expect_eq(p.tuned_call, 0);
      cr_expect_eq(p.tuned_batch, 0);
      cr_expect_eq(p.nr, 0);
      cr_expect_eq(p.nr_proj, 0);
      cr_expect_eq(p.kc, 0);
      cr_expect_eq(p.kc_input, 0);
      cr_expect_eq(p.mr, 0);
      cr_expect_eq(p.mc, 0);
    }
    recur_net_free(net);
  }
  /* Every vector table this CPU runs (the active one among them unless it is scalar). */
  for (int t = 0; t < n_fast; t++) check_plans(fast[t], t);
  cr_expect_gt(n_fast, 0, "no vector table on this CPU (%s)", recur_isa_list());
  recur_tune_file_free(&f);
}

/* The file of the tests below: for net d on the best vector table, at B rows, an entry per
 * thread count (use: the threads it runs; mr tells the entries apart). */
typedef struct threads_entry {
  int threads, use, mr, split;
} threads_entry;

static void put_threads_entries(const recur_desc *d, int64_t B, const threads_entry *t, size_t n) {
  char fast[4][16], path[PATH_LEN];
  cr_assert_gt(fast_tables(fast), 0, "no vector table on this CPU (%s)", recur_isa_list());
  cr_assert_eq(recur_isa_force(fast[0]), RECUR_OK, "%s", recur_last_error());
  recur_cpu_id id;
  recur_cpu_identify(&id);
  recur_tune_file f;
  recur_tune_init(&f, &id);
  for (size_t i = 0; i < n; i++) {
    recur_tune_params p = {{1, 0, 16, 16}, {.mr = t[i].mr, .chunk_rows = 128, .split = t[i].split,
                                            .groups = 1, .use_threads = t[i].use, .bparts = 1}};
    recur_tune_entry e = make_entry(d->cell, fast[0], d->bidirectional ? 2 : 1, d->input_size,
                                    d->hidden_size, d->proj_size, t[i].threads, B, p);
    put(&f, &e);
  }
  tmp_path(path, "tune.conf");
  write_tune_file(path, &f);
  recur_tune_file_free(&f);
  cr_assert_eq(setenv("RECUR_TUNE_FILE", path, 1), 0);
  recur_tune_info info;
  recur_tune_status(&info);
  cr_assert_eq(info.loaded, 1, "%s", info.reason);
}

/* y of a T=6 call of B rows on threads threads (the same x each time), malloc'd. */
static float *plan_test_y(const recur_net *net, const recur_desc *d, int64_t B, int threads) {
  size_t nx = (size_t)(6 * B * d->input_size), ny = (size_t)(6 * B * d->hidden_size);
  float *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y);
  poison_outputs(y, ny, threads == 1 ? WANT_POISON : OUT_POISON);
  unsigned seed = 8;
  randnet_fill(x, nx, &seed);
  recur_forward_args a = {.seq_len = 6, .batch = B, .input_size = d->input_size, .x = x, .y = y,
                          .num_threads = threads};
  cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
  free(x);
  return y;
}

/* Entries that disagree: at threads=2 the call runs on 2 threads, at 4 and 8 the entries say 1
 * (each measured alone; on a busy machine either can win). Asking for twice the threads never
 * runs on fewer: the calls at 4 and 8 take the plan at 2, entry and all, and give its bits; an
 * entry at 16 that keeps 2 threads stands (the plan at 8 runs 2). */
Test(tune, more_threads_asked_never_run_on_fewer) {
  const recur_desc d = {RECUR_CELL_LSTM, 64, 256, 1, 0, 0, 1, 0};
  static const threads_entry t[] = {{2, 2, 2, RECUR_SPLIT_HIDDEN}, {4, 1, 3, RECUR_SPLIT_HIDDEN},
                                    {8, 1, 4, RECUR_SPLIT_HIDDEN}, {16, 2, 1, RECUR_SPLIT_HIDDEN}};
  put_threads_entries(&d, 2, t, sizeof t / sizeof *t);
  recur_net *net = make_net(&d, 3);
  recur_plan two = plan_of(net, 2, 2);
  cr_assert(two.tuned_call && two.threads == 2 && two.mr == 2, "threads=2: %d threads, mr %d",
            two.threads, two.mr);
  float *want = plan_test_y(net, &d, 2, 1);
  for (int threads = 4; threads <= 8; threads *= 2) {
    char what[32];
    snprintf(what, sizeof what, "threads=%d", threads);
    recur_plan got = plan_of(net, 2, threads);
    expect_plan_eq(&got, &two, what);
    float *y = plan_test_y(net, &d, 2, threads);
    cr_expect_arr_eq(y, want, (size_t)(6 * 2 * d.hidden_size) * sizeof *y, "%s: y", what);
    free(y);
  }
  recur_plan sixteen = plan_of(net, 2, 16);
  cr_expect(sixteen.tuned_call && sixteen.threads == 2 && sixteen.mr == 1,
            "threads=16: %d threads, mr %d", sixteen.threads, sixteen.mr);
  free(want);
  recur_net_free(net);
}

/* Entries at thread counts 1 to 32 (powers of two and not), each running some team of at most
 * its count, either split: for every batch their ranges cover and every N up to 64, the plan
 * at 2N runs at least the threads of the plan at N. */
Test(tune, plans_never_shrink_as_threads_double) {
  const recur_desc d = {RECUR_CELL_GRU, 32, 200, 1, 1, 0, 1, 0};
  static const int counts[] = {1, 2, 3, 4, 5, 6, 8, 12, 16, 24, 32};
  threads_entry t[sizeof counts / sizeof *counts];
  unsigned seed = 17;
  for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
    seed = seed * 1103515245u + 12345u;
    t[i] = (threads_entry){counts[i], 1 + (int)((seed >> 16) % (unsigned)counts[i]), 1,
                           i % 2 ? RECUR_SPLIT_BATCH : RECUR_SPLIT_HIDDEN};
  }
  put_threads_entries(&d, 8, t, sizeof t / sizeof *t);
  recur_net *net = make_net(&d, 4);
  int shrank = 0, tuned = 0;
  for (int64_t B = 1; B <= 32; B++)
    for (int n = 1; n <= 64; n++) {
      recur_plan p = plan_of(net, B, n), q = plan_of(net, B, 2 * n);
      shrank += q.threads < p.threads;
      tuned += p.tuned_call;
      cr_expect_geq(q.threads, p.threads, "B=%lld: %d threads at N=%d, %d at 2N", (long long)B,
                    p.threads, n, q.threads);
    }
  cr_expect_eq(shrank, 0);
  cr_expect_gt(tuned, 0, "no entry applied");
  recur_net_free(net);
}

/* recur_net_plan's own argument checks. */
Test(tune, plan_rejects_bad_arguments) {
  char path[PATH_LEN];
  tmp_path(path, "none");
  setenv("RECUR_TUNE_FILE", path, 1);
  recur_net *net = make_net(&plan_net, 1);
  recur_plan p;
  cr_expect_eq(recur_net_plan(NULL, 1, 1, &p), RECUR_ERR_NULL_POINTER);
  cr_expect_eq(recur_net_plan(net, 1, 1, NULL), RECUR_ERR_NULL_POINTER);
  cr_expect_eq(recur_net_plan(net, 0, 1, &p), RECUR_ERR_INVALID_SIZE);
  cr_expect_eq(recur_net_plan(net, 1, -1, &p), RECUR_ERR_INVALID_SIZE);
  cr_expect_eq(recur_net_plan(net, ((int64_t)1 << 28) + 1, 1, &p), RECUR_ERR_INVALID_SIZE);
  cr_expect_eq(recur_net_plan(net, 3, 0, &p), RECUR_OK); /* 0: as a forward call would */
  cr_expect_eq(p.nr_proj, 0, "no projection, but nr_proj %lld", (long long)p.nr_proj);
  recur_net_free(net);
}

/* ---------------------------------------------------------------------------------------- */
/* 4. Tuned choices never change a bit                                                       */

static const recur_desc bit_cells[] = {
  {RECUR_CELL_RNN_TANH, 0, 0, 1, 0, 0, 1, 0},
  {RECUR_CELL_RNN_RELU, 0, 0, 1, 0, 0, 1, 0},
  {RECUR_CELL_LSTM, 0, 0, 1, 0, 0, 1, 0},
  {RECUR_CELL_GRU, 0, 0, 1, 0, 0, 1, 0},
  {RECUR_CELL_LSTM, 0, 0, 1, 0, 1, 1, 0}, /* proj_size: set from the sizes */
  {RECUR_CELL_GRU, 0, 0, 1, 1, 0, 1, 0},  /* bidirectional */
  {RECUR_CELL_LSTM, 0, 0, 2, 1, 1, 0, 0}, /* 2 layers, bidirectional, projection, no bias */
  {RECUR_CELL_RNN_TANH, 0, 0, 2, 1, 0, 1, 0},
};
#define N_BIT_CELLS (sizeof bit_cells / sizeof *bit_cells)
static const struct { int64_t I, H, P; } bit_sizes[] = {{19, 37, 11}, {32, 64, 16}};
#define N_BIT_SIZES 2
/* Two calls per network: B=5 on one thread (with lengths), B=16 on two (with h0, c0). */
#define BIT_T 9
static const struct { int64_t B; int threads; } bit_calls[] = {{5, 1}, {16, 2}};

/* A variant: very different choices for every network and call. nv[0] is for LSTM and GRU,
 * nv[1] for the RNNs; per call: mr, chunk, mc, split; groups and use for the 2-thread call. */
typedef struct variant {
  int nv[2], nv_proj;
  int64_t kc, kc_input;
  int mr[2];
  int64_t chunk[2], mc[2];
  int split[2], groups, use;
} variant;

static const variant variants[] = {
  {{1, 1}, 1, 8, 16, {1, 2}, {1, 7}, {0, 3}, {RECUR_SPLIT_HIDDEN, RECUR_SPLIT_BATCH}, 1, 2},
  {{2, 2}, 2, 16, 8, {3, 4}, {7, 1}, {3, 0}, {RECUR_SPLIT_BATCH, RECUR_SPLIT_HIDDEN}, 1, 1},
  {{4, 8}, 8, 1, 1, {5, 6}, {128, 3}, {32, 2}, {RECUR_SPLIT_HIDDEN, RECUR_SPLIT_HIDDEN}, 2, 2},
  {{4, 4}, 4, 1000, 3, {7, 8}, {1000, 16}, {7, 5}, {RECUR_SPLIT_BATCH, RECUR_SPLIT_BATCH}, 2, 2},
};

static recur_desc bit_desc(size_t c, size_t s) {
  recur_desc d = bit_cells[c];
  d.input_size = bit_sizes[s].I, d.hidden_size = bit_sizes[s].H;
  d.proj_size = d.proj_size ? bit_sizes[s].P : 0;
  return d;
}

static recur_tune_params variant_params(const variant *v, const recur_desc *d, size_t call) {
  int rnn = d->cell == RECUR_CELL_RNN_TANH || d->cell == RECUR_CELL_RNN_RELU;
  int threads = bit_calls[call].threads;
  recur_tune_params p = {
      .pack = {.nv = v->nv[rnn], .nv_proj = d->proj_size ? v->nv_proj : 0, .kc = v->kc,
               .kc_input = v->kc_input},
      .call = {.mr = v->mr[call], .chunk_rows = v->chunk[call], .mc = v->mc[call],
               .split = v->split[call], .groups = threads == 2 && d->bidirectional ? v->groups : 1,
               .use_threads = threads == 2 ? v->use : 1, .bparts = 1}};
  return p;
}

typedef struct outputs {
  float *y, *hn, *cn;
  size_t ny, nh, nc;
} outputs;

/* Outputs filled with fill first (poison.h). */
static void forward(const recur_net *net, const recur_desc *d, size_t call, unsigned seed, float fill,
                    outputs *o) {
  int64_t T = BIT_T, B = bit_calls[call].B, D = d->bidirectional ? 2 : 1;
  int64_t Hout = d->proj_size ? d->proj_size : d->hidden_size;
  size_t nx = (size_t)(T * B * d->input_size);
  o->ny = (size_t)(T * B * D * Hout);
  o->nh = (size_t)(d->num_layers * D * B * Hout);
  o->nc = d->cell == RECUR_CELL_LSTM ? (size_t)(d->num_layers * D * B * d->hidden_size) : 0;
  float *x = malloc(nx * sizeof *x), *h0 = malloc(o->nh * sizeof *h0);
  float *c0 = o->nc ? malloc(o->nc * sizeof *c0) : NULL;
  randnet_fill(x, nx, &seed);
  randnet_fill(h0, o->nh, &seed);
  if (c0) randnet_fill(c0, o->nc, &seed);
  int64_t lengths[5];
  for (int64_t b = 0; b < 5; b++) lengths[b] = 1 + (b * 5 + 3) % T;
  o->y = malloc(o->ny * sizeof(float));
  o->hn = malloc(o->nh * sizeof(float));
  o->cn = o->nc ? malloc(o->nc * sizeof(float)) : NULL;
  poison_outputs(o->y, o->ny, fill), poison_outputs(o->hn, o->nh, fill), poison_outputs(o->cn, o->nc, fill);
  recur_forward_args a = {.seq_len = T, .batch = B, .input_size = d->input_size, .x = x,
                          .y = o->y, .h_n = o->hn, .c_n = o->cn,
                          .num_threads = bit_calls[call].threads};
  if (call == 0) a.lengths = lengths;
  else a.h0 = h0, a.c0 = c0;
  cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
  free(x), free(h0), free(c0);
}

static void outputs_free(outputs *o) { free(o->y), free(o->hn), free(o->cn); }

#define MAX_TABLES 4
#define N_RUNS (MAX_TABLES * N_BIT_SIZES * N_BIT_CELLS * 2)

/* Runs every network and call on every vector table (and the active one) into out; checks
 * each plan is tuned (tuned = 1, with v's choices) or not. */
static int run_all(const char tables[][16], int n_tables, const variant *v, int tuned, outputs *out) {
  int runs = 0;
  for (int t = 0; t < n_tables; t++) {
    cr_assert_eq(recur_isa_force(tables[t]), RECUR_OK, "%s", recur_last_error());
    int packed = vec_of(tables[t]) > 0;
    for (size_t s = 0; s < N_BIT_SIZES; s++)
      for (size_t c = 0; c < N_BIT_CELLS; c++) {
        recur_desc d = bit_desc(c, s);
        recur_net *net = make_net(&d, (unsigned)(100 * s + c + 1));
        for (size_t k = 0; k < 2; k++) {
          recur_plan p = plan_of(net, bit_calls[k].B, bit_calls[k].threads);
          recur_tune_params want = variant_params(v, &d, k);
          cr_assert_eq(p.tuned_tiling, tuned && packed, "%s cell %zu size %zu: tuned_tiling", tables[t], c, s);
          cr_assert_eq(p.tuned_call, tuned && packed, "%s cell %zu size %zu call %zu: tuned_call", tables[t], c, s, k);
          if (tuned && packed) {
            cr_expect_eq(p.nr, want.pack.nv * vec_of(tables[t]));
            cr_expect_eq(p.kc, want.pack.kc);
            cr_expect_eq(p.mr, want.call.mr);
            cr_expect_eq(p.chunk_rows, want.call.chunk_rows);
            cr_expect_eq(p.mc, want.call.mc);
          }
          forward(net, &d, k, (unsigned)(7 * c + s + 3), tuned ? OUT_POISON : WANT_POISON, &out[runs++]);
        }
        recur_net_free(net);
      }
  }
  return runs;
}

static void expect_same_bits(size_t variant_index) {
  const variant *v = &variants[variant_index];
  char tables[MAX_TABLES][16], path[PATH_LEN];
  int n_tables = fast_tables(tables);
  cr_expect_gt(n_tables, 0, "no vector table usable on this CPU (%s)", recur_isa_list());
  if (!strcmp(recur_isa_name(), "scalar")) snprintf(tables[n_tables++], 16, "scalar");

  recur_cpu_id id;
  recur_cpu_identify(&id);
  recur_tune_file f;
  recur_tune_init(&f, &id);
  for (int t = 0; t < n_tables; t++) /* the scalar table has no tile sizes: no entries */
    for (size_t s = 0; s < N_BIT_SIZES && vec_of(tables[t]) > 0; s++)
      for (size_t c = 0; c < N_BIT_CELLS; c++) {
        recur_desc d = bit_desc(c, s);
        for (size_t k = 0; k < 2; k++) {
          recur_tune_entry e = make_entry(d.cell, tables[t], d.bidirectional ? 2 : 1, d.input_size,
                                          d.hidden_size, d.proj_size, bit_calls[k].threads,
                                          bit_calls[k].B, variant_params(v, &d, k));
          put(&f, &e);
        }
      }
  tmp_path(path, "tune.conf");
  write_tune_file(path, &f);
  recur_tune_file_free(&f);
  setenv("RECUR_TUNE_FILE", path, 1);

  static outputs tuned[N_RUNS], plain[N_RUNS];
  int n = run_all(tables, n_tables, v, 1, tuned);
  recur_tune_info info;
  recur_tune_status(&info);
  cr_assert_eq(info.loaded, 1, "%s", info.reason);
  recur_tune_ignore(); /* from here on: the built-in defaults, as without a tune file */
  cr_assert_eq(run_all(tables, n_tables, v, 0, plain), n);
  for (int i = 0; i < n; i++) {
    int per_table = N_BIT_SIZES * N_BIT_CELLS * 2, t = i / per_table, r = i % per_table;
    size_t s = (size_t)r / (N_BIT_CELLS * 2), c = (size_t)(r / 2) % N_BIT_CELLS, k = (size_t)r % 2;
    recur_desc d = bit_desc(c, s);
    char what[160];
    snprintf(what, sizeof what, "variant %zu, %s, %s%s I=%lld H=%lld P=%lld L=%lld, B=%lld threads=%d",
             variant_index, tables[t], d.bidirectional ? "bi" : "", recur_cell_name(d.cell),
             (long long)d.input_size, (long long)d.hidden_size, (long long)d.proj_size,
             (long long)d.num_layers, (long long)bit_calls[k].B, bit_calls[k].threads);
    cr_expect_arr_eq(tuned[i].y, plain[i].y, plain[i].ny * sizeof(float), "%s: y differs", what);
    cr_expect_arr_eq(tuned[i].hn, plain[i].hn, plain[i].nh * sizeof(float), "%s: h_n differs", what);
    if (plain[i].nc)
      cr_expect_arr_eq(tuned[i].cn, plain[i].cn, plain[i].nc * sizeof(float), "%s: c_n differs", what);
    outputs_free(&tuned[i]);
    outputs_free(&plain[i]);
  }
}

Test(tune, tuned_choices_give_the_same_bits_0) { expect_same_bits(0); }
Test(tune, tuned_choices_give_the_same_bits_1) { expect_same_bits(1); }
Test(tune, tuned_choices_give_the_same_bits_2) { expect_same_bits(2); }
Test(tune, tuned_choices_give_the_same_bits_3) { expect_same_bits(3); }

/* ---------------------------------------------------------------------------------------- */
/* The search on known times                                                                 */

/* A fake timer: its clock moves only as the fake runs take their time, default_ms on the
 * default network with the heuristic's choices and `faster` times that on anything else, each
 * run times a factor drawn uniformly from [1 - jitter, 1 + jitter] (a fixed xorshift seed). */
typedef struct fake_timer {
  double now; /* seconds */
  double default_ms, faster, jitter;
  recur_packing def; /* the default network's packing: the network of the first run */
  int runs;
  unsigned state;
} fake_timer;

static double fake_now(void *ctx) { return ((fake_timer *)ctx)->now; }

static int fake_run(void *ctx, const recur_net *net, const recur_forward_args *args,
                    const recur_call_choices *p) {
  (void)args;
  fake_timer *f = ctx;
  const recur_packing *pack = &net->tiling.pack;
  if (!f->runs++) f->def = *pack;
  int is_default = pack->nv == f->def.nv && pack->nv_proj == f->def.nv_proj &&
                   pack->kc == f->def.kc && pack->kc_input == f->def.kc_input && !p->mr &&
                   !p->chunk_rows && !p->mc && !p->split && !p->groups && !p->use_threads &&
                   !p->bparts;
  f->state ^= f->state << 13, f->state ^= f->state >> 17, f->state ^= f->state << 5;
  double u = 2.0 * (f->state >> 8) / 16777216.0 - 1;
  f->now += 1e-3 * f->default_ms * (is_default ? 1 : f->faster) * (1 + f->jitter * u);
  return 0;
}

/* Tunes an LSTM (T, B, I, H) = (10, 4, 64, 64) at one thread on the best table, for 30 s of
 * fake time in which every choice but the defaults takes `faster` times their 1 ms, with the
 * jitter: the outcome, after checking that a case not kept records the defaults' choices. */
static recur_tune_outcome tune_on_fake_times(double faster, double jitter) {
  char names[4][16];
  const recur_kernels *k;
  cr_assert_gt(fast_tables(names), 0, "no vector table: nothing to tune");
  cr_assert_eq(recur_kernels_find(names[0], &k), RECUR_OK);
  recur_tune_case tc = {{RECUR_CELL_LSTM, 64, 64, 1, 0, 0, 1, 0}, 10, 4, 1, RECUR_PRECISION_FP32};
  recur_tune_opts opts = {30, NULL, NULL};
  fake_timer f = {.default_ms = 1, .faster = faster, .jitter = jitter, .state = 2463534242u};
  recur_tune_timer timer = {{fake_now, &f}, fake_run, &f};
  recur_tune_outcome out;
  cr_assert_eq(recur_tune_search(k, &tc, 1, &opts, &timer, &out), RECUR_OK, "%s",
               recur_last_error());
  cr_assert(out.measured);
  if (!out.improved) { /* the entry spells out the defaults: their packing and schedule */
    recur_net *def;
    recur_net_options options = {tc.precision};
    cr_assert_eq(recur_tune_random_net(&tc.desc, k, &recur_packing_builtin, &options, &def),
                 RECUR_OK);
    recur_call_choices call = recur_schedule_choose(def, tc.B, tc.threads, NULL).call;
    cr_expect_eq(memcmp(&out.entry.p.pack, &def->tiling.pack, sizeof def->tiling.pack), 0);
    cr_expect(out.entry.p.call.mr == call.mr && out.entry.p.call.chunk_rows == call.chunk_rows &&
              out.entry.p.call.mc == call.mc && out.entry.p.call.split == call.split &&
              out.entry.p.call.use_threads == call.use_threads, "not the defaults' choices");
    cr_expect_eq(out.entry.tuned_ms, out.entry.default_ms);
    recur_net_free(def);
  }
  return out;
}

/* 7% faster, but each run varies by up to 25%: the rounds' ratios spread by +-14% (their half
 * interquartile range, by sampling the same distribution), so the gain is within the noise
 * and nothing is kept. Before the noise was judged, medians alone made it "tuned". */
Test(tune, a_gain_within_the_noise_is_not_kept) {
  recur_tune_outcome out = tune_on_fake_times(0.93, 0.25);
  cr_expect_not(out.improved, "kept a 7%% gain amid 25%% noise: gain %g, noise %g", out.gain,
                out.noise);
}

/* 30% faster amid the same noise (the ratios' half interquartile range 0.103): kept, with the
 * gain and noise the timings give. */
Test(tune, a_clear_winner_is_kept) {
  recur_tune_outcome out = tune_on_fake_times(0.7, 0.25);
  cr_assert(out.compared && out.improved, "gain %g, noise %g", out.gain, out.noise);
  cr_expect(fabs(out.gain - 0.3) < 0.03, "gain %g", out.gain);
  cr_expect(out.noise > 0.08 && out.noise < 0.13, "noise %g", out.noise);
  cr_expect(fabs(out.entry.tuned_ms / out.entry.default_ms - 0.7) < 0.03, "%g ms against %g",
            out.entry.tuned_ms, out.entry.default_ms);
}

/* The same 7% on a quiet machine (1% jitter: noise 0.005) is kept. */
Test(tune, a_small_gain_above_quiet_noise_is_kept) {
  recur_tune_outcome out = tune_on_fake_times(0.93, 0.01);
  cr_assert(out.compared && out.improved, "gain %g, noise %g", out.gain, out.noise);
  cr_expect(fabs(out.gain - 0.07) < 0.005 && out.noise < 0.01, "gain %g, noise %g", out.gain,
            out.noise);
}

/* 2% faster, well above its noise (0.001), but under the least gain of 3%: found by the search
 * (whose steps take 1%), compared, and not kept. */
Test(tune, a_gain_under_the_least_gain_is_not_kept) {
  recur_tune_outcome out = tune_on_fake_times(0.98, 0.002);
  cr_expect(out.compared && !out.improved, "gain %g, noise %g", out.gain, out.noise);
  cr_expect(fabs(out.gain - 0.02) < 0.002, "gain %g", out.gain);
}

/* A contender on a fake clock: each run takes the next of its durations (ms). */
typedef struct scripted {
  double *now; /* seconds */
  const double *ms;
  int next;
} scripted;

static int scripted_run(void *ctx) {
  scripted *s = ctx;
  *s->now += 1e-3 * s->ms[s->next++];
  return 0;
}

static double clock_at(void *ctx) { return *(double *)ctx; }

/* recur_bench_time_on: a warm-up each, then the contenders in turn, round by round; each
 * one's median, minimum and spread (interquartile range over the median), and the second's
 * ratio to the first round by round: its median and half its interquartile range. Expected:
 * numpy.quantile (linear, its default) of the same numbers. */
Test(tune, timing_pairs_the_rounds) {
  static const double a[] = {5, 1.0, 1.2, 0.9, 1.1, 1.0, 1.3, 0.8}, /* the warm-up first */
                      b[] = {5, 0.5, 0.7, 0.45, 0.5, 0.6, 0.55, 0.4};
  double now = 0;
  scripted sa = {&now, a, 0}, sb = {&now, b, 0};
  struct recur_bench_contender c[2] = {{scripted_run, &sa, {0}, 0}, {scripted_run, &sb, {0}, 0}};
  struct recur_bench_clock clock = {clock_at, &now};
  cr_assert_eq(recur_bench_time_on(c, 2, &(struct recur_bench_budget){7, 0, 1}, &clock), 0);
  cr_expect(sa.next == 8 && sb.next == 8, "runs %d and %d", sa.next, sb.next);
  const struct recur_bench_timing *ta = &c[0].timing, *tb = &c[1].timing;
  cr_expect(ta->runs == 7 && tb->runs == 7);
  cr_expect(fabs(ta->median_ms - 1.0) < 1e-9 && fabs(ta->min_ms - 0.8) < 1e-9, "%g", ta->median_ms);
  cr_expect(fabs(ta->spread - 0.2) < 1e-9, "spread %g", ta->spread);
  cr_expect(ta->ratio == 0 && ta->ratio_noise == 0, "the first is not paired");
  cr_expect(fabs(tb->median_ms - 0.5) < 1e-9 && fabs(tb->min_ms - 0.4) < 1e-9, "%g", tb->median_ms);
  cr_expect(fabs(tb->spread - 0.2) < 1e-9, "spread %g", tb->spread);
  cr_expect(fabs(tb->ratio - 0.5) < 1e-9, "ratio %g", tb->ratio);
  cr_expect(fabs(tb->ratio_noise - 0.032196969696969724) < 1e-9, "noise %g", tb->ratio_noise);

  /* warm-ups that fill the budget alone are the only samples: one round, no spread */
  now = 0, sa.next = sb.next = 0;
  cr_assert_eq(recur_bench_time_on(c, 2, &(struct recur_bench_budget){7, 0, 0.004}, &clock), 0);
  cr_expect(sa.next == 1 && sb.next == 1 && ta->runs == 1 && tb->runs == 1);
  cr_expect(fabs(tb->median_ms - 5) < 1e-9 && fabs(tb->ratio - 1) < 1e-9, "%g", tb->ratio);
  cr_expect(ta->spread == 0 && tb->spread == 0 && tb->ratio_noise == 0);
}

/* Busy: the load average above the CPUs a run's threads leave free, plus half a CPU. */
Test(tune, a_load_that_takes_the_runs_cpus_is_busy) {
  cr_expect_not(recur_bench_busy(0.1, 2, 2));
  cr_expect_not(recur_bench_busy(0.5, 2, 2));
  cr_expect(recur_bench_busy(0.6, 2, 2));
  cr_expect_not(recur_bench_busy(1.4, 2, 1));
  cr_expect(recur_bench_busy(1.6, 2, 1));
  cr_expect(recur_bench_busy(7.1, 2, 1));
  cr_expect_not(recur_bench_busy(3.4, 8, 4));
  cr_expect(recur_bench_busy(4.6, 8, 4));
  double load = -1;
  int cpus = -1;
  cr_assert(recur_bench_load(&load, &cpus), "no /proc/loadavg on Linux");
  cr_expect(load >= 0 && cpus >= 1, "load %g on %d CPUs", load, cpus);
  cr_expect_eq(cpus, (int)sysconf(_SC_NPROCESSORS_ONLN));
}
