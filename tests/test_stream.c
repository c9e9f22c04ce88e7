/* recur_stream: any split of a sequence into step calls gives recur_forward's bits over the whole
 * sequence (every cell, stacked, projection, every table this CPU runs, fp32, bf16 and int8, 1 to 3
 * threads, a nonzero initial state, calls longer than a stream's chunk); rows reset or given a
 * state go on independently of the others; bad arguments get their status and a detail; and
 * recur_forward with a caller-held workspace gives the bits of one without. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "poison.h"
#include "precision.h"
#include "randnet.h"
#include "tables.h"

typedef struct case_ {
  recur_desc d;
  int64_t B;
} case_;

static const case_ cases[] = {
  {{RECUR_CELL_RNN_TANH, 5, 19, 1, 0, 0, 1, 0}, 3},
  {{RECUR_CELL_RNN_RELU, 6, 150, 2, 0, 0, 0, 0}, 2},
  {{RECUR_CELL_LSTM, 7, 40, 2, 0, 0, 1, 0}, 17},
  {{RECUR_CELL_LSTM, 9, 140, 2, 0, 23, 1, 0}, 1},
  {{RECUR_CELL_GRU, 8, 130, 3, 0, 0, 1, 0}, 5},
};

static int64_t h_out(const recur_desc *d) { return d->proj_size ? d->proj_size : d->hidden_size; }

/* Counts of x, y per step, and of h, c (c 0 without a cell state). */
typedef struct sizes_ {
  size_t x, y, h, c;
} sizes_;

static sizes_ sizes_of(const recur_desc *d, int64_t B) {
  return (sizes_){(size_t)(B * d->input_size), (size_t)(B * h_out(d)),
                  (size_t)(d->num_layers * B * h_out(d)),
                  d->cell == RECUR_CELL_LSTM ? (size_t)(d->num_layers * B * d->hidden_size) : 0};
}

static float *random_floats(size_t n, unsigned seed) {
  float *p = malloc((n ? n : 1) * sizeof *p);
  randnet_fill(p, n, &seed);
  return p;
}

static recur_net *make_net(const recur_desc *d, recur_precision precision, unsigned seed) {
  randnet_tensors w;
  randnet_make(d, seed, &w);
  recur_net_options o = {.precision = precision};
  recur_net *net;
  cr_assert_eq(recur_net_create_ex(&net, d, w.t, w.n, &o), RECUR_OK, "%s", recur_last_error());
  tables_note(net->kernels);
  randnet_free(&w);
  return net;
}

/* recur_forward over T steps from h0/c0 (NULL: zeros) into y, h_n, c_n (filled with
 * WANT_POISON first: the streams' outputs, filled with OUT_POISON, are compared with them). */
static void forward(const recur_net *net, const recur_desc *d, int64_t T, int64_t B, const float *x,
                    const float *h0, const float *c0, float *y, float *hn, float *cn, int threads) {
  sizes_ z = sizes_of(d, B);
  poison_outputs(y, (size_t)T * z.y, WANT_POISON);
  poison_outputs(hn, z.h, WANT_POISON), poison_outputs(cn, z.c, WANT_POISON);
  recur_forward_args a = {.seq_len = T, .batch = B, .input_size = d->input_size, .x = x, .h0 = h0,
                          .c0 = c0, .y = y, .h_n = hn, .c_n = cn, .num_threads = threads};
  cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
}

/* T steps through s in calls of random lengths (1..max_call). */
static void step_in_pieces(recur_stream *s, const float *x, float *y, int64_t T, sizes_ z,
                           int64_t max_call, unsigned *seed) {
  for (int64_t t = 0, n; t < T; t += n) {
    n = 1 + (int64_t)(rand_r(seed) % (unsigned)max_call);
    if (n > T - t) n = T - t;
    cr_assert_eq(recur_stream_step(s, x + (size_t)t * z.x, n, y + (size_t)t * z.y), RECUR_OK, "%s",
                 recur_last_error());
  }
}

#define COUNT_PRECISION(ID, name) +1
enum { N_PRECISIONS = 0 RECUR_PRECISIONS(COUNT_PRECISION) };

/* Every case on every table and precision at 1, 2 and 3 threads: random splits of a sequence,
 * from a random state, against one recur_forward; then get_state against its h_n, c_n. */
TestSuite(stream, .fini = tables_print);

Test(stream, random_splits_equal_one_forward) {
  char list[128], *save = NULL;
  snprintf(list, sizeof list, "%s", recur_isa_list());
  int multi = 0;
  for (char *isa = strtok_r(list, " ", &save); isa; isa = strtok_r(NULL, " ", &save)) {
    cr_assert_eq(recur_isa_force(isa), RECUR_OK);
    for (size_t ci = 0; ci < N_PRECISIONS * sizeof cases / sizeof *cases; ci++) {
      const case_ *c = &cases[ci / N_PRECISIONS];
      const recur_desc *d = &c->d;
      recur_precision prec = (recur_precision)(ci % N_PRECISIONS);
      recur_net *net = make_net(d, prec, (unsigned)ci + 1);
      int64_t T = 40, B = c->B;
      sizes_ z = sizes_of(d, B);
      float *x = random_floats((size_t)T * z.x, 3), *h0 = random_floats(z.h, 4);
      float *c0 = z.c ? random_floats(z.c, 5) : NULL;
      float *want = malloc((size_t)T * z.y * sizeof(float)), *got = malloc((size_t)T * z.y * sizeof(float));
      float *hn = malloc(z.h * sizeof(float)), *cn = z.c ? malloc(z.c * sizeof(float)) : NULL;
      float *hs = malloc(z.h * sizeof(float)), *cs = z.c ? malloc(z.c * sizeof(float)) : NULL;
      forward(net, d, T, B, x, h0, c0, want, hn, cn, 1);
      for (int threads = 1; threads <= 3; threads++) {
        recur_plan plan;
        cr_assert_eq(recur_net_plan(net, B, threads, &plan), RECUR_OK);
        multi += plan.threads > 1;
        for (unsigned split = 0; split < 3; split++) {
          recur_stream *s;
          cr_assert_eq(recur_stream_create(&s, net, B, threads), RECUR_OK, "%s", recur_last_error());
          cr_assert_eq(recur_stream_set_state(s, h0, c0), RECUR_OK, "%s", recur_last_error());
          unsigned seed = split * 7 + (unsigned)threads;
          poison_outputs(got, (size_t)T * z.y, OUT_POISON);
          poison_outputs(hs, z.h, OUT_POISON), poison_outputs(cs, z.c, OUT_POISON);
          step_in_pieces(s, x, got, T, z, split == 0 ? 1 : split == 1 ? 5 : T, &seed);
          const char *what = recur_precision_name(prec);
          cr_expect_arr_eq(got, want, (size_t)T * z.y * sizeof(float), "%s %s case %zu, %d threads, split %u: y",
                           isa, what, ci / N_PRECISIONS, threads, split);
          cr_assert_eq(recur_stream_get_state(s, hs, cs), RECUR_OK, "%s", recur_last_error());
          cr_expect_arr_eq(hs, hn, z.h * sizeof(float), "%s %s case %zu, %d threads: h", isa, what, ci / N_PRECISIONS, threads);
          if (z.c)
            cr_expect_arr_eq(cs, cn, z.c * sizeof(float), "%s %s case %zu, %d threads: c", isa, what, ci / N_PRECISIONS, threads);
          recur_stream_free(s);
        }
      }
      free(x), free(h0), free(c0), free(want), free(got), free(hn), free(cn), free(hs), free(cs);
      recur_net_free(net);
    }
  }
  cr_expect_gt(multi, 0, "no case ran on more than one thread");
}

/* A call longer than a stream's chunk (at most 1024 steps) runs in chunks: the same bits. */
Test(stream, a_call_longer_than_a_chunk) {
  const recur_desc d = {RECUR_CELL_LSTM, 3, 8, 2, 0, 0, 1, 0};
  recur_net *net = make_net(&d, RECUR_PRECISION_FP32, 9);
  int64_t T = 2100, B = 2;
  sizes_ z = sizes_of(&d, B);
  float *x = random_floats((size_t)T * z.x, 1);
  float *want = malloc((size_t)T * z.y * sizeof(float)), *got = malloc((size_t)T * z.y * sizeof(float));
  float hn[2 * 2 * 8], cn[2 * 2 * 8], hs[2 * 2 * 8], cs[2 * 2 * 8];
  forward(net, &d, T, B, x, NULL, NULL, want, hn, cn, 0);
  recur_stream *s;
  cr_assert_eq(recur_stream_create(&s, net, B, 0), RECUR_OK, "%s", recur_last_error());
  poison_outputs(got, (size_t)T * z.y, OUT_POISON);
  poison_outputs(hs, sizeof hs / sizeof *hs, OUT_POISON), poison_outputs(cs, sizeof cs / sizeof *cs, OUT_POISON);
  cr_assert_eq(recur_stream_step(s, x, T, got), RECUR_OK, "%s", recur_last_error());
  cr_expect_arr_eq(got, want, (size_t)T * z.y * sizeof(float));
  cr_assert_eq(recur_stream_get_state(s, hs, cs), RECUR_OK);
  cr_expect_arr_eq(hs, hn, sizeof hn);
  cr_expect_arr_eq(cs, cn, sizeof cn);
  recur_stream_free(s);
  free(x), free(want), free(got);
  recur_net_free(net);
}

/* One batch row's h and c of layer l, in and out of (L, B, n) state arrays. */
static void row_copy(float *dst, const float *src, int64_t L, int64_t B, int64_t n, int64_t b, int in) {
  for (int64_t l = 0; l < L; l++) {
    float *whole = (in ? dst : (float *)src) + (l * B + b) * n, *one = (in ? (float *)src : dst) + l * n;
    if (in) memcpy(whole, one, (size_t)n * sizeof(float));
    else memcpy(one, whole, (size_t)n * sizeof(float));
  }
}

/* Rows of a running stream: row 1 reset and row 2 given a state after 5 steps, the others going
 * on; each row's outputs and state then equal a 1-row forward from that row's start. */
Test(stream, rows_reset_and_set_go_on_alone) {
  for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
    const recur_desc *d = &cases[ci].d;
    recur_net *net = make_net(d, RECUR_PRECISION_FP32, (unsigned)ci + 11);
    int64_t B = 4, T0 = 5, T1 = 7, T = T0 + T1, L = d->num_layers, Ho = h_out(d), H = d->hidden_size;
    sizes_ z = sizes_of(d, B), z1 = sizes_of(d, 1);
    float *x = random_floats((size_t)T * z.x, 21), *y = malloc((size_t)T * z.y * sizeof(float));
    float *h = malloc(z.h * sizeof(float)), *c = z.c ? malloc(z.c * sizeof(float)) : NULL;
    float *h2 = random_floats(z1.h, 22), *c2 = z.c ? random_floats(z1.c, 23) : NULL;
    recur_stream *s;
    cr_assert_eq(recur_stream_create(&s, net, B, 2), RECUR_OK, "%s", recur_last_error());
    poison_outputs(y, (size_t)T * z.y, OUT_POISON);
    cr_assert_eq(recur_stream_step(s, x, T0, y), RECUR_OK, "%s", recur_last_error());
    cr_assert_eq(recur_stream_reset(s, 1), RECUR_OK, "%s", recur_last_error());
    cr_assert_eq(recur_stream_get_state(s, h, c), RECUR_OK);
    row_copy(h, h2, L, B, Ho, 2, 1);
    if (c) row_copy(c, c2, L, B, H, 2, 1);
    cr_assert_eq(recur_stream_set_state(s, h, c), RECUR_OK, "%s", recur_last_error());
    cr_assert_eq(recur_stream_step(s, x + (size_t)T0 * z.x, T1, y + (size_t)T0 * z.y), RECUR_OK);
    cr_assert_eq(recur_stream_get_state(s, h, c), RECUR_OK);
    for (int64_t b = 0; b < B; b++) {
      int64_t t0 = b == 1 || b == 2 ? T0 : 0, n = T - t0;
      float *xb = malloc((size_t)n * z1.x * sizeof(float)), *yb = malloc((size_t)n * z1.y * sizeof(float));
      float *hb = malloc(z1.h * sizeof(float)), *cb = z.c ? malloc(z1.c * sizeof(float)) : NULL;
      float *hr = malloc(z1.h * sizeof(float)), *cr = z.c ? malloc(z1.c * sizeof(float)) : NULL;
      for (int64_t t = 0; t < n; t++)
        memcpy(xb + t * z1.x, x + (size_t)(t0 + t) * z.x + b * z1.x, z1.x * sizeof(float));
      forward(net, d, n, 1, xb, b == 2 ? h2 : NULL, b == 2 ? c2 : NULL, yb, hb, cb, 1);
      for (int64_t t = 0; t < n; t++)
        cr_expect_arr_eq(y + (size_t)(t0 + t) * z.y + b * Ho, yb + t * Ho, (size_t)Ho * sizeof(float),
                         "case %zu row %lld step %lld", ci, (long long)b, (long long)(t0 + t));
      row_copy(hr, h, L, B, Ho, b, 0);
      cr_expect_arr_eq(hr, hb, z1.h * sizeof(float), "case %zu row %lld: h", ci, (long long)b);
      if (c) {
        row_copy(cr, c, L, B, H, b, 0);
        cr_expect_arr_eq(cr, cb, z1.c * sizeof(float), "case %zu row %lld: c", ci, (long long)b);
      }
      free(xb), free(yb), free(hb), free(cb), free(hr), free(cr);
    }
    cr_assert_eq(recur_stream_reset(s, -1), RECUR_OK);
    cr_assert_eq(recur_stream_get_state(s, h, c), RECUR_OK);
    for (size_t i = 0; i < z.h; i++) cr_expect_eq(h[i], 0.0f, "reset(-1) left h[%zu]", i);
    for (size_t i = 0; i < z.c; i++) cr_expect_eq(c[i], 0.0f, "reset(-1) left c[%zu]", i);
    recur_stream_free(s);
    free(x), free(y), free(h), free(c), free(h2), free(c2);
    recur_net_free(net);
  }
}

static void expect_fails(recur_status got, recur_status want, const char *needle) {
  cr_expect_eq(got, want, "status %d for '%s': %s", got, needle, recur_last_error());
  cr_expect(strstr(recur_last_error(), needle), "'%s' not in '%s'", needle, recur_last_error());
}

/* recur_stream_create of batch rows on net fails with want and a message naming needle, and
 * sets the stream to NULL. */
static void expect_create_fails(recur_net *net, int64_t batch, recur_status want,
                                const char *needle) {
  recur_stream *s = (recur_stream *)&s;
  expect_fails(recur_stream_create(&s, net, batch, 1), want, needle);
  cr_expect_null(s);
}

Test(stream, bidirectional_is_unsupported) {
  recur_desc d = {RECUR_CELL_LSTM, 4, 6, 1, 1, 0, 1, 0};
  recur_net *net = make_net(&d, RECUR_PRECISION_FP32, 1);
  expect_create_fails(net, 2, RECUR_ERR_UNSUPPORTED, "bidirectional");
  cr_expect(strstr(recur_last_error(), "whole sequence"), "%s", recur_last_error());
  recur_net_free(net);
}

Test(stream, bad_arguments_are_refused) {
  recur_desc d = {RECUR_CELL_GRU, 4, 6, 2, 0, 0, 1, 0};
  recur_net *net = make_net(&d, RECUR_PRECISION_FP32, 1);
  recur_stream *s = (recur_stream *)&s;
  expect_fails(recur_stream_create(NULL, net, 2, 1), RECUR_ERR_NULL_POINTER, "out");
  expect_fails(recur_stream_create(&s, NULL, 2, 1), RECUR_ERR_NULL_POINTER, "net");
  cr_expect_null(s);
  expect_fails(recur_stream_create(&s, net, 0, 1), RECUR_ERR_INVALID_SIZE, "batch 0");
  expect_fails(recur_stream_create(&s, net, -3, 1), RECUR_ERR_INVALID_SIZE, "batch -3");
  expect_fails(recur_stream_create(&s, net, (int64_t)1 << 40, 1), RECUR_ERR_INVALID_SIZE, "batch");
  expect_fails(recur_stream_create(&s, net, 2, -1), RECUR_ERR_INVALID_ARGUMENT, "num_threads");
  cr_assert_eq(recur_stream_create(&s, net, 2, 1), RECUR_OK, "%s", recur_last_error());
  float x[3 * 2 * 4] = {0}, y[3 * 2 * 6], h[2 * 2 * 6], c[1];
  expect_fails(recur_stream_step(NULL, x, 1, y), RECUR_ERR_NULL_POINTER, "s is NULL");
  expect_fails(recur_stream_step(s, NULL, 1, y), RECUR_ERR_NULL_POINTER, "x is NULL");
  expect_fails(recur_stream_step(s, x, 1, NULL), RECUR_ERR_NULL_POINTER, "y is NULL");
  expect_fails(recur_stream_step(s, x, 0, y), RECUR_ERR_INVALID_SIZE, "steps 0");
  expect_fails(recur_stream_step(s, x, -2, y), RECUR_ERR_INVALID_SIZE, "steps -2");
  expect_fails(recur_stream_step(s, x, ((int64_t)1 << 28) + 1, y), RECUR_ERR_INVALID_SIZE,
               "steps 268435457, must be in 1..268435456");
  expect_fails(recur_stream_step(s, x, 3, x + 4), RECUR_ERR_INVALID_ARGUMENT, "overlaps");
  expect_fails(recur_stream_reset(NULL, 0), RECUR_ERR_NULL_POINTER, "NULL");
  expect_fails(recur_stream_reset(s, 2), RECUR_ERR_INVALID_ARGUMENT, "row 2");
  expect_fails(recur_stream_reset(s, -2), RECUR_ERR_INVALID_ARGUMENT, "row -2");
  expect_fails(recur_stream_get_state(NULL, h, NULL), RECUR_ERR_NULL_POINTER, "NULL");
  expect_fails(recur_stream_set_state(NULL, h, NULL), RECUR_ERR_NULL_POINTER, "NULL");
  expect_fails(recur_stream_get_state(s, h, c), RECUR_ERR_INVALID_ARGUMENT, "no cell state");
  expect_fails(recur_stream_set_state(s, h, c), RECUR_ERR_INVALID_ARGUMENT, "no cell state");
  /* a failed call changed nothing: the state is still zero */
  cr_assert_eq(recur_stream_get_state(s, h, NULL), RECUR_OK);
  for (size_t i = 0; i < sizeof h / sizeof *h; i++) cr_expect_eq(h[i], 0.0f);
  recur_stream_free(s);
  recur_stream_free(NULL);
  recur_net_free(net);
}

/* get_state writes h and c: overlapping buffers are refused, before either is written
 * (adjacent ones are fine). */
Test(stream, get_state_refuses_overlapping_h_and_c) {
  recur_desc d = {RECUR_CELL_LSTM, 3, 4, 2, 0, 0, 1, 0};
  recur_net *net = make_net(&d, RECUR_PRECISION_FP32, 1);
  recur_stream *s;
  cr_assert_eq(recur_stream_create(&s, net, 2, 1), RECUR_OK, "%s", recur_last_error());
  float x[2 * 3] = {1, 2, 3, 4, 5, 6}, y[2 * 4], buf[2 * 16];
  cr_assert_eq(recur_stream_step(s, x, 1, y), RECUR_OK, "%s", recur_last_error());
  for (size_t i = 0; i < 32; i++) buf[i] = 7.0f;
  expect_fails(recur_stream_get_state(s, buf, buf + 4), RECUR_ERR_INVALID_ARGUMENT, "h overlaps c");
  expect_fails(recur_stream_get_state(s, buf + 15, buf), RECUR_ERR_INVALID_ARGUMENT, "h overlaps c");
  expect_fails(recur_stream_get_state(s, buf, buf), RECUR_ERR_INVALID_ARGUMENT, "h overlaps c");
  for (size_t i = 0; i < 32; i++) cr_expect_eq(buf[i], 7.0f, "a refused get_state wrote buf[%zu]", i);
  cr_assert_eq(recur_stream_get_state(s, buf, buf + 16), RECUR_OK, "%s", recur_last_error());
  float h[16], c[16];
  cr_assert_eq(recur_stream_get_state(s, h, c), RECUR_OK);
  cr_expect_arr_eq(buf, h, sizeof h);
  cr_expect_arr_eq(buf + 16, c, sizeof c);
  cr_expect_neq(c[0], 0.0f, "the step left c zero");
  recur_stream_free(s);
  recur_net_free(net);
}

Test(stream, memory_limit_applies) {
  recur_desc d = {RECUR_CELL_LSTM, 64, 64, 1, 0, 0, 1, 0};
  recur_net *net = make_net(&d, RECUR_PRECISION_FP32, 1);
  recur_set_memory_limit(4096);
  expect_create_fails(net, 64, RECUR_ERR_LIMIT, "recur_stream_create");
  recur_set_memory_limit(0);
  recur_net_free(net);
}

/* recur_forward with a workspace: the bits of one without, when reused, grown (a longer
 * sequence, more rows) and across networks; over the memory limit RECUR_ERR_LIMIT, and the
 * workspace still serves afterwards. */
Test(stream, forward_with_a_workspace_gives_the_same_bits) {
  recur_workspace *ws;
  cr_expect_eq(recur_workspace_create(NULL), RECUR_ERR_NULL_POINTER);
  cr_assert_eq(recur_workspace_create(&ws), RECUR_OK);
  static const int64_t shapes[][2] = {{3, 2}, {3, 2}, {20, 5}, {4, 1}, {20, 5}};
  for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ci++) {
    const recur_desc *d = &cases[ci].d;
    recur_net *net = make_net(d, RECUR_PRECISION_FP32, 5);
    for (size_t k = 0; k < sizeof shapes / sizeof *shapes; k++) {
      int64_t T = shapes[k][0], B = shapes[k][1];
      sizes_ z = sizes_of(d, B);
      float *x = random_floats((size_t)T * z.x, (unsigned)k), *want = malloc((size_t)T * z.y * sizeof(float));
      float *got = malloc((size_t)T * z.y * sizeof(float)), *hn = malloc(z.h * sizeof(float));
      float *hs = malloc(z.h * sizeof(float));
      forward(net, d, T, B, x, NULL, NULL, want, hn, NULL, 2);
      poison_outputs(got, (size_t)T * z.y, OUT_POISON), poison_outputs(hs, z.h, OUT_POISON);
      recur_forward_args a = {.seq_len = T, .batch = B, .input_size = d->input_size, .x = x,
                              .y = got, .h_n = hs, .num_threads = 2, .workspace = ws};
      cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
      cr_expect_arr_eq(got, want, (size_t)T * z.y * sizeof(float), "case %zu shape %zu", ci, k);
      cr_expect_arr_eq(hs, hn, z.h * sizeof(float), "case %zu shape %zu: h_n", ci, k);
      free(x), free(want), free(got), free(hn), free(hs);
    }
    recur_net_free(net);
  }
  recur_desc d = {RECUR_CELL_LSTM, 64, 64, 1, 0, 0, 1, 0};
  recur_net *net = make_net(&d, RECUR_PRECISION_FP32, 1);
  float *x = random_floats(100 * 64 * 64, 1), *y = malloc(100 * 64 * 64 * sizeof(float));
  recur_forward_args a = {.seq_len = 100, .batch = 64, .input_size = 64, .x = x, .y = y, .workspace = ws};
  recur_set_memory_limit(4096);
  expect_fails(recur_forward(net, &a), RECUR_ERR_LIMIT, "workspace");
  recur_set_memory_limit(0);
  cr_expect_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
  free(x), free(y);
  recur_net_free(net);
  recur_workspace_free(ws);
  recur_workspace_free(NULL);
}

/* Streams sharing one network, stepped at once from the threads of the caller's own parallel
 * region (each stream planned for 2 threads, so each step re-plans for the one thread it
 * gets): every stream gives the bits of its own forward call. */
Test(stream, many_streams_on_one_network_from_a_parallel_region) {
  const recur_desc d = {RECUR_CELL_GRU, 6, 130, 2, 0, 0, 1, 0};
  recur_net *net = make_net(&d, RECUR_PRECISION_FP32, 3);
  enum { N = 4, T = 9, B = 3 };
  sizes_ z = sizes_of(&d, B);
  float *x[N], *want[N], *got[N];
  recur_stream *s[N];
  for (int i = 0; i < N; i++) {
    x[i] = random_floats((size_t)T * z.x, (unsigned)i + 40);
    want[i] = malloc((size_t)T * z.y * sizeof(float));
    got[i] = malloc((size_t)T * z.y * sizeof(float));
    poison_outputs(got[i], (size_t)T * z.y, OUT_POISON);
    forward(net, &d, T, B, x[i], NULL, NULL, want[i], NULL, NULL, 1);
    cr_assert_eq(recur_stream_create(&s[i], net, B, 2), RECUR_OK, "%s", recur_last_error());
  }
  int failed = 0;
#pragma omp parallel for num_threads(N) schedule(static, 1) reduction(+ : failed)
  for (int i = 0; i < N; i++)
    for (int t = 0; t < T; t++)
      failed += recur_stream_step(s[i], x[i] + (size_t)t * z.x, 1, got[i] + (size_t)t * z.y) != RECUR_OK;
  cr_expect_eq(failed, 0);
  for (int i = 0; i < N; i++) {
    cr_expect_arr_eq(got[i], want[i], (size_t)T * z.y * sizeof(float), "stream %d", i);
    recur_stream_free(s[i]);
    free(x[i]), free(want[i]), free(got[i]);
  }
  recur_net_free(net);
}
