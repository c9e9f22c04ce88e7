/* bench/step_overhead: one time step (T = 1, B = 1) of a model through recur_forward on one
 * thread, the C side of bench/python_overhead.py, which makes the same call through Python.
 * Times BATCHES batches of CALLS calls after a warm-up batch and prints the median per call
 * (µs): a step this small measures the fixed cost of a call, not the arithmetic.
 * Usage: step_overhead MODEL.safetensors [BATCHES [CALLS]] */
#include <recur.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"

static int fail(const char *what) {
  fprintf(stderr, "step_overhead: %s: %s\n", what, recur_last_error());
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: step_overhead MODEL [BATCHES [CALLS]]\n"), 2;
  int batches = argc > 2 ? atoi(argv[2]) : 200, calls = argc > 3 ? atoi(argv[3]) : 100;
  if (batches < 1 || calls < 1) return fprintf(stderr, "step_overhead: BATCHES, CALLS >= 1\n"), 2;
  recur_net *net;
  recur_desc d;
  if (recur_net_load(&net, argv[1], NULL) != RECUR_OK) return fail(argv[1]);
  recur_net_describe(net, &d);
  int64_t dirs = d.bidirectional ? 2 : 1, h_out = d.proj_size ? d.proj_size : d.hidden_size;
  int64_t states = d.num_layers * dirs;
  int lstm = d.cell == RECUR_CELL_LSTM;
  /* One buffer for everything, zeroed: x, y, h0, h_n, then c0, c_n for an LSTM. */
  int64_t sizes[6] = {d.input_size, dirs * h_out, states * h_out, states * h_out,
                      lstm ? states * d.hidden_size : 0, lstm ? states * d.hidden_size : 0};
  float *parts[6];
  float *all = calloc((size_t)(sizes[0] + sizes[1] + sizes[2] + sizes[3] + sizes[4] + sizes[5]),
                      sizeof(float));
  if (!all) return fprintf(stderr, "step_overhead: out of memory\n"), 1;
  float *next = all;
  for (int i = 0; i < 6; i++) parts[i] = next, next += sizes[i];
  recur_forward_args a = {.seq_len = 1, .batch = 1, .input_size = d.input_size,
                          .x = parts[0], .y = parts[1], .h0 = parts[2], .h_n = parts[3],
                          .c0 = lstm ? parts[4] : NULL, .c_n = lstm ? parts[5] : NULL,
                          .num_threads = 1};
  double *per_call = malloc((size_t)batches * sizeof(double));
  if (!per_call) return fprintf(stderr, "step_overhead: out of memory\n"), 1;
  for (int b = -1; b < batches; b++) { /* b = -1: the warm-up */
    double t0 = now();
    for (int i = 0; i < calls; i++)
      if (recur_forward(net, &a) != RECUR_OK) return fail("recur_forward");
    if (b >= 0) per_call[b] = 1e6 * (now() - t0) / calls;
  }
  qsort(per_call, (size_t)batches, sizeof(double), cmp_double);
  printf("%.4f\n", per_call[batches / 2]);
  free(per_call);
  free(all);
  recur_net_free(net);
  return 0;
}
