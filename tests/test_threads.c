/* Results never depend on the thread count: for every table and precision, every cell, uni/bi, stacked,
 * lengths and projection, 1 to 64 threads (oversubscribed here) give the same bits, through the
 * batch split, the hidden-tile split and the grid of both. And the schedule uses the threads it
 * is given: on the DeepBench shapes, never fewer at N threads than at N/2, and, untuned, at
 * least min(N, D*H/64). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <limits.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "net.h"
#include "poison.h"
#include "randnet.h"
#include "schedule.h"
#include "tables.h"

typedef struct case_ {
  recur_desc d;
  int64_t T, B;
  int lengths;
} case_;

static const case_ cases[] = {
  /* small batch: hidden split */
  {{RECUR_CELL_LSTM, 24, 150, 2, 1, 0, 1, 0}, 9, 1, 0},
  {{RECUR_CELL_LSTM, 24, 150, 2, 1, 61, 1, 0}, 7, 3, 1},
  {{RECUR_CELL_GRU, 33, 130, 3, 0, 0, 1, 0}, 8, 2, 1},
  {{RECUR_CELL_RNN_TANH, 17, 300, 1, 1, 0, 1, 0}, 6, 1, 0},
  {{RECUR_CELL_RNN_RELU, 17, 200, 2, 0, 0, 0, 0}, 6, 4, 1},
  /* large batch: batch split */
  {{RECUR_CELL_LSTM, 20, 40, 2, 1, 17, 1, 0}, 5, 37, 1},
  {{RECUR_CELL_GRU, 20, 40, 1, 1, 0, 1, 0}, 5, 64, 0},
  {{RECUR_CELL_RNN_TANH, 20, 33, 2, 0, 0, 1, 0}, 4, 50, 1},
};

typedef struct result {
  float *y, *hn, *cn;
  size_t ny, nh, nc;
} result;

static void run(recur_net *net, const case_ *c, int threads, result *r) {
  const recur_desc *d = &c->d;
  int64_t D = d->bidirectional ? 2 : 1, Hout = d->proj_size ? d->proj_size : d->hidden_size;
  size_t nx = (size_t)(c->T * c->B * d->input_size);
  r->ny = (size_t)(c->T * c->B * D * Hout);
  r->nh = (size_t)(d->num_layers * D * c->B * Hout);
  r->nc = d->cell == RECUR_CELL_LSTM ? (size_t)(d->num_layers * D * c->B * d->hidden_size) : 0;
  float *x = malloc(nx * sizeof *x);
  int64_t *len = malloc((size_t)c->B * sizeof *len);
  unsigned seed = 11;
  randnet_fill(x, nx, &seed);
  for (int64_t b = 0; b < c->B; b++) len[b] = 1 + (b * 7 + 3) % c->T;
  r->y = malloc(r->ny * sizeof(float));
  r->hn = malloc(r->nh * sizeof(float));
  r->cn = r->nc ? malloc(r->nc * sizeof(float)) : NULL;
  float fill = threads == 1 ? WANT_POISON : OUT_POISON; /* one thread's run is the one compared with */
  poison_outputs(r->y, r->ny, fill), poison_outputs(r->hn, r->nh, fill), poison_outputs(r->cn, r->nc, fill);
  recur_forward_args a = {.seq_len = c->T, .batch = c->B, .input_size = d->input_size, .x = x,
                          .lengths = c->lengths ? len : NULL, .y = r->y, .h_n = r->hn,
                          .c_n = r->cn, .num_threads = threads};
  cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
  free(x);
  free(len);
}

static void result_free(result *r) { free(r->y); free(r->hn); free(r->cn); }

TestSuite(threads, .fini = tables_print);

Test(threads, any_thread_count_gives_the_same_bits) {
  static const int counts[] = {2, 3, 4, 7, 16, 32, 64};
  char list[128], *save = NULL;
  snprintf(list, sizeof list, "%s", recur_isa_list());
  int hidden_splits = 0, batch_splits = 0, grids = 0;
  for (char *isa = strtok_r(list, " ", &save); isa; isa = strtok_r(NULL, " ", &save)) {
    cr_assert_eq(recur_isa_force(isa), RECUR_OK);
    for (size_t ci = 0; ci < 2 * sizeof cases / sizeof *cases; ci++) {
      const case_ *c = &cases[ci / 2]; /* each case in fp32, then bf16 */
      recur_net_options options = {.precision = ci % 2 ? RECUR_PRECISION_BF16 : RECUR_PRECISION_FP32};
      randnet_tensors w;
      randnet_make(&c->d, (unsigned)ci / 2 + 1, &w);
      recur_net *net;
      cr_assert_eq(recur_net_create_ex(&net, &c->d, w.t, w.n, &options), RECUR_OK, "%s", recur_last_error());
      tables_note(net->kernels);
      randnet_free(&w);
      result one;
      run(net, c, 1, &one);
      for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
        recur_schedule s = recur_schedule_choose(net, c->B, counts[k], NULL);
        hidden_splits += s.call.use_threads > 1 && s.call.split == RECUR_SPLIT_HIDDEN;
        batch_splits += s.call.use_threads > 1 && s.call.split == RECUR_SPLIT_BATCH;
        grids += s.batch_parts[0] > 1 && s.hidden_parts[0] > 1;
        result r;
        run(net, c, counts[k], &r);
        const char *prec = recur_precision_name(options.precision);
        cr_expect_arr_eq(r.y, one.y, one.ny * sizeof(float), "%s %s case %zu, %d threads: y", isa, prec, ci / 2, counts[k]);
        cr_expect_arr_eq(r.hn, one.hn, one.nh * sizeof(float), "%s %s case %zu, %d threads: h_n", isa, prec, ci / 2, counts[k]);
        if (one.nc)
          cr_expect_arr_eq(r.cn, one.cn, one.nc * sizeof(float), "%s %s case %zu, %d threads: c_n", isa, prec, ci / 2, counts[k]);
        result_free(&r);
      }
      result_free(&one);
      recur_net_free(net);
    }
  }
  cr_expect_gt(hidden_splits, 0, "no case took the hidden split");
  cr_expect_gt(batch_splits, 0, "no case took the batch split");
  cr_expect_gt(grids, 0, "no case split both the batch and the hidden tiles");
}

/* The schedule (best table): directions get their own groups, and each group's shares cover
 * every (row, hidden tile) pair exactly once. */
Test(threads, shares_cover_rows_and_tiles_exactly_once) {
  static const case_ *const picks[] = {&cases[0], &cases[1], &cases[5], &cases[7]};
  for (size_t i = 0; i < sizeof picks / sizeof *picks; i++) {
    const case_ *c = picks[i];
    randnet_tensors w;
    randnet_make(&c->d, 1, &w);
    recur_net *net;
    cr_assert_eq(recur_net_create_for(&net, &c->d, w.t, w.n, NULL, NULL, NULL), RECUR_OK);
    randnet_free(&w);
    int64_t tiles = net->tiling.tiles;
    int *seen = malloc((size_t)(c->B * tiles) * sizeof *seen);
    for (int n = 1; n <= 64; n++) {
      recur_schedule s = recur_schedule_choose(net, c->B, n, NULL);
      cr_expect_leq(s.call.use_threads, n);
      cr_expect_eq(s.call.groups, c->d.bidirectional && n >= 2 ? 2 : 1);
      for (int g = 0; g < s.call.groups; g++) {
        cr_expect_eq(s.group_threads[g], s.batch_parts[g] * s.hidden_parts[g]);
        memset(seen, 0, (size_t)(c->B * tiles) * sizeof *seen);
        for (int tid = 0; tid < s.call.use_threads; tid++) {
          recur_share sh = recur_schedule_share(&s, net, c->B, tid);
          if (sh.group != g) continue;
          cr_expect_eq(sh.hparts, s.hidden_parts[g]);
          for (int64_t b = sh.b0; b < sh.b1; b++)
            for (int64_t j = sh.j0; j < sh.j1; j++) seen[b * tiles + j]++;
        }
        for (int64_t i = 0; i < c->B * tiles; i++)
          cr_expect_eq(seen[i], 1, "row %lld tile %lld: %d threads own it (%d asked)",
                       (long long)(i / tiles), (long long)(i % tiles), seen[i], n);
      }
    }
    free(seen);
    recur_net_free(net);
  }
}

/* recur_net_plan on the DeepBench shapes (tools/recur/bench_spec.c), every packed table this CPU
 * runs, N = 1, 2, 4, ..., 64 threads asked: threads used at N >= at N/2, and, where no tune
 * entry applies (one may run fewer threads, measured faster: the suite 'tuned' runs this with
 * a tune file), >= min(N, D*H/64) (units of 64 hidden units per direction, the finest split
 * the packing allows: pack.c). The scalar table splits only the batch: at least min(N, B)
 * there. */
Test(threads, plan_uses_the_threads_on_deepbench_shapes) {
  static const struct { int64_t B, H; } shapes[] = {{1, 512}, {4, 512}, {16, 512}, {64, 1024},
                                                    {32, 512}, {1, 256}, {1, 1536}};
  static const struct { recur_cell cell; int bidirectional; } cells[] = {
    {RECUR_CELL_RNN_TANH, 0}, {RECUR_CELL_LSTM, 0}, {RECUR_CELL_GRU, 0}, {RECUR_CELL_LSTM, 1}};
  char list[128], *save = NULL;
  snprintf(list, sizeof list, "%s", recur_isa_list());
  int packed_tables = 0;
  for (char *isa = strtok_r(list, " ", &save); isa; isa = strtok_r(NULL, " ", &save)) {
    cr_assert_eq(recur_isa_force(isa), RECUR_OK);
    int scalar = !strcmp(isa, "scalar");
    packed_tables += !scalar;
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++)
      for (size_t ci = 0; ci < sizeof cells / sizeof *cells; ci++) {
        int64_t B = shapes[si].B, H = shapes[si].H, D = cells[ci].bidirectional ? 2 : 1;
        recur_desc d = {cells[ci].cell, H, H, 1, cells[ci].bidirectional, 0, 1, 0};
        randnet_tensors w;
        randnet_make(&d, 3, &w);
        recur_net *net;
        cr_assert_eq(recur_net_create(&net, &d, w.t, w.n), RECUR_OK, "%s", recur_last_error());
        randnet_free(&w);
        int before = 0;
        for (int n = 1; n <= 64; n *= 2) {
          recur_plan p;
          cr_assert_eq(recur_net_plan(net, B, n, &p), RECUR_OK);
          int64_t floor = scalar ? B : D * H / 64;
          floor = floor < n ? floor : n;
          cr_expect_geq(p.threads, before, "%s cell %d D %lld (B %lld, H %lld): %d threads at N=%d, %d at N/2",
                        isa, d.cell, (long long)D, (long long)B, (long long)H, p.threads, n, before);
          if (!p.tuned_call)
            cr_expect_geq(p.threads, floor, "%s cell %d D %lld (B %lld, H %lld): %d threads at N=%d, want >= %lld",
                          isa, d.cell, (long long)D, (long long)B, (long long)H, p.threads, n, (long long)floor);
          cr_expect_leq(p.threads, n);
          before = p.threads;
        }
        recur_net_free(net);
      }
  }
  cr_expect_gt(packed_tables, 0, "no packed table to plan for");
}

/* Thread counts near INT_MAX (asked per call, as the process default or through
 * OMP_NUM_THREADS) are clamped, not overflowed: the plan is a real team, a bidirectional call
 * runs and gives the 1-thread bits; 2000 threads asked never become 2000 OpenMP threads. */
Test(threads, huge_thread_counts_are_clamped) {
  const case_ *c = &cases[1]; /* bidirectional LSTM with projection */
  randnet_tensors w;
  randnet_make(&c->d, 5, &w);
  recur_net *net;
  cr_assert_eq(recur_net_create(&net, &c->d, w.t, w.n), RECUR_OK, "%s", recur_last_error());
  randnet_free(&w);
  cpu_set_t set;
  cr_assert_eq(sched_getaffinity(0, sizeof set, &set), 0);
  int cap = CPU_COUNT(&set) > RECUR_TEAM_MIN_CAP ? CPU_COUNT(&set) : RECUR_TEAM_MIN_CAP;
  static const int asks[] = {INT_MAX, INT_MAX - 1, RECUR_MAX_THREADS + 1, 2000};
  result one;
  run(net, c, 1, &one);
  for (size_t i = 0; i < sizeof asks / sizeof *asks; i++) {
    recur_plan p;
    cr_assert_eq(recur_net_plan(net, 4096, asks[i], &p), RECUR_OK, "%s", recur_last_error());
    cr_expect(p.threads >= 2 && p.threads <= cap, "%d threads asked: a team of %d (cap %d)", asks[i],
              p.threads, cap);
    cr_expect_eq(p.group_threads[0] + p.group_threads[1], p.threads);
    result r;
    run(net, c, asks[i], &r);
    cr_expect_arr_eq(r.y, one.y, one.ny * sizeof(float), "%d threads: y", asks[i]);
    cr_expect_arr_eq(r.cn, one.cn, one.nc * sizeof(float), "%d threads: c_n", asks[i]);
    result_free(&r);
  }
  recur_set_num_threads(INT_MAX);
  result r;
  run(net, c, 0, &r);
  cr_expect_arr_eq(r.hn, one.hn, one.nh * sizeof(float), "the process default INT_MAX: h_n");
  result_free(&r);
  recur_set_num_threads(0);
  result_free(&one);
  recur_net_free(net);
}
