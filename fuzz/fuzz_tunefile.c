/* Fuzz target: tune-file text through recur_tune_parse. A failed parse leaves an empty file and
 * a one-line "line N: why"; a file that parses holds only entries within the documented
 * constraints (tunefile.h), with distinct keys and one packing per network shape; formatted it
 * parses again to the same entries and the same text; the lookups find each entry by its own
 * key and agree with a brute-force search; put and remove keep it consistent; the origin check
 * accepts the file's own CPU exactly when the version is this one's, and runs against this
 * machine's. */
#include <math.h>
#include <string.h>

#include "cpu.h"
#include "fuzz_target.h"
#include "internal.h"
#include "kernels.h"
#include "tunefile.h"

#define WHY_LEN 256

static int gates(recur_cell cell) {
  return cell == RECUR_CELL_LSTM ? 4 : cell == RECUR_CELL_GRU ? 3 : 1;
}

static int valid_nv(int nv) { return nv == 1 || nv == 2 || nv == 4 || nv == 8; }

static int same_net(const recur_tune_key *a, const recur_tune_key *b) {
  return a->cell == b->cell && !strcmp(a->isa, b->isa) && a->precision == b->precision &&
         a->dirs == b->dirs && a->I == b->I &&
         a->H == b->H && a->P == b->P;
}

static int same_key(const recur_tune_key *a, const recur_tune_key *b) {
  return same_net(a, b) && a->threads == b->threads && a->B == b->B;
}

static int same_packing(const recur_packing *a, const recur_packing *b) {
  return a->nv == b->nv && a->nv_proj == b->nv_proj && a->kc == b->kc && a->kc_input == b->kc_input;
}

static int same_params(const recur_tune_params *a, const recur_tune_params *b) {
  const recur_call_choices *p = &a->call, *q = &b->call;
  return same_packing(&a->pack, &b->pack) && p->mr == q->mr && p->chunk_rows == q->chunk_rows &&
         p->mc == q->mc && p->split == q->split && p->groups == q->groups &&
         p->use_threads == q->use_threads && p->bparts == q->bparts;
}

static int in_range(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

/* A NUL-terminated, non-empty string of printable non-space ASCII within cap bytes. */
static void check_word(const char *s, size_t cap, const char *what) {
  const char *end = memchr(s, 0, cap);
  if (!end || end == s)
    fuzz_fail("%s is empty or not NUL-terminated", what);
  for (const char *c = s; c < end; c++)
    if (*c <= ' ' || *c >= 127)
      fuzz_fail("%s holds byte 0x%02x", what, (unsigned char)*c);
}

/* The constraints tunefile.h and the parser promise for every entry it accepts. */
static void check_entry(const recur_tune_entry *e, size_t i) {
  const recur_tune_key *k = &e->key;
  const recur_packing *pk = &e->p.pack;
  const recur_call_choices *p = &e->p.call;
  if (!in_range(k->cell, RECUR_CELL_RNN_TANH, RECUR_CELL_GRU))
    fuzz_fail("entry %zu: cell %d", i, (int)k->cell);
  if (!memchr(k->isa, 0, sizeof k->isa))
    fuzz_fail("entry %zu: isa not NUL-terminated", i);
  if (!recur_isa_named(k->isa, strlen(k->isa)))
    fuzz_fail("entry %zu: isa '%s'", i, k->isa);
  if (!recur_precision_name(k->precision))
    fuzz_fail("entry %zu: precision %d", i, (int)k->precision);
  if (!in_range(k->dirs, 1, 2) || !in_range(k->I, 1, RECUR_MAX_DIM) ||
      !in_range(k->H, 1, RECUR_MAX_DIM) || !in_range(k->P, 0, RECUR_MAX_DIM) ||
      !in_range(k->threads, 1, RECUR_TUNE_MAX_THREADS) || !in_range(k->B, 1, RECUR_MAX_DIM))
    fuzz_fail("entry %zu: key out of range", i);
  if (k->P && (k->cell != RECUR_CELL_LSTM || k->P >= k->H))
    fuzz_fail("entry %zu: P = %lld without an LSTM or not below H", i, (long long)k->P);
  int g = gates(k->cell);
  if (!valid_nv(pk->nv) || pk->nv * g > RECUR_GNV_MAX || recur_gnv_index(pk->nv * g) < 0)
    fuzz_fail("entry %zu: nv %d for %d gates", i, pk->nv, g);
  if (k->P ? !valid_nv(pk->nv_proj) : pk->nv_proj != 0)
    fuzz_fail("entry %zu: nv_proj %d with P = %lld", i, pk->nv_proj, (long long)k->P);
  if (!in_range(pk->kc, 1, RECUR_MAX_DIM) || !in_range(pk->kc_input, 1, RECUR_MAX_DIM))
    fuzz_fail("entry %zu: kc %lld, kc_input %lld", i, (long long)pk->kc, (long long)pk->kc_input);
  if (!in_range(p->mr, 0, RECUR_MR_MAX) || !in_range(p->chunk_rows, 1, RECUR_MAX_DIM) ||
      !in_range(p->mc, 0, RECUR_MAX_DIM))
    fuzz_fail("entry %zu: mr %d, chunk %lld, mc %lld", i, p->mr, (long long)p->chunk_rows,
              (long long)p->mc);
  if (p->split != RECUR_SPLIT_BATCH && p->split != RECUR_SPLIT_HIDDEN)
    fuzz_fail("entry %zu: split %d", i, p->split);
  if (!in_range(p->groups, 1, 2) || (p->groups == 2 && k->dirs != 2))
    fuzz_fail("entry %zu: groups %d with dirs %d", i, p->groups, k->dirs);
  if (!in_range(p->use_threads, 1, k->threads))
    fuzz_fail("entry %zu: use %d of %d threads", i, p->use_threads, k->threads);
  if (!in_range(p->bparts, 1, p->use_threads))
    fuzz_fail("entry %zu: bparts %d of %d threads used", i, p->bparts, p->use_threads);
  if (!isfinite(e->default_ms) || e->default_ms < 0 || !isfinite(e->tuned_ms) || e->tuned_ms < 0)
    fuzz_fail("entry %zu: times %g, %g ms", i, e->default_ms, e->tuned_ms);
}

/* Is B's distance to a on a log scale, max(a, B) / min(a, B), less than (< 0), equal to or more
 * than its distance to b? Compared exactly, in 128 bits. */
static int nearer(int64_t B, int64_t a, int64_t b) {
  __int128 an = a > B ? a : B, ad = a > B ? B : a, bn = b > B ? b : B, bd = b > B ? B : b;
  return an * bd < bn * ad ? -1 : an * bd > bn * ad;
}

/* recur_tune_find_call against a search of every entry. */
static void check_find_call(const recur_tune_file *f, const recur_tune_key *k) {
  const recur_tune_entry *got = recur_tune_find_call(f, k);
  const recur_tune_entry *want = NULL;
  for (size_t i = 0; i < f->n; i++) {
    const recur_tune_entry *e = &f->entries[i];
    if (!same_net(&e->key, k) || e->key.threads != k->threads || 2 * k->B < e->key.B ||
        k->B > 2 * e->key.B)
      continue;
    int d = want ? nearer(k->B, e->key.B, want->key.B) : -1;
    if (d < 0 || (d == 0 && e->key.B < want->key.B))
      want = e;
  }
  if (got != want)
    fuzz_fail("find_call for B = %lld: entry %td, a search finds %td", (long long)k->B,
              got ? got - f->entries : -1, want ? want - f->entries : -1);
}

/* Everything a parsed file must satisfy. */
static void check_file(const recur_tune_file *f) {
  check_word(f->version, sizeof f->version, "version");
  check_word(f->cpu.vendor, sizeof f->cpu.vendor, "cpu.vendor");
  if (f->n > RECUR_TUNE_MAX_ENTRIES || f->n > f->cap || (f->n && !f->entries))
    fuzz_fail("n %zu, cap %zu, entries %p", f->n, f->cap, (void *)f->entries);
  for (size_t i = 0; i < f->n; i++) {
    const recur_tune_entry *e = &f->entries[i];
    check_entry(e, i);
    for (size_t j = 0; j < i; j++) {
      if (same_key(&f->entries[j].key, &e->key))
        fuzz_fail("entries %zu and %zu have the same key", j, i);
      if (same_net(&f->entries[j].key, &e->key) && !same_packing(&f->entries[j].p.pack, &e->p.pack))
        fuzz_fail("entries %zu and %zu: one network shape, two packings", j, i);
    }
    /* its own key finds it (keys are distinct) */
    if (recur_tune_find_call(f, &e->key) != e)
      fuzz_fail("find_call for entry %zu's own key finds another", i);
    /* the network-level entry: same shape and packing, the smallest B, then fewest threads */
    const recur_tune_entry *net = recur_tune_find_net(f, &e->key);
    if (!net || !same_net(&net->key, &e->key) || !same_packing(&net->p.pack, &e->p.pack))
      fuzz_fail("find_net for entry %zu: another network shape or packing", i);
    if (net->key.B > e->key.B || (net->key.B == e->key.B && net->key.threads > e->key.threads))
      fuzz_fail("find_net for entry %zu: not the smallest B, then threads", i);
    /* nearby batches */
    recur_tune_key k = e->key;
    const int64_t bs[] = {e->key.B - 1, e->key.B + 1, e->key.B / 2, 2 * e->key.B, 3 * e->key.B};
    for (size_t j = 0; j < sizeof bs / sizeof *bs; j++)
      if (bs[j] >= 1 && bs[j] <= RECUR_MAX_DIM)
        k.B = bs[j], check_find_call(f, &k);
    k = e->key;
    k.threads = e->key.threads + 1;
    check_find_call(f, &k);
  }
}

/* Sorted, each network shape's entries are one run, and the view of it finds what the whole
 * file finds (how the library searches at each call). Sorts f. */
static void check_views(recur_tune_file *f) {
  recur_tune_sort(f);
  for (size_t i = 0; i < f->n; i++) {
    const recur_tune_key *k = &f->entries[i].key;
    recur_tune_file view = recur_tune_net_entries(f, k);
    size_t count = 0;
    for (size_t j = 0; j < f->n; j++) count += same_net(&f->entries[j].key, k);
    if (view.n != count || view.entries > &f->entries[i] || &f->entries[i] >= view.entries + view.n)
      fuzz_fail("entry %zu: a view of %zu entries, %zu of its shape", i, view.n, count);
    for (size_t j = 0; j < view.n; j++)
      if (!same_net(&view.entries[j].key, k))
        fuzz_fail("entry %zu: its view holds another network shape", i);
    recur_tune_key near = *k;
    near.B = k->B + 1 <= RECUR_MAX_DIM ? k->B + 1 : k->B - 1;
    if (recur_tune_find_call(&view, &near) != recur_tune_find_call(f, &near) ||
        recur_tune_find_net(&view, k) != recur_tune_find_net(f, k))
      fuzz_fail("entry %zu: its view finds another entry than the file", i);
  }
}

static void check_why(const char *why, const char *what) {
  const char *end = memchr(why, 0, WHY_LEN);
  if (!end || end == why)
    fuzz_fail("%s: empty or unterminated message", what);
  for (const char *c = why; c < end; c++)
    if (*c == '\n')
      fuzz_fail("%s: message of more than one line", what);
}

static void check_same_entries(const recur_tune_file *a, const recur_tune_file *b) {
  if (a->n != b->n || strcmp(a->version, b->version) || strcmp(a->cpu.vendor, b->cpu.vendor) ||
      a->cpu.family != b->cpu.family || a->cpu.model != b->cpu.model ||
      a->cpu.stepping != b->cpu.stepping || a->cpu.features != b->cpu.features ||
      a->cpu.l1d != b->cpu.l1d || a->cpu.l2 != b->cpu.l2 || a->cpu.l3 != b->cpu.l3)
    fuzz_fail("formatted and parsed again: another header or %zu entries, not %zu", b->n, a->n);
  for (size_t i = 0; i < a->n; i++)
    if (!same_key(&a->entries[i].key, &b->entries[i].key) ||
        !same_params(&a->entries[i].p, &b->entries[i].p))
      fuzz_fail("formatted and parsed again: entry %zu differs", i);
}

/* f formatted parses again to the same entries, and formats to the same text. Returns the
 * text (the caller frees it). */
static char *check_round_trip(const recur_tune_file *f, size_t *len) {
  char *text = recur_tune_format(f, len);
  if (!text)
    fuzz_fail("format failed");
  if (strlen(text) != *len)
    fuzz_fail("format: length %zu, but %zu bytes before the NUL", *len, strlen(text));
  recur_tune_file g;
  char why[WHY_LEN];
  if (recur_tune_parse(text, *len, &g, why, sizeof why) != RECUR_OK)
    fuzz_fail("formatted file does not parse: %s", why);
  check_same_entries(f, &g);
  size_t len2;
  char *text2 = recur_tune_format(&g, &len2);
  if (!text2 || len2 != *len || memcmp(text, text2, *len))
    fuzz_fail("format(parse(format(x))) differs from format(x)");
  free(text2);
  recur_tune_file_free(&g);
  return text;
}

static void check_origin(const recur_tune_file *f) {
  static recur_cpu_id here;
  static int identified;
  if (!identified)
    recur_cpu_identify(&here), identified = 1;
  char why[WHY_LEN];
  /* its own CPU: only the version can differ */
  memset(why, 0x55, sizeof why);
  int own = recur_tune_check_origin(f, &f->cpu, why, sizeof why);
  if (own != !strcmp(f->version, RECUR_VERSION_STRING))
    fuzz_fail("check_origin against the file's own CPU: %d with version '%s'", own, f->version);
  if (!own)
    check_why(why, "check_origin (own CPU)");
  memset(why, 0x55, sizeof why);
  int ok = recur_tune_check_origin(f, &here, why, sizeof why);
  if (ok != 0 && ok != 1)
    fuzz_fail("check_origin returned %d", ok);
  if (!ok)
    check_why(why, "check_origin (this CPU)");
  else if (!own || strcmp(f->cpu.vendor, here.vendor) || f->cpu.family != here.family ||
           f->cpu.model != here.model || f->cpu.stepping != here.stepping ||
           f->cpu.features != here.features || f->cpu.l1d != here.l1d || f->cpu.l2 != here.l2 ||
           f->cpu.l3 != here.l3)
    fuzz_fail("check_origin accepts a file from another CPU");
  /* a file made here, for this CPU, is this CPU's */
  recur_tune_file mine;
  recur_tune_init(&mine, &here);
  if (mine.n || mine.entries || recur_tune_check_origin(&mine, &here, why, sizeof why) != 1)
    fuzz_fail("check_origin refuses an empty file made for this CPU: %s", why);
  /* a tiny buffer still gets a terminated message */
  char small[4] = {1, 1, 1, 1};
  if (!recur_tune_check_origin(f, &here, small, sizeof small) && !memchr(small, 0, sizeof small))
    fuzz_fail("check_origin: message not NUL-terminated in a small buffer");
}

/* put of each existing entry keeps the file's entries and its text parseable; put of one with
 * another packing drops the others of its network; remove takes exactly one entry. */
static void check_edits(const recur_tune_file *orig) {
  recur_tune_file f = *orig;
  f.entries = NULL, f.n = f.cap = 0;
  for (size_t i = 0; i < orig->n; i++)
    if (recur_tune_put(&f, &orig->entries[i]) != RECUR_OK)
      fuzz_fail("put into a copy failed");
  if (f.n != orig->n)
    fuzz_fail("copy by put: %zu entries, not %zu", f.n, orig->n);
  size_t len;
  for (size_t i = 0; i < orig->n && i < 8; i++) {
    recur_tune_entry e = orig->entries[i];
    e.p.call.mr = (e.p.call.mr + 1) % (RECUR_MR_MAX + 1); /* another per-call choice */
    if (recur_tune_put(&f, &e) != RECUR_OK || f.n != orig->n)
      fuzz_fail("put of existing entry %zu: %zu entries, not %zu", i, f.n, orig->n);
    const recur_tune_entry *got = recur_tune_find_call(&f, &e.key);
    if (!got || !same_key(&got->key, &e.key) || !same_params(&got->p, &e.p))
      fuzz_fail("put of existing entry %zu: find_call does not find it", i);
    free(check_round_trip(&f, &len));
  }
  if (orig->n) {
    /* another packing for entry 0's network: only the new entry of it stays */
    recur_tune_entry e = orig->entries[0];
    size_t others = 0;
    for (size_t i = 0; i < f.n; i++)
      others += !same_net(&f.entries[i].key, &e.key);
    e.p.pack.kc = e.p.pack.kc == RECUR_MAX_DIM ? 1 : e.p.pack.kc + 1;
    if (recur_tune_put(&f, &e) != RECUR_OK || f.n != others + 1)
      fuzz_fail("put with another packing: %zu entries, not %zu", f.n, others + 1);
    if (recur_tune_find_net(&f, &e.key) != &f.entries[f.n - 1])
      fuzz_fail("put with another packing: find_net does not find the new entry");
    free(check_round_trip(&f, &len));
  }
  recur_tune_file_free(&f);
  if (f.entries || f.n || f.cap)
    fuzz_fail("free left entries");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  recur_tune_file f;
  char why[WHY_LEN];
  memset(&f, 0x55, sizeof f);
  memset(why, 0x55, sizeof why);
  /* an empty input still needs a non-NULL pointer */
  const char *text = size ? (const char *)data : "";
  recur_status st = recur_tune_parse(text, size, &f, why, sizeof why);
  if (st != RECUR_OK) {
    if (st != RECUR_ERR_BAD_FILE)
      fuzz_fail("failed parse with status %d", (int)st);
    if (f.n || f.cap || f.entries)
      fuzz_fail("failed parse left %zu entries (cap %zu, %p)", f.n, f.cap, (void *)f.entries);
    check_why(why, "failed parse");
    if (size && strncmp(why, "line ", 5))
      fuzz_fail("failed parse: message '%s' without its line", why);
    /* the same verdict, truncated but terminated, in a small buffer */
    char small[12];
    memset(small, 0x55, sizeof small);
    recur_tune_file g;
    if (recur_tune_parse(text, size, &g, small, sizeof small) != st || g.n || g.entries ||
        !memchr(small, 0, sizeof small) || strncmp(small, why, strlen(small)))
      fuzz_fail("failed parse: another verdict with a small message buffer");
    return 0;
  }
  check_file(&f);
  check_origin(&f);
  size_t len;
  free(check_round_trip(&f, &len));
  check_edits(&f);
  check_views(&f);
  recur_tune_file_free(&f);
  if (f.entries || f.n || f.cap)
    fuzz_fail("free left entries");
  return 0;
}
