/* bench/bf16_tiles: one thread's W_hh h_{t-1} product of an LSTM step through the cell tiles,
 * fp32 against the bf16 tables of the same ISA, so that the bf16 kernels' speed-up is measured
 * on its own (no driver, no threads). Per batch size: GFLOP/s (2 G H K B per step) of each
 * table, median of repeated steps, tables alternated in one run. bf16 input rows are converted
 * once, as a driver does per step outside the tiles.
 * Usage: bf16_tiles [H] [STEPS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"

enum { G = 4, MAX_B = 64, REPEATS = 15 };

typedef struct bench_table {
  const recur_kernels *k;
  void *panel;
  void *rows; /* MAX_B input rows in the format's a type, K padded */
} bench_table;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void setup(bench_table *b, const float *w, const float *x, int64_t H, int64_t nr) {
  const recur_precision_desc *f = b->k->format;
  int64_t Kp = recur_padded_k(f, H);
  b->panel = aligned_alloc(64, (recur_panel_weights(G, H, Kp, nr) * f->bytes + 63) / 64 * 64);
  f->pack(b->panel, w, NULL, G, H, H, nr);
  b->rows = malloc((size_t)(MAX_B * Kp) * f->a_bytes);
  for (int r = 0; r < MAX_B; r++) {
    char *row = (char *)b->rows + (size_t)(r * Kp) * f->a_bytes;
    if (f->convert_a) f->convert_a(row, x + r * H, H);
    else memcpy(row, x + r * H, (size_t)H * sizeof(float));
  }
}

/* One step: every hidden tile, rows in tiles of the table's default mr. */
static void step(const bench_table *b, int64_t H, int nv, int64_t B, float *gx, float *h, float *c) {
  int64_t nr = (int64_t)nv * b->k->vec, gnv = G * nv, Kp = recur_padded_k(b->k->format, H);
  int mr = recur_tile_rows(b->k, 0, (int)gnv);
  recur_tile_fn const *fns = b->k->cell[RECUR_EPI_LSTM][recur_nv_index(nv)];
  size_t tile_bytes = (size_t)(Kp * gnv * b->k->vec) * b->k->format->bytes;
  for (int64_t j = 0; j < (H + nr - 1) / nr; j++)
    for (int64_t r0 = 0; r0 < B; r0 += mr) {
      int m = (int)(B - r0 < mr ? B - r0 : mr);
      const void *a[RECUR_MR_MAX];
      const float *gxr[RECUR_MR_MAX];
      float *hr[RECUR_MR_MAX], *cr[RECUR_MR_MAX], *acc[RECUR_MR_MAX];
      for (int r = 0; r < m; r++) {
        a[r] = (const char *)b->rows + (size_t)((r0 + r) * Kp) * b->k->format->a_bytes;
        gxr[r] = gx + (r0 + r) * G * nr;
        hr[r] = h + (r0 + r) * H + j * nr, cr[r] = c + (r0 + r) * H + j * nr, acc[r] = NULL;
      }
      recur_tile t = {.k0 = 0, .k1 = H, .k = H, .panel = (const char *)b->panel + j * tile_bytes,
                      .a = a, .acc = acc, .gx = gxr, .h = hr, .c = cr,
                      .units = (int)(H - j * nr < nr ? H - j * nr : nr)};
      fns[m - 1](&t);
    }
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int64_t H = argc > 1 ? atoll(argv[1]) : 512;
  int steps = argc > 2 ? atoi(argv[2]) : 20;
  const recur_kernels *fp32 = recur_kernels_active();
  if (!fp32 || !fp32->vec) return fprintf(stderr, "no SIMD table here\n"), 1;
  const recur_kernels *bf16 = recur_kernels_for(fp32, RECUR_PRECISION_BF16);
  bench_table t[3] = {{.k = fp32}, {.k = bf16}};
  int n = bf16 ? 2 : 1;
#if defined(__x86_64__)
  if (bf16 == &recur_kernels_avx512_bf16) t[n++].k = &recur_kernels_avx512_bf16fma;
#endif
  int nv = fp32->nv[RECUR_EPI_LSTM];
  int64_t nr = (int64_t)nv * fp32->vec, Hp = (H + nr - 1) / nr * nr;
  float *w = malloc((size_t)(G * H * H) * sizeof(float)), *x = malloc((size_t)(MAX_B * H) * sizeof(float));
  float *gx = calloc((size_t)(MAX_B * G * Hp), sizeof(float));
  float *h = calloc((size_t)(MAX_B * Hp), sizeof(float)), *c = calloc((size_t)(MAX_B * Hp), sizeof(float));
  unsigned seed = 1;
  for (int64_t i = 0; i < G * H * H; i++) w[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
  for (int64_t i = 0; i < MAX_B * H; i++) x[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
  for (int i = 0; i < n; i++) setup(&t[i], w, x, H, nr);
  printf("LSTM H=%lld K=%lld nv=%d, one thread; GFLOP/s of the W_hh tiles (median of %d runs of %d steps)\n",
         (long long)H, (long long)H, nv, REPEATS, steps);
  printf("%4s", "B");
  for (int i = 0; i < n; i++) printf(" %16s", t[i].k->name);
  printf("   bf16/fp32\n");
  static const int64_t batches[] = {1, 4, 16, 32, 64};
  for (size_t bi = 0; bi < sizeof batches / sizeof *batches; bi++) {
    int64_t B = batches[bi];
    double times[3][REPEATS];
    for (int rep = 0; rep < REPEATS; rep++)
      for (int i = 0; i < n; i++) {
        double t0 = now();
        for (int s = 0; s < steps; s++) step(&t[i], H, nv, B, gx, h, c);
        times[i][rep] = (now() - t0) / steps;
      }
    printf("%4lld", (long long)B);
    double gf[3];
    for (int i = 0; i < n; i++) {
      qsort(times[i], REPEATS, sizeof(double), cmp);
      gf[i] = 2.0 * G * (double)H * (double)H * (double)B / times[i][REPEATS / 2] * 1e-9;
      printf(" %16.1f", gf[i]);
    }
    printf("   %.2fx\n", n > 1 ? gf[1] / gf[0] : 1.0);
  }
  return 0;
}
