/* The C API contract: versions, statuses, and every bad argument to recur_net_create and
 * recur_forward gets its documented status and a detail naming the problem. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "randnet.h"

Test(api, version_matches_header) {
  cr_expect_eq(recur_version_number(), RECUR_VERSION_NUMBER);
  cr_expect_str_eq(recur_version_string(), RECUR_VERSION_STRING);
}

Test(api, status_strings_are_distinct) {
  for (int a = RECUR_ERR_INTERNAL; a <= 0; a++) {
    const char *sa = recur_status_string((recur_status)a);
    cr_assert(sa && strncmp(sa, "RECUR_", 6) == 0, "status %d", a);
    for (int b = RECUR_ERR_INTERNAL; b < a; b++)
      cr_expect_str_neq(sa, recur_status_string((recur_status)b));
  }
  cr_expect_str_eq(recur_status_string((recur_status)-999), "unknown recur_status");
  cr_expect_eq(RECUR_ERR_BAD_FILE, -8, "status values are pinned");
  cr_expect_eq(RECUR_ERR_ISA_UNAVAILABLE, -13, "status values are pinned");
}

static const recur_desc lstm_desc = {RECUR_CELL_LSTM, 5, 7, 2, 1, 0, 1, 0};

/* Expects status st and a detail containing needle; the handle must come back NULL. */
static void expect_create_fails(const recur_desc *d, const recur_tensor *t, size_t n,
                                recur_status st, const char *needle) {
  recur_net *net = (recur_net *)&net;
  cr_expect_eq(recur_net_create(&net, d, t, n), st, "status for '%s': %s", needle, recur_last_error());
  cr_expect_null(net);
  cr_expect(strstr(recur_last_error(), needle), "'%s' not in '%s'", needle, recur_last_error());
}

Test(api, create_rejects_bad_descriptions) {
  randnet_tensors w;
  randnet_make(&lstm_desc, 1, &w);
  cr_expect_eq(recur_net_create(NULL, &lstm_desc, w.t, w.n), RECUR_ERR_NULL_POINTER);
  expect_create_fails(NULL, w.t, w.n, RECUR_ERR_NULL_POINTER, "desc");
  expect_create_fails(&lstm_desc, NULL, 3, RECUR_ERR_NULL_POINTER, "tensors");
  struct { recur_desc d; recur_status st; const char *needle; } bad[] = {
    {{RECUR_CELL_LSTM, 0, 7, 2, 1, 0, 1, 0}, RECUR_ERR_INVALID_SIZE, "input_size"},
    {{RECUR_CELL_LSTM, 5, -7, 2, 1, 0, 1, 0}, RECUR_ERR_INVALID_SIZE, "hidden_size"},
    {{RECUR_CELL_LSTM, 5, 7, 0, 1, 0, 1, 0}, RECUR_ERR_INVALID_SIZE, "num_layers"},
    {{RECUR_CELL_LSTM, (int64_t)1 << 40, 7, 2, 1, 0, 1, 0}, RECUR_ERR_INVALID_SIZE, "input_size"},
    {{(recur_cell)9, 5, 7, 2, 1, 0, 1, 0}, RECUR_ERR_INVALID_ARGUMENT, "cell"},
    {{RECUR_CELL_LSTM, 5, 7, 2, 2, 0, 1, 0}, RECUR_ERR_INVALID_ARGUMENT, "bidirectional"},
    {{RECUR_CELL_LSTM, 5, 7, 2, 1, 0, 3, 0}, RECUR_ERR_INVALID_ARGUMENT, "bias"},
    {{RECUR_CELL_LSTM, 5, 7, 2, 1, 0, 1, 2}, RECUR_ERR_INVALID_ARGUMENT, "batch_first is 2"},
    {{RECUR_CELL_GRU, 5, 7, 2, 1, 3, 1, 0}, RECUR_ERR_INVALID_ARGUMENT, "proj_size"},
    {{RECUR_CELL_LSTM, 5, 7, 2, 1, 7, 1, 0}, RECUR_ERR_INVALID_SIZE, "proj_size"},
    {{RECUR_CELL_LSTM, 5, 7, 2, 1, -1, 1, 0}, RECUR_ERR_INVALID_SIZE, "proj_size"},
    /* sizes each within range whose weights overflow the address space */
    {{RECUR_CELL_LSTM, (int64_t)1 << 28, (int64_t)1 << 28, 64, 1, 0, 1, 0}, RECUR_ERR_INVALID_SIZE, "address space"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    expect_create_fails(&bad[i].d, w.t, w.n, bad[i].st, bad[i].needle);
  randnet_free(&w);
}

Test(api, create_rejects_bad_tensors) {
  randnet_tensors w;
  randnet_make(&lstm_desc, 2, &w);
  int i = randnet_find(&w, "weight_hh_l1_reverse");
  cr_assert_geq(i, 0);

  recur_tensor saved = w.t[i];
  w.t[i].shape[1] = 6;
  expect_create_fails(&lstm_desc, w.t, w.n, RECUR_ERR_SHAPE_MISMATCH, "weight_hh_l1_reverse: shape (28, 6), expected (28, 7)");
  w.t[i] = saved;
  w.t[i].ndim = 1;
  expect_create_fails(&lstm_desc, w.t, w.n, RECUR_ERR_SHAPE_MISMATCH, "weight_hh_l1_reverse");
  w.t[i] = saved;
  w.t[i].data = NULL;
  expect_create_fails(&lstm_desc, w.t, w.n, RECUR_ERR_NULL_POINTER, "weight_hh_l1_reverse");
  w.t[i] = saved;
  w.t[i].name = "weight_hh_l2";
  expect_create_fails(&lstm_desc, w.t, w.n, RECUR_ERR_UNEXPECTED_TENSOR, "weight_hh_l2");
  w.t[i].name = "bias_ih_l0";
  expect_create_fails(&lstm_desc, w.t, w.n, RECUR_ERR_INVALID_ARGUMENT, "bias_ih_l0: given twice");
  w.t[i] = saved;
  expect_create_fails(&lstm_desc, w.t, w.n - 1, RECUR_ERR_MISSING_TENSOR, "missing");

  recur_desc no_bias = lstm_desc;
  no_bias.bias = 0;
  expect_create_fails(&no_bias, w.t, w.n, RECUR_ERR_UNEXPECTED_TENSOR, "bias_ih_l0");
  recur_net *net = NULL;
  cr_expect_eq(recur_net_create(&net, &lstm_desc, w.t, w.n), RECUR_OK, "%s", recur_last_error());
  recur_desc got;
  cr_expect_eq(recur_net_describe(net, &got), RECUR_OK);
  cr_expect_eq(memcmp(&got, &lstm_desc, sizeof got), 0);
  cr_expect_eq(recur_net_describe(NULL, &got), RECUR_ERR_NULL_POINTER);
  recur_net_free(net);
  recur_net_free(NULL);
  randnet_free(&w);
}

/* Every public call given NULL for a required pointer, an argument or one inside a struct,
 * returns RECUR_ERR_NULL_POINTER with a detail, resets its out handle, and writes nothing; the
 * free functions take NULL. */
Test(api, null_pointers_are_errors) {
  randnet_tensors w;
  randnet_make(&lstm_desc, 1, &w);
  recur_net *net;
  cr_assert_eq(recur_net_create(&net, &lstm_desc, w.t, w.n), RECUR_OK, "%s", recur_last_error());
  recur_net *out = (recur_net *)&out;
  recur_array *array = (recur_array *)&array;
  recur_desc desc;
  recur_plan plan;
  recur_tune_info info;
  static const float x[5], one = 1.0f;
  float y[14];
  const int64_t shape[1] = {1};
  recur_forward_args args = {.seq_len = 1, .batch = 1, .input_size = 5, .unbatched = 1, .x = x,
                             .y = y};
  const char *path = "/nonexistent/recur-null-test.npy";
#define EXPECT_NULL(call)                                                                   \
  do {                                                                                      \
    cr_expect_eq(call, RECUR_ERR_NULL_POINTER, "%s: %s", #call, recur_last_error());       \
    cr_expect_neq(recur_last_error()[0], '\0', "%s: no detail", #call);                     \
  } while (0)
  EXPECT_NULL(recur_net_create(NULL, &lstm_desc, w.t, w.n));
  EXPECT_NULL(recur_net_create(&out, NULL, w.t, w.n));
  cr_expect_null(out);
  out = (recur_net *)&out;
  EXPECT_NULL(recur_net_create(&out, &lstm_desc, NULL, w.n));
  cr_expect_null(out);
  recur_tensor saved = w.t[0];
  w.t[0].name = NULL;
  EXPECT_NULL(recur_net_create(&out, &lstm_desc, w.t, w.n));
  w.t[0] = saved;
  w.t[0].data = NULL;
  EXPECT_NULL(recur_net_create(&out, &lstm_desc, w.t, w.n));
  w.t[0] = saved;
  EXPECT_NULL(recur_net_load(NULL, path, NULL));
  EXPECT_NULL(recur_net_load(&out, NULL, NULL));
  void *bytes = &bytes;
  size_t size = 1;
  EXPECT_NULL(recur_model_read(NULL, &bytes, &size));
  cr_expect(bytes == NULL && size == 0, "recur_model_read(NULL path) leaves its outputs set");
  EXPECT_NULL(recur_model_read(path, NULL, &size));
  EXPECT_NULL(recur_model_read(path, &bytes, NULL));
  EXPECT_NULL(recur_net_load_memory(NULL, &one, sizeof one, NULL));
  out = (recur_net *)&out;
  EXPECT_NULL(recur_net_load_memory(&out, NULL, 8, NULL));
  cr_expect_null(out);
  EXPECT_NULL(recur_net_describe(NULL, &desc));
  EXPECT_NULL(recur_net_describe(net, NULL));
  EXPECT_NULL(recur_forward(NULL, &args));
  EXPECT_NULL(recur_forward(net, NULL));
  args.x = NULL;
  EXPECT_NULL(recur_forward(net, &args));
  args.x = x;
  args.y = NULL;
  EXPECT_NULL(recur_forward(net, &args));
  EXPECT_NULL(recur_net_plan(NULL, 1, 0, &plan));
  EXPECT_NULL(recur_net_plan(net, 1, 0, NULL));
  EXPECT_NULL(recur_tune_status(NULL));
  EXPECT_NULL(recur_isa_force(NULL));
  EXPECT_NULL(recur_isa_peak_gflops("scalar", 0.01, NULL));
  EXPECT_NULL(recur_npy_load(NULL, &array));
  cr_expect_null(array);
  EXPECT_NULL(recur_npy_load(path, NULL));
  array = (recur_array *)&array;
  EXPECT_NULL(recur_npy_load_memory(NULL, 8, &array));
  cr_expect_null(array);
  EXPECT_NULL(recur_npy_load_memory(&one, sizeof one, NULL));
  EXPECT_NULL(recur_npy_save(NULL, &one, 1, shape));
  EXPECT_NULL(recur_npy_save(path, NULL, 1, shape));
  EXPECT_NULL(recur_npy_save(path, &one, 1, NULL));
#undef EXPECT_NULL
  cr_expect_eq(recur_tune_status(&info), RECUR_OK, "%s", recur_last_error());
  recur_net_free(NULL);
  recur_array_free(NULL);
  recur_model_free(NULL);
  recur_net_free(net);
  randnet_free(&w);
}

/* A caller's tensor name holding control bytes comes back escaped: a detail is one line. */
Test(api, details_stay_on_one_line) {
  randnet_tensors w;
  randnet_make(&lstm_desc, 1, &w);
  w.t[0].name = "weight\n\x1b[31m\a";
  expect_create_fails(&lstm_desc, w.t, w.n, RECUR_ERR_UNEXPECTED_TENSOR,
                      "weight\\n\\x1b[31m\\x07: not used by this network");
  randnet_free(&w);
  recur_array *a;
  cr_expect_eq(recur_npy_load("/nonexistent/a\tb\x7f.npy", &a), RECUR_ERR_IO);
  cr_expect(strstr(recur_last_error(), "/nonexistent/a\\tb\\x7f.npy"), "%s", recur_last_error());
}

/* A small bidirectional 2-layer LSTM and buffers for T=4, B=3. */
typedef struct fixture {
  recur_net *net;
  float x[4 * 3 * 5], y[4 * 3 * 14], h0[4 * 3 * 7], c0[4 * 3 * 7], hn[4 * 3 * 7], cn[4 * 3 * 7];
  int64_t lengths[3];
  recur_forward_args a;
} fixture;

static void fixture_make(fixture *f, recur_cell cell) {
  memset(f, 0, sizeof *f);
  recur_desc d = lstm_desc;
  d.cell = cell;
  randnet_tensors w;
  randnet_make(&d, 3, &w);
  cr_assert_eq(recur_net_create(&f->net, &d, w.t, w.n), RECUR_OK, "%s", recur_last_error());
  randnet_free(&w);
  unsigned seed = 4;
  randnet_fill(f->x, sizeof f->x / sizeof *f->x, &seed);
  randnet_fill(f->h0, sizeof f->h0 / sizeof *f->h0, &seed);
  randnet_fill(f->c0, sizeof f->c0 / sizeof *f->c0, &seed);
  f->lengths[0] = 4; f->lengths[1] = 1; f->lengths[2] = 3;
  f->a = (recur_forward_args){.seq_len = 4, .batch = 3, .input_size = 5, .x = f->x, .y = f->y,
                              .h_n = f->hn};
  if (cell == RECUR_CELL_LSTM) f->a.c_n = f->cn;
}

static void expect_forward_fails(fixture *f, const recur_forward_args *a, recur_status st,
                                 const char *needle) {
  cr_expect_eq(recur_forward(f->net, a), st, "status for '%s': %s", needle, recur_last_error());
  cr_expect(strstr(recur_last_error(), needle), "'%s' not in '%s'", needle, recur_last_error());
}

Test(api, forward_rejects_bad_arguments) {
  static fixture f;
  fixture_make(&f, RECUR_CELL_LSTM);
  recur_forward_args a;
  cr_expect_eq(recur_forward(NULL, &f.a), RECUR_ERR_NULL_POINTER);
  cr_expect_eq(recur_forward(f.net, NULL), RECUR_ERR_NULL_POINTER);
#define BAD(field, value, st, needle) \
  do { a = f.a; a.field = value; expect_forward_fails(&f, &a, st, needle); } while (0)
  BAD(x, NULL, RECUR_ERR_NULL_POINTER, "x is NULL");
  BAD(y, NULL, RECUR_ERR_NULL_POINTER, "y is NULL");
  BAD(seq_len, 0, RECUR_ERR_INVALID_SIZE, "T=0");
  BAD(batch, -2, RECUR_ERR_INVALID_SIZE, "B=-2");
  BAD(seq_len, (int64_t)1 << 40, RECUR_ERR_INVALID_SIZE, "T=");
  BAD(input_size, 6, RECUR_ERR_SHAPE_MISMATCH, "input size 6, the network expects 5");
  BAD(unbatched, 1, RECUR_ERR_INVALID_ARGUMENT, "batch = 1");
  BAD(batch_first, 7, RECUR_ERR_INVALID_ARGUMENT, "batch_first");
  BAD(time_first, -1, RECUR_ERR_INVALID_ARGUMENT, "time_first");
  a = f.a; a.batch_first = a.time_first = 1;
  expect_forward_fails(&f, &a, RECUR_ERR_INVALID_ARGUMENT, "batch_first and time_first are both 1");
  BAD(num_threads, -1, RECUR_ERR_INVALID_ARGUMENT, "num_threads");
  BAD(y, f.x + 1, RECUR_ERR_INVALID_ARGUMENT, "y overlaps x");
  BAD(h_n, f.y + 5, RECUR_ERR_INVALID_ARGUMENT, "h_n overlaps y");
  BAD(c_n, f.hn + 2, RECUR_ERR_INVALID_ARGUMENT, "c_n overlaps h_n");
  /* T and B within range each, but the workspace is over the memory limit: refused before
   * anything is touched or allocated */
  a = f.a; a.seq_len = (int64_t)1 << 28; a.batch = (int64_t)1 << 28;
  expect_forward_fails(&f, &a, RECUR_ERR_LIMIT, "memory limit");
  recur_set_memory_limit(1000);
  expect_forward_fails(&f, &f.a, RECUR_ERR_LIMIT, "over the memory limit of 1000");
  cr_expect_eq(recur_memory_limit(), 1000);
  recur_set_memory_limit(0);
  cr_expect_eq(recur_memory_limit(), RECUR_DEFAULT_MEMORY_LIMIT);
  f.lengths[1] = 0;
  BAD(lengths, f.lengths, RECUR_ERR_BAD_LENGTHS, "lengths[1] = 0");
  f.lengths[1] = 5;
  BAD(lengths, f.lengths, RECUR_ERR_BAD_LENGTHS, "lengths[1] = 5, outside 1..4");
#undef BAD
  recur_net_free(f.net);

  fixture_make(&f, RECUR_CELL_GRU);
  a = f.a;
  a.c0 = f.c0;
  expect_forward_fails(&f, &a, RECUR_ERR_INVALID_ARGUMENT, "gru has no cell state");
  recur_net_free(f.net);
}

Test(api, state_update_in_place_matches_separate_buffers) {
  static fixture f;
  fixture_make(&f, RECUR_CELL_LSTM);
  f.a.h0 = f.h0;
  f.a.c0 = f.c0;
  cr_assert_eq(recur_forward(f.net, &f.a), RECUR_OK, "%s", recur_last_error());
  float y[sizeof f.y / sizeof *f.y];
  memcpy(y, f.y, sizeof y);
  f.a.h_n = f.h0;
  f.a.c_n = f.c0;
  cr_assert_eq(recur_forward(f.net, &f.a), RECUR_OK, "%s", recur_last_error());
  cr_expect_arr_eq(f.y, y, sizeof y);
  cr_expect_arr_eq(f.h0, f.hn, sizeof f.hn);
  cr_expect_arr_eq(f.c0, f.cn, sizeof f.cn);
  recur_net_free(f.net);
}

/* A network's layout (its recur_desc's batch_first) is what a call without a layout flag
 * takes; batch_first or time_first override it. One network of each layout, the same weights:
 * every way of asking for a layout gives the bits of the call that names it. */
Test(api, a_call_without_a_layout_flag_takes_the_networks) {
  static fixture f;
  fixture_make(&f, RECUR_CELL_LSTM);
  recur_desc d = lstm_desc;
  d.batch_first = 1;
  randnet_tensors w;
  randnet_make(&d, 3, &w); /* fixture_make's weights: the same description and seed */
  recur_net *bf = NULL;
  cr_assert_eq(recur_net_create(&bf, &d, w.t, w.n), RECUR_OK, "%s", recur_last_error());
  randnet_free(&w);
  recur_desc got;
  cr_assert_eq(recur_net_describe(bf, &got), RECUR_OK);
  cr_expect_eq(got.batch_first, 1);
  static float want_bf[sizeof f.y / sizeof *f.y], want_tf[sizeof f.y / sizeof *f.y];
  recur_forward_args a = f.a;
  a.batch_first = 1;
  cr_assert_eq(recur_forward(f.net, &a), RECUR_OK, "%s", recur_last_error());
  memcpy(want_bf, f.y, sizeof f.y);
  a = f.a;
  cr_assert_eq(recur_forward(f.net, &a), RECUR_OK, "%s", recur_last_error());
  memcpy(want_tf, f.y, sizeof f.y);
  cr_assert(memcmp(want_bf, want_tf, sizeof f.y), "the layouts give the same y: a weak test");

  static const struct { int batch_first, time_first; const float *want; } calls[] = {
    {0, 0, want_bf}, {1, 0, want_bf}, {0, 1, want_tf}};
  for (size_t i = 0; i < 3; i++) {
    a = f.a;
    a.batch_first = calls[i].batch_first;
    a.time_first = calls[i].time_first;
    memset(f.y, 0, sizeof f.y);
    cr_assert_eq(recur_forward(bf, &a), RECUR_OK, "%s", recur_last_error());
    cr_expect_arr_eq(f.y, calls[i].want, sizeof f.y, "batch_first %d, time_first %d",
                     calls[i].batch_first, calls[i].time_first);
  }
  recur_net_free(bf);
  recur_net_free(f.net);
}

/* Each batch row is computed on its own: running a row alone gives the same bits. */
Test(api, rows_are_independent_of_the_batch) {
  static fixture f;
  static const recur_cell cells[] = {RECUR_CELL_RNN_TANH, RECUR_CELL_RNN_RELU, RECUR_CELL_LSTM, RECUR_CELL_GRU};
  for (size_t ci = 0; ci < 4; ci++) {
    fixture_make(&f, cells[ci]);
    f.a.lengths = f.lengths;
    f.a.batch_first = 1;
    cr_assert_eq(recur_forward(f.net, &f.a), RECUR_OK, "%s", recur_last_error());
    for (int b = 0; b < 3; b++) {
      float y1[4 * 14], hn1[4 * 7];
      recur_forward_args a = {.seq_len = 4, .batch = 1, .input_size = 5, .x = f.x + b * 4 * 5,
                              .lengths = &f.lengths[b], .y = y1, .h_n = hn1};
      cr_assert_eq(recur_forward(f.net, &a), RECUR_OK, "%s", recur_last_error());
      cr_expect_arr_eq(y1, f.y + b * 4 * 14, sizeof y1, "cell %zu row %d", ci, b);
      for (int u = 0; u < 4; u++)
        cr_expect_arr_eq(hn1 + u * 7, f.hn + (u * 3 + b) * 7, 7 * sizeof(float));
      for (int t = (int)f.lengths[b]; t < 4; t++)
        for (int j = 0; j < 14; j++) cr_expect_eq(y1[t * 14 + j], 0.0f, "past the end: t=%d", t);
    }
    recur_net_free(f.net);
  }
}

/* A 1-unit tanh RNN computed by hand: h_t = tanh(w x_t + b_ih + u h_{t-1} + b_hh). */
Test(api, rnn_by_hand) {
  float w = 0.5f, u = -0.75f, bi = 0.1f, bh = -0.2f;
  recur_tensor t[] = {{"weight_ih_l0", &w, 2, {1, 1}}, {"weight_hh_l0", &u, 2, {1, 1}},
                      {"bias_ih_l0", &bi, 1, {1, 0}}, {"bias_hh_l0", &bh, 1, {1, 0}}};
  recur_desc d = {RECUR_CELL_RNN_TANH, 1, 1, 1, 0, 0, 1, 0};
  recur_net *net;
  cr_assert_eq(recur_net_create(&net, &d, t, 4), RECUR_OK, "%s", recur_last_error());
  float x[3] = {1.0f, -2.0f, 0.25f}, y[3], hn, h0 = 0.3f;
  recur_forward_args a = {.seq_len = 3, .batch = 1, .input_size = 1, .unbatched = 1, .x = x,
                          .h0 = &h0, .y = y, .h_n = &hn};
  cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
  double h = 0.3;
  for (int i = 0; i < 3; i++) {
    h = tanh(0.5 * x[i] + 0.1f + -0.75 * h + -0.2f);
    cr_expect_float_eq(y[i], (float)h, 1e-6, "step %d", i);
  }
  cr_expect_eq(hn, y[2]);
  recur_net_free(net);
}

Test(api, isa_force) {
  cr_expect_eq(recur_isa_force(NULL), RECUR_ERR_NULL_POINTER);
  cr_expect_eq(recur_isa_force("mmx"), RECUR_ERR_INVALID_ARGUMENT);
  cr_expect(strstr(recur_last_error(), "unknown ISA 'mmx'"));
  cr_expect_eq(recur_isa_force("scalar"), RECUR_OK);
  cr_expect_str_eq(recur_isa_name(), "scalar");
}

#if defined(__x86_64__)
#include <xmmintrin.h>
#define FP_MODE_GET() _mm_getcsr()
#define FP_MODE_SET(m) _mm_setcsr(m)
#define FP_FLUSH_BITS 0x8040u /* FTZ | DAZ */
#elif defined(__aarch64__)
static unsigned fpcr_get(void) { uint64_t v; __asm__ volatile("mrs %0, fpcr" : "=r"(v)); return (unsigned)v; }
static void fpcr_set(unsigned v) { __asm__ volatile("msr fpcr, %0" : : "r"((uint64_t)v)); }
#define FP_MODE_GET() fpcr_get()
#define FP_MODE_SET(m) fpcr_set(m)
#define FP_FLUSH_BITS (1u << 24) /* FZ */
#endif

#ifdef FP_MODE_GET
/* Denormals are flushed during a call (part of recur's numbers) and the caller's floating-point
 * mode is restored afterwards, whatever it was. The network passes its input straight through
 * (relu(1 * x)), so an unflushed denormal would reach y. */
Test(api, denormals_flushed_and_caller_fp_mode_restored) {
  float one = 1.0f, zero = 0.0f;
  recur_tensor t[] = {{"weight_ih_l0", &one, 2, {1, 1}}, {"weight_hh_l0", &zero, 2, {1, 1}}};
  recur_desc d = {RECUR_CELL_RNN_RELU, 1, 1, 1, 0, 0, 0, 0};
  float x[3] = {1e-40f, 3e-39f, 0.5f}, y[3];
  recur_forward_args a = {.seq_len = 3, .batch = 1, .input_size = 1, .x = x, .y = y};
  unsigned saved = FP_MODE_GET();
  unsigned modes[] = {saved & ~FP_FLUSH_BITS, saved | FP_FLUSH_BITS};
  char list[128], *save = NULL;
  snprintf(list, sizeof list, "%s", recur_isa_list());
  for (char *isa = strtok_r(list, " ", &save); isa; isa = strtok_r(NULL, " ", &save)) {
    recur_net *net;
    cr_assert_eq(recur_isa_force(isa), RECUR_OK);
    cr_assert_eq(recur_net_create(&net, &d, t, 2), RECUR_OK, "%s", recur_last_error());
    for (int m = 0; m < 2; m++) {
      FP_MODE_SET(modes[m]);
      recur_status st = recur_forward(net, &a);
      unsigned after = FP_MODE_GET();
      FP_MODE_SET(saved);
      cr_assert_eq(st, RECUR_OK);
      cr_expect_eq(after, modes[m], "%s: mode %#x came back as %#x", isa, modes[m], after);
      cr_expect(y[0] == 0.0f && y[1] == 0.0f && y[2] == 0.5f, "%s: y = %g %g %g", isa,
                (double)y[0], (double)y[1], (double)y[2]);
    }
    recur_net_free(net);
  }
}
#endif
