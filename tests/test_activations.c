/* The cell activations of every SIMD table (kernels/body/activations.h) against double
 * precision, within the error budget stated there: tanh and sigmoid of every 701st float in
 * [-100, 100], of every float around the tanh clamp and of edge values. NaN gives NaN, no
 * other input does, +-Inf and large |x| saturate exactly, and every table gives the same bits.
 *
 * The kernels are reached through networks whose arithmetic around the activation is exact:
 * tanh is rnn_tanh with I = H = 1, W_ih = 1 and every other weight 0, so h = tanh(x) at T = 1;
 * sigmoid is an LSTM whose input reaches only the i gate, with g = tanh(100) = 1 and c0 = 0, so
 * c_n = f * 0 + i * g = sigmoid(x). The forward pass flushes denormals (DAZ): a denormal x is 0. */
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "net.h"
#include "tables.h"

/* kernels/body/activations.h's budget, relative to the result (for sigmoid, where that is a
 * normal float; below, it must be below FLT_MIN too). */
#define TANH_BUDGET 3e-7
#define SIGMOID_BUDGET 2e-7

#define STRIDE 701                /* bit patterns between swept floats */
#define CHUNK ((int64_t)1 << 16)  /* batch rows per forward call */

typedef enum { ACT_TANH, ACT_SIGMOID } act;
static const char *const act_names[] = {"tanh", "sigmoid"};

/* out[i] = f(x[i] + bias) under table k, through the networks described at the top. */
static void run_net(const recur_kernels *k, act f, float bias, const float *x, float *out,
                    int64_t n) {
  static const float one = 1, zero[4] = {0}, w_lstm[4] = {1, 0, 0, 0};
  const float b_lstm[4] = {bias, 0, 100, 0};
  const int64_t G = f == ACT_TANH ? 1 : 4;
  recur_desc d = {.cell = f == ACT_TANH ? RECUR_CELL_RNN_TANH : RECUR_CELL_LSTM, .input_size = 1,
                  .hidden_size = 1, .num_layers = 1, .bias = 1};
  recur_tensor t[] = {
    {"weight_ih_l0", G == 1 ? &one : w_lstm, 2, {G, 1}},
    {"weight_hh_l0", zero, 2, {G, 1}},
    {"bias_ih_l0", G == 1 ? &bias : b_lstm, 1, {G, 0}},
    {"bias_hh_l0", zero, 1, {G, 0}},
  };
  recur_net *net;
  cr_assert_eq(recur_net_create_for(&net, &d, t, 4, NULL, k, NULL), RECUR_OK, "%s", recur_last_error());
  tables_note(net->kernels);
  float *y = malloc(CHUNK * sizeof *y), *hn = malloc(CHUNK * sizeof *hn);
  float *cn = malloc(CHUNK * sizeof *cn);
  for (int64_t i = 0; i < n; i += CHUNK) {
    int64_t b = n - i < CHUNK ? n - i : CHUNK;
    recur_forward_args a = {.seq_len = 1, .batch = b, .input_size = 1, .x = x + i, .y = y,
                            .h_n = hn, .c_n = G == 4 ? cn : NULL, .num_threads = 1};
    cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
    memcpy(out + i, G == 1 ? y : cn, (size_t)b * sizeof *out);
  }
  free(y); free(hn); free(cn);
  recur_net_free(net);
}

/* out[i] = f(x[i]). In the LSTM an infinite x would meet the other gates' zero weights (0 * Inf
 * is NaN), so sigmoid(+-Inf) takes the Inf through the i gate's bias, with x = 0. */
static void activate(const recur_kernels *k, act f, const float *x, float *out, int64_t n) {
  static const float zero = 0;
  run_net(k, f, 0, x, out, n);
  for (int64_t i = 0; i < n; i++)
    if (f == ACT_SIGMOID && isinf(x[i])) run_net(k, f, x[i], &zero, &out[i], 1);
}

/* The inputs: every STRIDE-th float in [0, 100] and its negation, every float in [8, 8.02]
 * (across the tanh clamp, 8.0131), and edge values. */
static float *inputs(int64_t *n) {
  static const float edges[] = {0.0f, -0.0f, 1e-45f, -1e-40f, FLT_MIN, -FLT_MIN, 1e10f, -1e10f,
                                FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN, -NAN};
  const uint32_t top = 0x42c80000u; /* 100.0f */
  float lo = 8.0f, hi = 8.02f;
  uint32_t lo_bits, hi_bits;
  memcpy(&lo_bits, &lo, 4);
  memcpy(&hi_bits, &hi, 4);
  size_t max = 2 * (top / STRIDE + 1) + 2 * (hi_bits - lo_bits + 1) + sizeof edges / sizeof *edges;
  float *x = malloc(max * sizeof *x);
  size_t count = 0;
  for (uint32_t b = 0; b <= top; b += STRIDE) {
    memcpy(&x[count], &b, 4);
    x[count + 1] = -x[count];
    count += 2;
  }
  for (uint32_t b = lo_bits; b <= hi_bits; b++) {
    memcpy(&x[count], &b, 4);
    x[count + 1] = -x[count];
    count += 2;
  }
  memcpy(x + count, edges, sizeof edges);
  *n = (int64_t)(count + sizeof edges / sizeof *edges);
  return x;
}

typedef struct verdict {
  size_t bad;
  float x, got;      /* the worst input and its output */
  double excess;     /* its error over the budget; INFINITY: a wrong kind of value */
  double max_error;  /* the largest relative error seen */
} verdict;

/* Judges got = f(x) against double precision. */
static void judge(verdict *v, act f, float x, float got) {
  double xd = isnormal(x) || isinf(x) ? x : 0.0; /* DAZ */
  double want = f == ACT_TANH ? tanh(xd) : 1 / (1 + exp(-xd));
  double err = fabs(got - want), excess;
  float limit = (float)want;
  if (isnan(x) || isnan(got)) excess = isnan(x) && isnan(got) ? 0 : INFINITY;
  else if (limit == -1 || limit == 0 || limit == 1) excess = got == limit ? 0 : INFINITY;
  else if (f == ACT_TANH ? fabsf(got) > 1 : got < 0 || got > 1) excess = INFINITY;
  else if (fabs(want) < FLT_MIN) excess = fabsf(got) < FLT_MIN ? 0 : INFINITY;
  else {
    err /= fabs(want);
    excess = err - (f == ACT_TANH ? TANH_BUDGET : SIGMOID_BUDGET);
    if (err > v->max_error) v->max_error = err;
  }
  if (excess > 0) v->bad++;
  if (excess > v->excess) *v = (verdict){v->bad, x, got, excess, v->max_error};
}

TestSuite(activations, .fini = tables_print);

Test(activations, every_table_within_budget_with_nan_and_inf) {
  const recur_kernels *tables[FAST_TABLES_MAX];
  size_t n_tables = fast_tables(tables);
  int64_t n;
  float *x = inputs(&n);
  float *got = malloc((size_t)n * sizeof *got), *first = malloc((size_t)n * sizeof *first);
  for (act f = ACT_TANH; f <= ACT_SIGMOID; f++) {
    const char *first_table = NULL;
    for (size_t t = 0; t < n_tables; t++) {
      const recur_kernels *k = tables[t];
      activate(k, f, x, got, n);
      verdict v = {.excess = -1};
      for (int64_t i = 0; i < n; i++) judge(&v, f, x[i], got[i]);
      cr_expect_eq(v.bad, 0, "%s %s: %zu of %lld off; worst %s(%.9g) = %.9g, want %.9g",
                   k->name, act_names[f], v.bad, (long long)n, act_names[f], (double)v.x,
                   (double)v.got, f == ACT_TANH ? tanh(v.x) : 1 / (1 + exp(-(double)v.x)));
      cr_log_info("%s %s: max relative error %.3g over %lld inputs", k->name, act_names[f],
                  v.max_error, (long long)n);
      if (!first_table) {
        first_table = k->name;
        memcpy(first, got, (size_t)n * sizeof *got);
      } else {
        cr_expect_arr_eq(got, first, (size_t)n * sizeof *got, "%s %s: not the bits of %s",
                         k->name, act_names[f], first_table);
      }
    }
    cr_expect(first_table, "no SIMD table usable on this CPU (%s)", recur_isa_list());
  }
  free(x); free(got); free(first);
}
