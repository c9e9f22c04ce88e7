/* bench/precision_tiles: one thread's W_hh h_{t-1} product of an LSTM step through the cell
 * tiles, on every table of one ISA that this CPU runs (fp32, bf16, int8, the fallbacks
 * included: avx512_bf16fma, <isa>_int8madd), so that each table's speed-up over the ISA's fp32
 * is measured on its own (no driver, no threads), and a fallback is timed on a CPU that has the
 * instruction it stands in for. Per batch size: GFLOP/s (2 G H K B per step) of each table,
 * median of repeated steps, tables alternated in one run. Input rows are converted once, as a
 * driver does per step outside the tiles.
 * Usage: precision_tiles [ISA] [H] [STEPS] (ISA: the one recur picks) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu.h"
#include "kernels.h"
#include "tables.h"

enum { G = 4, MAX_B = 64, REPEATS = 15, MAX_TABLES = 8 };

typedef struct bench_table {
  const recur_kernels *k;
  void *panel;
  void *rows;       /* MAX_B input rows as the table reads them */
  size_t row_bytes; /* one of them */
} bench_table;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void setup(bench_table *b, const float *w, const float *x, int64_t H, int64_t nr) {
  const recur_precision_desc *f = b->k->format;
  /* the weights as the precision rounds them (int8: and a scale per row), as net.c does */
  float *rounded = malloc((size_t)(G * H * H) * sizeof(float));
  float *row_scale = malloc((size_t)(G * H) * sizeof(float));
  b->panel = aligned_alloc(64, (recur_panel_bytes(f, G, H, H, nr) + 63) / 64 * 64);
  f->round_weights(rounded, row_scale, w, G * H, H);
  f->pack(b->panel, rounded, row_scale, G, H, H, nr);
  free(rounded), free(row_scale);
  b->row_bytes = b->k->convert_a ? recur_a_row_bytes(f, H) : (size_t)H * sizeof(float);
  b->rows = malloc((size_t)MAX_B * b->row_bytes);
  for (int r = 0; r < MAX_B; r++) {
    char *row = (char *)b->rows + (size_t)r * b->row_bytes;
    if (b->k->convert_a) b->k->convert_a(row, x + r * H, H);
    else memcpy(row, x + r * H, (size_t)H * sizeof(float));
  }
}

/* One step: every hidden tile, rows in tiles of the table's default mr. */
static void step(const bench_table *b, int64_t H, int nv, int64_t B, float *gx, float *h, float *c) {
  const recur_precision_desc *f = b->k->format;
  int64_t nr = (int64_t)nv * b->k->vec, gnv = G * nv;
  int mr = recur_tile_rows(b->k, 0, (int)gnv);
  recur_tile_fn const *fns = b->k->cell[RECUR_EPI_LSTM][recur_nv_index(nv)];
  size_t tile_bytes = recur_tile_bytes(f, H, gnv * b->k->vec);
  for (int64_t j = 0; j < (H + nr - 1) / nr; j++)
    for (int64_t r0 = 0; r0 < B; r0 += mr) {
      int m = (int)(B - r0 < mr ? B - r0 : mr);
      const void *a[RECUR_MR_MAX];
      const float *gxr[RECUR_MR_MAX];
      float *hr[RECUR_MR_MAX], *cr[RECUR_MR_MAX], *acc[RECUR_MR_MAX];
      for (int r = 0; r < m; r++) {
        a[r] = (const char *)b->rows + (size_t)(r0 + r) * b->row_bytes;
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

/* The tables this build has, for the list below. */
#define TABLE_ENTRY(name, isa, precision) &recur_kernels_##name,
static const recur_kernels *const built[] = {RECUR_TABLES_BUILT(TABLE_ENTRY)};

int main(int argc, char **argv) {
  const recur_kernels *active = recur_kernels_active();
  const char *isa = argc > 1 ? argv[1] : active ? active->isa : "scalar";
  int64_t H = argc > 2 ? atoll(argv[2]) : 512;
  int steps = argc > 3 ? atoi(argv[3]) : 20;
  unsigned cpu = recur_cpu_detect();
  bench_table t[MAX_TABLES];
  int n = 0;
  for (size_t i = 0; i < sizeof built / sizeof *built && n < MAX_TABLES; i++)
    if (built[i]->vec && strcmp(built[i]->isa, isa) == 0 && (built[i]->features & ~cpu) == 0)
      t[n++] = (bench_table){.k = built[i]};
  if (!n || t[0].k->format->id != RECUR_PRECISION_FP32)
    return fprintf(stderr, "precision_tiles: no SIMD table of ISA '%s' runs here\n", isa), 1;
  int nv = t[0].k->nv[RECUR_EPI_LSTM]; /* fp32's, for every table: the same tiles */
  int64_t nr = (int64_t)nv * t[0].k->vec, Hp = (H + nr - 1) / nr * nr;
  float *w = malloc((size_t)(G * H * H) * sizeof(float)), *x = malloc((size_t)(MAX_B * H) * sizeof(float));
  float *gx = calloc((size_t)(MAX_B * G * Hp), sizeof(float));
  float *h = calloc((size_t)(MAX_B * Hp), sizeof(float)), *c = calloc((size_t)(MAX_B * Hp), sizeof(float));
  unsigned seed = 1;
  for (int64_t i = 0; i < G * H * H; i++) w[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
  for (int64_t i = 0; i < MAX_B * H; i++) x[i] = (float)((seed = seed * 1103515245u + 12345u) >> 8) / 16777216.0f - 0.5f;
  for (int i = 0; i < n; i++) setup(&t[i], w, x, H, nr);
  printf("LSTM H=%lld K=%lld nv=%d, one thread; GFLOP/s of the W_hh tiles (median of %d runs of %d steps)"
         " and each table's speed-up over %s\n", (long long)H, (long long)H, nv, REPEATS, steps,
         t[0].k->name);
  printf("%4s", "B");
  for (int i = 0; i < n; i++) printf(" %16s", t[i].k->name);
  for (int i = 1; i < n; i++) printf(" %16s", t[i].k->name);
  printf("\n");
  static const int64_t batches[] = {1, 4, 16, 32, 64};
  for (size_t bi = 0; bi < sizeof batches / sizeof *batches; bi++) {
    int64_t B = batches[bi];
    double times[MAX_TABLES][REPEATS], gf[MAX_TABLES];
    for (int rep = 0; rep < REPEATS; rep++)
      for (int i = 0; i < n; i++) {
        double t0 = now();
        for (int s = 0; s < steps; s++) step(&t[i], H, nv, B, gx, h, c);
        times[i][rep] = (now() - t0) / steps;
      }
    printf("%4lld", (long long)B);
    for (int i = 0; i < n; i++) {
      qsort(times[i], REPEATS, sizeof(double), cmp);
      gf[i] = 2.0 * G * (double)H * (double)H * (double)B / times[i][REPEATS / 2] * 1e-9;
      printf(" %16.1f", gf[i]);
    }
    for (int i = 1; i < n; i++) printf(" %15.2fx", gf[i] / gf[0]);
    printf("\n");
  }
  return 0;
}
