/* The buffer contract of the C API: which buffers may alias (only h_n == h0 and c_n == c0,
 * exactly), that a failed call writes nothing and a call never writes its inputs, and that
 * the library keeps no pointer to the caller's weights or file bytes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "randnet.h"

/* A network and every buffer of one call, each in its own allocation. */
typedef struct call {
  recur_net *net;
  recur_desc d;
  int64_t T, B;
  size_t nx, ny, nh, nc;
  float *x, *y, *h0, *c0, *hn, *cn;
  int64_t *lengths;
  recur_forward_args a;
} call;

static float *floats(size_t n, unsigned seed) {
  float *p = malloc((n ? n : 1) * sizeof *p);
  cr_assert_not_null(p);
  randnet_fill(p, n, &seed);
  return p;
}

/* Lengths T, 1, T-1, ... so that rows end at the first step, the last, and between. */
static void call_make(call *c, const recur_desc *d, int64_t T, int64_t B) {
  memset(c, 0, sizeof *c);
  c->d = *d;
  c->T = T;
  c->B = B;
  randnet_tensors w;
  randnet_make(d, 21, &w);
  cr_assert_eq(recur_net_create(&c->net, d, w.t, w.n), RECUR_OK, "%s", recur_last_error());
  randnet_free(&w);
  int64_t D = d->bidirectional ? 2 : 1, Hout = d->proj_size ? d->proj_size : d->hidden_size;
  int lstm = d->cell == RECUR_CELL_LSTM;
  c->nx = (size_t)(T * B * d->input_size);
  c->ny = (size_t)(T * B * D * Hout);
  c->nh = (size_t)(d->num_layers * D * B * Hout);
  c->nc = lstm ? (size_t)(d->num_layers * D * B * d->hidden_size) : 0;
  c->x = floats(c->nx, 1);
  c->y = floats(c->ny, 2);
  c->h0 = floats(c->nh, 3);
  c->hn = floats(c->nh, 4);
  c->c0 = floats(c->nc, 5);
  c->cn = floats(c->nc, 6);
  c->lengths = malloc((size_t)B * sizeof *c->lengths);
  cr_assert_not_null(c->lengths);
  for (int64_t b = 0; b < B; b++)
    c->lengths[b] = b % 3 == 0 ? T : b % 3 == 1 ? 1 : T - 1;
  c->a = (recur_forward_args){.seq_len = T, .batch = B, .input_size = d->input_size, .x = c->x,
                              .lengths = c->lengths, .h0 = c->h0, .c0 = lstm ? c->c0 : NULL,
                              .y = c->y, .h_n = c->hn, .c_n = lstm ? c->cn : NULL};
}

static void call_free(call *c) {
  recur_net_free(c->net);
  free(c->x), free(c->y), free(c->h0), free(c->hn), free(c->c0), free(c->cn), free(c->lengths);
}

static const recur_desc lstm_proj = {RECUR_CELL_LSTM, 6, 150, 3, 1, 40, 1, 0};
static const recur_desc gru = {RECUR_CELL_GRU, 5, 130, 2, 1, 0, 1, 0};
static const recur_desc rnn = {RECUR_CELL_RNN_RELU, 7, 9, 2, 0, 0, 0, 0};

/* ---------------------------------------------------------------------------------------- */
/* In-place state updates                                                                    */

/* h_n == h0 and c_n == c0 give what separate buffers give, with one thread and with two (whose
 * hidden-tile split at these sizes has each thread read h0 and write h_n). */
static float *copy_of(const float *p, size_t n) {
  float *q = malloc((n ? n : 1) * sizeof *q);
  cr_assert_not_null(q);
  memcpy(q, p, n * sizeof *q);
  return q;
}

static void expect_in_place_matches(const recur_desc *d, int64_t T, int64_t B, int threads) {
  call c;
  call_make(&c, d, T, B);
  c.a.num_threads = threads;
  cr_assert_eq(recur_forward(c.net, &c.a), RECUR_OK, "%s", recur_last_error());
  float *y = copy_of(c.y, c.ny), *state_h = copy_of(c.h0, c.nh), *state_c = copy_of(c.c0, c.nc);
  c.a.h0 = c.a.h_n = state_h;
  if (c.nc)
    c.a.c0 = c.a.c_n = state_c;
  memset(c.y, 0xff, c.ny * sizeof *c.y);
  cr_assert_eq(recur_forward(c.net, &c.a), RECUR_OK, "%s", recur_last_error());
  const char *cell = recur_cell_name(d->cell);
  cr_expect_arr_eq(c.y, y, c.ny * sizeof *y, "%s, %d threads: y", cell, threads);
  cr_expect_arr_eq(state_h, c.hn, c.nh * sizeof *c.hn, "%s, %d threads: h_n", cell, threads);
  cr_expect_arr_eq(state_c, c.cn, c.nc * sizeof *c.cn, "%s, %d threads: c_n", cell, threads);
  free(y), free(state_h), free(state_c);
  call_free(&c);
}

Test(buffers, in_place_state_update_matches_separate_buffers) {
  for (int threads = 1; threads <= 2; threads++) {
    expect_in_place_matches(&lstm_proj, 5, 3, threads);
    expect_in_place_matches(&lstm_proj, 1, 2, threads);
    expect_in_place_matches(&gru, 4, 2, threads);
    expect_in_place_matches(&rnn, 3, 4, threads);
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Overlaps                                                                                  */

static void expect_overlap_refused(call *c, const recur_forward_args *a, const char *needle) {
  cr_expect_eq(recur_forward(c->net, a), RECUR_ERR_INVALID_ARGUMENT, "%s: %s", needle,
               recur_last_error());
  cr_expect(strstr(recur_last_error(), needle), "'%s' not in '%s'", needle, recur_last_error());
}

/* Each buffer gets its own slot of one block, the slots so far apart that a buffer moved onto
 * another reaches that one only. */
Test(buffers, every_other_overlap_is_refused) {
  call c;
  call_make(&c, &lstm_proj, 4, 3);
  size_t slot = 2 * c.nc; /* nc is the largest size */
  float *block = calloc(8 * slot, sizeof *block);
  cr_assert_not_null(block);
  float *x = block + slot, *y = block + 2 * slot, *h0 = block + 3 * slot, *hn = block + 4 * slot;
  float *c0 = block + 5 * slot, *cn = block + 6 * slot;
  int64_t *lengths = (int64_t *)(void *)(block + 7 * slot);
  memcpy(lengths, c.lengths, (size_t)c.B * sizeof *lengths);
  recur_forward_args a, base = c.a;
  base.x = x, base.y = y, base.h0 = h0, base.h_n = hn, base.c0 = c0, base.c_n = cn;
  base.lengths = lengths;
  cr_assert_eq(recur_forward(c.net, &base), RECUR_OK, "%s", recur_last_error());
#define OVERLAP(field, value, needle) \
  do { a = base; a.field = value; expect_overlap_refused(&c, &a, needle); } while (0)
  OVERLAP(h_n, h0 + 1, "h_n overlaps h0"); /* in place, but shifted */
  OVERLAP(h_n, h0 - 1, "h_n overlaps h0");
  OVERLAP(c_n, c0 + 3, "c_n overlaps c0");
  OVERLAP(c_n, h0, "c_n overlaps h0");     /* exact, but not its own state */
  OVERLAP(h_n, c0, "h_n overlaps c0");
  OVERLAP(y, x, "y overlaps x");           /* exact y == x is no exception */
  OVERLAP(y, h0 + c.nh - 1, "y overlaps h0");
  OVERLAP(h_n, x + c.nx - 1, "h_n overlaps x");
  OVERLAP(c_n, (float *)(void *)(lengths + 2), "c_n overlaps lengths");
  OVERLAP(h_n, y + c.ny - 1, "h_n overlaps y");
  OVERLAP(c_n, hn + 3, "c_n overlaps h_n");
  OVERLAP(h0, y + 1, "y overlaps h0");
#undef OVERLAP
  free(block);
  call_free(&c);
}

/* Buffers that touch but do not overlap, back to back in one block, are accepted. */
Test(buffers, adjacent_buffers_are_accepted) {
  call c;
  call_make(&c, &lstm_proj, 4, 3);
  cr_assert_eq(recur_forward(c.net, &c.a), RECUR_OK, "%s", recur_last_error());
  size_t sizes[] = {c.nx, c.ny, c.nh, c.nh, c.nc, c.nc, (size_t)c.B * 2};
  size_t total = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    total += sizes[i];
  float *block = malloc(total * sizeof *block), *x = block, *y = x + c.nx, *h0 = y + c.ny;
  float *hn = h0 + c.nh, *c0 = hn + c.nh, *cn = c0 + c.nc;
  int64_t *lengths = (int64_t *)(void *)(cn + c.nc); /* nx, ny, ... are all even */
  cr_assert_not_null(block);
  memcpy(x, c.x, c.nx * sizeof *x);
  memcpy(h0, c.h0, c.nh * sizeof *h0);
  memcpy(c0, c.c0, c.nc * sizeof *c0);
  memcpy(lengths, c.lengths, (size_t)c.B * sizeof *lengths);
  recur_forward_args a = c.a;
  a.x = x, a.y = y, a.h0 = h0, a.h_n = hn, a.c0 = c0, a.c_n = cn, a.lengths = lengths;
  cr_assert_eq(recur_forward(c.net, &a), RECUR_OK, "%s", recur_last_error());
  cr_expect_arr_eq(y, c.y, c.ny * sizeof *y);
  cr_expect_arr_eq(hn, c.hn, c.nh * sizeof *hn);
  cr_expect_arr_eq(cn, c.cn, c.nc * sizeof *cn);
  free(block);
  call_free(&c);
}

/* ---------------------------------------------------------------------------------------- */
/* What a call writes                                                                        */

/* Every failing call leaves every output as it was, the in-place state included. */
Test(buffers, a_failed_call_writes_nothing) {
  call c;
  call_make(&c, &lstm_proj, 4, 3);
  float *y = malloc(c.ny * sizeof *y), *hn = malloc(c.nh * sizeof *hn);
  float *cn = malloc(c.nc * sizeof *cn), *h0 = malloc(c.nh * sizeof *h0);
  cr_assert(y && hn && cn && h0);
  memcpy(y, c.y, c.ny * sizeof *y);
  memcpy(hn, c.hn, c.nh * sizeof *hn);
  memcpy(cn, c.cn, c.nc * sizeof *cn);
  memcpy(h0, c.h0, c.nh * sizeof *h0);
  int64_t bad_lengths[3] = {4, 1, 5};
  recur_forward_args a[8];
  for (int i = 0; i < 8; i++)
    a[i] = c.a;
  a[0].lengths = bad_lengths;       /* the last row's length is checked last */
  a[1].input_size = 5;
  a[2].c_n = c.h0;                  /* an overlap */
  a[3].seq_len = (int64_t)1 << 27;  /* the workspace is over the memory limit */
  a[3].lengths = NULL;
  a[4].batch_first = 2;
  a[5].lengths = bad_lengths;       /* in place: h0 must survive too */
  a[5].h_n = c.h0;
  a[6].unbatched = 1;
  a[7].num_threads = -1;
  for (int i = 0; i < 8; i++) {
    cr_expect_neq(recur_forward(c.net, &a[i]), RECUR_OK, "call %d succeeded", i);
    cr_expect_arr_eq(c.y, y, c.ny * sizeof *y, "call %d wrote y", i);
    cr_expect_arr_eq(c.hn, hn, c.nh * sizeof *hn, "call %d wrote h_n", i);
    cr_expect_arr_eq(c.cn, cn, c.nc * sizeof *cn, "call %d wrote c_n", i);
    cr_expect_arr_eq(c.h0, h0, c.nh * sizeof *h0, "call %d wrote h0", i);
  }
  free(y), free(hn), free(cn), free(h0);
  call_free(&c);
}

/* A successful call reads x, h0, c0 and lengths and never writes them. */
Test(buffers, inputs_are_read_only) {
  call c;
  call_make(&c, &gru, 5, 3);
  call copy = c;
  copy.x = malloc(c.nx * sizeof *c.x);
  copy.h0 = malloc(c.nh * sizeof *c.h0);
  copy.lengths = malloc((size_t)c.B * sizeof *c.lengths);
  cr_assert(copy.x && copy.h0 && copy.lengths);
  memcpy(copy.x, c.x, c.nx * sizeof *c.x);
  memcpy(copy.h0, c.h0, c.nh * sizeof *c.h0);
  memcpy(copy.lengths, c.lengths, (size_t)c.B * sizeof *c.lengths);
  for (int threads = 1; threads <= 2; threads++) {
    c.a.num_threads = threads;
    cr_assert_eq(recur_forward(c.net, &c.a), RECUR_OK, "%s", recur_last_error());
    cr_expect_arr_eq(c.x, copy.x, c.nx * sizeof *c.x);
    cr_expect_arr_eq(c.h0, copy.h0, c.nh * sizeof *c.h0);
    cr_expect_arr_eq(c.lengths, copy.lengths, (size_t)c.B * sizeof *c.lengths);
  }
  free(copy.x), free(copy.h0), free(copy.lengths);
  call_free(&c);
}

/* ---------------------------------------------------------------------------------------- */
/* Ownership                                                                                 */

/* y of a fixed input through net. */
static void forward_y(const recur_net *net, const recur_desc *d, float *y) {
  float x[4 * 2 * 7];
  unsigned seed = 8;
  randnet_fill(x, sizeof x / sizeof *x, &seed);
  recur_forward_args a = {.seq_len = 4, .batch = 2, .input_size = d->input_size, .x = x, .y = y};
  cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
}

/* The caller may scribble over and free its weight arrays right after recur_net_create. */
Test(buffers, create_copies_the_weights) {
  randnet_tensors w;
  randnet_make(&rnn, 5, &w);
  recur_net *net, *twin;
  cr_assert_eq(recur_net_create(&net, &rnn, w.t, w.n), RECUR_OK, "%s", recur_last_error());
  cr_assert_eq(recur_net_create(&twin, &rnn, w.t, w.n), RECUR_OK, "%s", recur_last_error());
  float want[4 * 2 * 9], got[4 * 2 * 9];
  forward_y(twin, &rnn, want);
  recur_net_free(twin);
  for (size_t i = 0; i < w.n; i++) {
    size_t count = (size_t)(w.t[i].shape[0] * (w.t[i].ndim == 2 ? w.t[i].shape[1] : 1));
    memset(w.data[i], 0xff, count * sizeof(float));
  }
  randnet_free(&w);
  forward_y(net, &rnn, got);
  cr_expect_arr_eq(got, want, sizeof want);
  recur_net_free(net);
}

/* The same for the bytes given to recur_net_load_memory. */
Test(buffers, load_memory_keeps_no_reference_to_the_bytes) {
  char path[512];
  golden_path(path, sizeof path, "rnn_relu_l1_uni", ".safetensors");
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  uint8_t *bytes = malloc(1 << 16);
  cr_assert_not_null(bytes);
  size_t len = fread(bytes, 1, 1 << 16, f);
  fclose(f);
  recur_net *net, *twin;
  cr_assert_eq(recur_net_load_memory(&net, bytes, len, NULL), RECUR_OK, "%s", recur_last_error());
  cr_assert_eq(recur_net_load(&twin, path, NULL), RECUR_OK, "%s", recur_last_error());
  memset(bytes, 0xff, len);
  free(bytes);
  recur_desc d;
  cr_assert_eq(recur_net_describe(net, &d), RECUR_OK);
  cr_assert_leq(d.input_size, 7);
  int64_t width = (d.bidirectional ? 2 : 1) * (d.proj_size ? d.proj_size : d.hidden_size);
  float *want = malloc((size_t)(4 * 2 * width) * sizeof *want);
  float *got = malloc((size_t)(4 * 2 * width) * sizeof *got);
  cr_assert(want && got);
  forward_y(twin, &d, want);
  forward_y(net, &d, got);
  cr_expect_arr_eq(got, want, (size_t)(4 * 2 * width) * sizeof *got);
  free(want), free(got);
  recur_net_free(net);
  recur_net_free(twin);
}
