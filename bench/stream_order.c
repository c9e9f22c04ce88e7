/* bench/stream_order: what alternating the order of a stream's one-step calls gains
 * (drivers/recurrence.c, recur_schedule_alternates): two streams on one LSTM (I = H), one
 * alternating and one in the fixed order, stepped one frame per call in turns, a batch of
 * calls each (at least 10 ms, after one untimed call), the first of a round alternating
 * between them; prints each one's median us per call and the median [quartiles] of each
 * round's fixed time over its alternating time (> 1: alternating is faster).
 *
 *   build/bench/stream_order [--hidden 256,1024] [--batch 1,2,4,8] [--layers 1] [--rounds 21]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "recur.h"
#include "stream.h"

static void check(recur_status st, const char *what) {
  if (st == RECUR_OK) return;
  fprintf(stderr, "stream_order: %s: %s\n", what, recur_last_error());
  exit(1);
}

/* Median us per call of each stream, and the round-by-round ratio fixed / alternating. */
static void run(const recur_net *net, int64_t B, int64_t I, int rounds) {
  recur_stream *s[2]; /* [0] fixed order, [1] alternating */
  for (int a = 0; a < 2; a++) check(recur_stream_create_as(&s[a], net, B, 1, a), "recur_stream_create_as");
  float *x = calloc((size_t)(B * I), sizeof *x), *y = malloc((size_t)(B * 4 * I) * sizeof *y);
  double *t[2] = {malloc((size_t)rounds * sizeof(double)), malloc((size_t)rounds * sizeof(double))};
  double *ratio = malloc((size_t)rounds * sizeof *ratio);
  if (!x || !y || !t[0] || !t[1] || !ratio) check(RECUR_ERR_OUT_OF_MEMORY, "buffers");
  double t0 = now();
  check(recur_stream_step(s[0], x, 1, y), "recur_stream_step");
  int per = (int)(10e-3 / (now() - t0 + 1e-9)) + 1;
  for (int r = 0; r < rounds; r++)
    for (int i = 0; i < 2; i++) {
      int a = (i + r) % 2;
      check(recur_stream_step(s[a], x, 1, y), "recur_stream_step"); /* untimed */
      double start = now();
      for (int k = 0; k < per; k++) check(recur_stream_step(s[a], x, 1, y), "recur_stream_step");
      t[a][r] = (now() - start) / per * 1e6;
    }
  for (int r = 0; r < rounds; r++) ratio[r] = t[0][r] / t[1][r];
  for (int a = 0; a < 2; a++) qsort(t[a], (size_t)rounds, sizeof(double), cmp_double);
  qsort(ratio, (size_t)rounds, sizeof *ratio, cmp_double);
  printf(" %10.2f | %10.2f | %.3f [%.3f, %.3f] |\n", t[0][rounds / 2], t[1][rounds / 2],
         ratio[rounds / 2], ratio[rounds / 4], ratio[(3 * rounds) / 4]);
  for (int a = 0; a < 2; a++) recur_stream_free(s[a]), free(t[a]);
  free(x), free(y), free(ratio);
}

/* An LSTM (I = H, `layers` layers) with weights in PyTorch's init range. */
static recur_net *make_lstm(int64_t H, int64_t layers) {
  recur_desc d = {RECUR_CELL_LSTM, H, H, layers, 0, 0, 1, 0};
  size_t n = (size_t)(8 * H * H + 8 * H);
  float *w = malloc(n * sizeof *w);
  recur_tensor *t = malloc((size_t)(4 * layers) * sizeof *t);
  char (*names)[32] = malloc((size_t)(4 * layers) * sizeof *names);
  if (!w || !t || !names) check(RECUR_ERR_OUT_OF_MEMORY, "weights");
  unsigned state = 7;
  for (size_t i = 0; i < n; i++) {
    state = state * 1664525u + 1013904223u;
    w[i] = ((float)(state >> 8) / 8388608.0f - 1.0f) / (float)H;
  }
  static const char *const kinds[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
  for (int64_t l = 0; l < layers; l++) /* every layer the same weights: only the traffic counts */
    for (int k = 0; k < 4; k++) {
      recur_tensor *x = &t[4 * l + k];
      snprintf(names[4 * l + k], sizeof *names, "%s_l%lld", kinds[k], (long long)l);
      *x = (recur_tensor){names[4 * l + k], w + (k == 0 ? 0 : k == 1 ? 4 * H * H : k == 2 ? 8 * H * H : 8 * H * H + 4 * H),
                          k < 2 ? 2 : 1, {4 * H, k < 2 ? H : 0}};
    }
  recur_net *net;
  check(recur_net_create(&net, &d, t, (size_t)(4 * layers)), "recur_net_create");
  free(w), free(t), free(names);
  return net;
}

int main(int argc, char **argv) {
  int64_t hs[8] = {256, 1024}, bs[8] = {1, 2, 4, 8}, layers = 1;
  int nh = 2, nb = 4, rounds = 21;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--hidden")) nh = parse_list(argv[i + 1], hs, 8);
    else if (!strcmp(argv[i], "--batch")) nb = parse_list(argv[i + 1], bs, 8);
    else if (!strcmp(argv[i], "--layers")) layers = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
    else return fprintf(stderr, "usage: %s [--hidden 256,1024] [--batch 1,2,4,8] [--layers 1] [--rounds 21]\n", argv[0]), 2;
  }
  if (rounds < 1 || layers < 1) return 2;
  printf("LSTM, I = H, %lld layer(s), 1 thread, isa %s; %d rounds\n\n", (long long)layers,
         recur_isa_name(), rounds);
  printf("|    H |  B | fixed us | alternating us | fixed / alternating |\n|---:|---:|---:|---:|---:|\n");
  for (int ih = 0; ih < nh; ih++) {
    recur_net *net = make_lstm(hs[ih], layers);
    for (int ib = 0; ib < nb; ib++) {
      printf("| %4lld | %2lld |", (long long)hs[ih], (long long)bs[ib]);
      run(net, bs[ib], hs[ih], rounds);
      fflush(stdout);
    }
    recur_net_free(net);
  }
  return 0;
}
