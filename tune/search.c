/* The search. Per network shape (a group of cases that differ only in T, B and threads):
 *  1. time every case with the built-in defaults;
 *  2. the packing, shared by the group: nv, then the K blocks, then the projection's nv, each
 *     candidate against the best packing so far, case by case (one coordinate at a time:
 *     pruned);
 *  3. per case, on that packing: threads used, groups per direction, split, batch parts of a
 *     hidden split, mr, time chunk and GEMM row block, again one coordinate at a time from the
 *     heuristic's choice, each candidate against the current choice;
 *  4. each case's winner against the defaults, in a longer comparison: a winner at least
 *     RECUR_TOOL_TUNE_MIN_GAIN faster is kept, else the case's entry spells out the defaults (so
 *     that it, not a neighbouring batch's entry, applies to its shape). If a case loses on a
 *     non-default packing, the group goes back to the default packing and steps 3-4 run again
 *     there, so that every entry of a network shape shares one packing and none is slower
 *     than the defaults.
 * Every comparison runs its two contenders in turn, run by run after a warm-up each
 * (timing.c), so that a busy stretch slows both alike, and judges the rounds' time ratios:
 * the challenger wins only when their median is faster by the step's margin and by more than
 * their noise (half their interquartile range), so that a gain the machine's run-to-run noise
 * could make up is never taken (`gains`). The time limit is split evenly over the groups left;
 * a group stops searching when only the time its step 4 needs is left, and step 4 shrinks to
 * 3 runs each if even that is gone. A measurement under way always finishes, so a run can
 * overrun its limit by about one case's final comparison. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "schedule.h"
#include "tune.h"

/* Searching: at least 3 rounds. The final comparison: at least 7; late, 3 (one round would
 * leave no noise to judge). */
static const struct recur_bench_budget search_budget = {3, 0.06, 0.5};
static const struct recur_bench_budget final_budget = {7, 0.3, 3.0};
static const struct recur_bench_budget late_budget = {3, 0, 3.0};

/* The margin a step of the search must win by (steps 2 and 3). */
#define STEP_GAIN 0.01

typedef struct trial {
  const recur_tune_timer *timer;
  const recur_net *net;
  recur_forward_args args;
  recur_call_choices choices; /* zero: the heuristic's choices */
} trial;

/* The real timer's run. */
static int forward_with(void *unused, const recur_net *net, const recur_forward_args *args,
                        const recur_call_choices *choices) {
  (void)unused;
  return recur_forward_with(net, args, choices) != RECUR_OK;
}

static int run_trial(void *ctx) {
  trial *t = ctx;
  return t->timer->run(t->timer->ctx, t->net, &t->args, &t->choices);
}

typedef struct group {
  const recur_kernels *k;
  const recur_tune_case *cases;
  const int *idx;          /* the group's cases */
  int n;
  float **x, **y;          /* per case */
  double *ms_default;      /* per case */
  double *spread_default;  /* per case: the run-to-run spread of those times */
  recur_call_choices *call; /* per case: the per-call choices found */
  const recur_net *def;    /* the network with the default packing */
  double start, deadline;  /* of this group */
  double search_end;       /* the deadline less what step 4 needs */
  double fraction0, fraction_span;
  const recur_tune_opts *opts;
  const recur_tune_timer *timer;
} group;

static double now(const group *g) { return g->timer->clock.now(g->timer->clock.ctx); }

static int out_of_time(const group *g) { return now(g) > g->search_end; }

/* Seconds step 4 takes for the group at the default times: both contenders of each case
 * fill final_budget, after a warm-up each. */
static double final_seconds(const group *g) {
  double s = 0;
  for (int c = 0; c < g->n; c++) {
    double run = 1e-3 * g->ms_default[c];
    double fill = final_budget.min_runs * run > final_budget.min_seconds ? final_budget.min_runs * run
                                                                        : final_budget.min_seconds;
    s += 2 * (run + (fill < final_budget.max_seconds ? fill : final_budget.max_seconds));
  }
  return s;
}

static void report(const group *g, int c) {
  if (!g->opts->progress) return;
  double used = (now(g) - g->start) / (g->deadline - g->start);
  g->opts->progress(g->opts->ctx, g->fraction0 + g->fraction_span * (used < 1 ? used : 1),
                    &g->cases[g->idx[c]]);
}

static trial make_trial(const group *g, const recur_net *net, int c, const recur_call_choices *call) {
  const recur_tune_case *tc = &g->cases[g->idx[c]];
  trial t = {.timer = g->timer, .net = net,
             .args = {.seq_len = tc->T, .batch = tc->B, .input_size = tc->desc.input_size,
                      .x = g->x[c], .y = g->y[c], .num_threads = tc->threads}};
  if (call) t.choices = *call;
  return t;
}

/* Step 1 for case c: the defaults' median ms (INFINITY if a run fails) and spread. */
static void measure_default(group *g, int c) {
  trial t = make_trial(g, g->def, c, NULL);
  struct recur_bench_contender one = {run_trial, &t, {0}, 0};
  int failed = recur_bench_time_on(&one, 1, &search_budget, &g->timer->clock);
  g->ms_default[c] = failed ? INFINITY : one.timing.median_ms;
  g->spread_default[c] = one.timing.spread;
  report(g, c);
}

/* Times challenger b against incumbent a on case c, in turn: their timings in t (t[1].ratio:
 * b's time over a's, round by round); 0 if a run failed. */
static int compare(const group *g, int c, trial a, trial b, const struct recur_bench_budget *budget,
                   struct recur_bench_timing t[2]) {
  struct recur_bench_contender two[2] = {{run_trial, &a, {0}, 0}, {run_trial, &b, {0}, 0}};
  int failed = recur_bench_time_on(two, 2, budget, &g->timer->clock);
  report(g, c);
  t[0] = two[0].timing, t[1] = two[1].timing;
  return !failed;
}

/* Whether a challenger whose time over the incumbent's is ratio (the median of the rounds),
 * with that ratio's noise, is faster by at least min_gain and by more than the noise. */
static int gains(double ratio, double noise, double min_gain) {
  return ratio > 0 && 1 - ratio >= min_gain && 1 - ratio > noise;
}

static recur_status make_net(const group *g, const recur_packing *p, recur_net **net) {
  const recur_tune_case *tc = &g->cases[g->idx[0]];
  recur_net_options options = {tc->precision};
  return recur_tune_random_net(&tc->desc, g->k, p, &options, net);
}

/* Frees a network the search made, not the default one. */
static void drop(const group *g, recur_net *net) {
  if (net != g->def) recur_net_free(net);
}

/* Tries one packing against *best_net, case by case: keeps it (in *best_net) when the
 * geometric mean of the cases' ratios gains STEP_GAIN and more than their mean noise. */
static void try_packing(const group *g, recur_packing cand, recur_net **best_net) {
  recur_net *net;
  if (out_of_time(g) || make_net(g, &cand, &net)) return;
  double log_ratio = 0, noise = 0;
  int c = 0;
  for (struct recur_bench_timing t[2]; c < g->n; c++) {
    if (!compare(g, c, make_trial(g, *best_net, c, NULL), make_trial(g, net, c, NULL),
                 &search_budget, t))
      break;
    log_ratio += log(t[1].ratio), noise += t[1].ratio_noise;
  }
  if (c == g->n && gains(exp(log_ratio / g->n), noise / g->n, STEP_GAIN)) {
    drop(g, *best_net);
    *best_net = net;
  } else recur_net_free(net);
}

/* Step 2. *best_net starts as the default network; each candidate changes one coordinate of
 * the best packing so far. */
static void search_packing(const group *g, recur_net **best_net) {
  const recur_desc *d = &g->cases[g->idx[0]].desc;
  int64_t gates = recur_cell_gates(d->cell), h_out = d->proj_size ? d->proj_size : d->hidden_size;
  const recur_packing *best;
  static const int nvs[] = {1, 2, 4, 8};
  static const int64_t kcs[] = {64, 128, 256};
  for (int i = 0; i < 4; i++) { /* wider than twice the hidden size is all padding */
    best = &(*best_net)->tiling.pack;
    if (nvs[i] != best->nv && recur_nv_valid(nvs[i], (int)gates) &&
        (int64_t)(nvs[i] / 2) * g->k->vec < d->hidden_size)
      try_packing(g, (recur_packing){.nv = nvs[i], .nv_proj = best->nv_proj}, best_net);
  }
  for (int i = 0; i < 3; i++) {
    best = &(*best_net)->tiling.pack;
    if (kcs[i] < h_out)
      try_packing(g, (recur_packing){best->nv, best->nv_proj, kcs[i], best->kc_input}, best_net);
  }
  for (int i = 0; i < 3; i++) {
    best = &(*best_net)->tiling.pack;
    if (kcs[i] < d->input_size)
      try_packing(g, (recur_packing){best->nv, best->nv_proj, best->kc, kcs[i]}, best_net);
  }
  for (int i = 0; i < 4 && d->proj_size; i++) {
    best = &(*best_net)->tiling.pack;
    if (nvs[i] != best->nv_proj && (int64_t)(nvs[i] / 2) * g->k->vec < d->proj_size)
      try_packing(g, (recur_packing){best->nv, nvs[i], best->kc, best->kc_input}, best_net);
  }
}

/* Step 3 for case c: coordinate descent over the per-call choices. */
static void search_call(const group *g, const recur_net *net, int c) {
  const recur_tune_case *tc = &g->cases[g->idx[c]];
  recur_call_choices p = {0};
  int gnv = (int)(net->gates * net->tiling.pack.nv), fit = recur_tile_rows(net->kernels, 0, gnv);
  enum { USE, GROUPS, SPLIT, BPARTS, MR, CHUNK, MC, N_KNOBS };
  static const int64_t chunks[] = {128, 256, 1024, 2048}, mcs[] = {32, 64, 128, 256};
  for (int knob = 0; knob < N_KNOBS; knob++)
    for (int v = 0; v < 4 && !out_of_time(g); v++) {
      recur_call_choices q = p;
      recur_schedule s = recur_schedule_choose(net, tc->B, tc->threads, &p);
      int tried; /* v names a value other than the current one */
      switch (knob) {
      case USE: q.use_threads = v ? tc->threads / 2 : 1;
        tried = v < 2 && q.use_threads >= 1 && q.use_threads < s.call.use_threads; break;
      case GROUPS: q.groups = 1; tried = v == 0 && s.call.groups == 2; break;
      case SPLIT:
        q.split = s.call.split == RECUR_SPLIT_HIDDEN ? RECUR_SPLIT_BATCH : RECUR_SPLIT_HIDDEN;
        tried = v == 0 && s.call.use_threads > 1; break;
      case BPARTS: q.split = RECUR_SPLIT_HIDDEN, q.bparts = 2 << v;
        tried = q.bparts <= s.group_threads[0] && q.bparts <= tc->B && q.bparts != s.call.bparts;
        break;
      case MR: q.mr = v + 1; tried = v < fit && q.mr != recur_tile_rows(net->kernels, p.mr, gnv); break;
      case CHUNK: q.chunk_rows = chunks[v]; tried = chunks[v] != s.call.chunk_rows; break;
      default: q.mc = mcs[v]; tried = mcs[v] < s.call.chunk_rows && mcs[v] != p.mc; break;
      }
      struct recur_bench_timing t[2];
      if (tried &&
          compare(g, c, make_trial(g, net, c, &p), make_trial(g, net, c, &q), &search_budget, t) &&
          gains(t[1].ratio, t[1].ratio_noise, STEP_GAIN))
        p = q;
    }
  g->call[c] = p;
}

/* The search moves a choice only to a value the heuristic would not pick: all zero is it. */
static int is_heuristic(const recur_call_choices *p) {
  return !p->mr && !p->chunk_rows && !p->mc && !p->split && !p->groups && !p->use_threads &&
         !p->bparts;
}

/* e: case c's key, net's packing and the schedule the call choices give, spelled out. */
static void fill_entry(const group *g, const recur_net *net, const recur_call_choices *call, int c,
                       recur_tune_entry *e) {
  const recur_tune_case *tc = &g->cases[g->idx[c]];
  e->key = net->tune_key;
  e->key.threads = tc->threads, e->key.B = tc->B;
  e->p.pack = net->tiling.pack;
  e->p.call = recur_schedule_choose(net, tc->B, tc->threads, call).call;
}

/* Step 4 for case c: the winner (net, g->call[c]) against the defaults, in turn; nothing to
 * compare when the search found nothing better. The winner is kept when the median of the
 * rounds' ratios gains RECUR_TOOL_TUNE_MIN_GAIN and more than their noise, and so does the ratio
 * of the medians (the times the entry records). */
static int final_check(const group *g, const recur_net *def, const recur_net *net, int c,
                       recur_tune_outcome *out) {
  recur_tune_entry *e = &out->entry;
  fill_entry(g, def, NULL, c, e);
  out->measured = 1, out->improved = 0, out->spread = g->spread_default[c];
  out->compared = net != def || !is_heuristic(&g->call[c]);
  e->default_ms = e->tuned_ms = g->ms_default[c];
  if (!out->compared) return 0;
  struct recur_bench_timing t[2];
  if (!compare(g, c, make_trial(g, def, c, NULL), make_trial(g, net, c, &g->call[c]),
               now(g) < g->deadline ? &final_budget : &late_budget, t))
    return out->measured = 0;
  double def_ms = t[0].median_ms, tuned_ms = t[1].median_ms;
  out->gain = 1 - t[1].ratio, out->noise = t[1].ratio_noise;
  out->spread = t[0].spread > t[1].spread ? t[0].spread : t[1].spread;
  out->improved = gains(t[1].ratio, t[1].ratio_noise, RECUR_TOOL_TUNE_MIN_GAIN) &&
                  tuned_ms <= (1 - RECUR_TOOL_TUNE_MIN_GAIN) * def_ms;
  if (out->improved) fill_entry(g, net, &g->call[c], c, e);
  e->default_ms = def_ms, e->tuned_ms = out->improved ? tuned_ms : def_ms;
  return out->improved;
}

static recur_status tune_group(group *g, recur_tune_outcome *out) {
  recur_net *def = NULL;
  recur_status st = make_net(g, NULL, &def);
  if (st) return st;
  g->def = def;
  for (int c = 0; c < g->n && !st; c++) {
    measure_default(g, c);
    if (!isfinite(g->ms_default[c])) { /* the same call again, for its status and detail */
      trial t = make_trial(g, def, c, NULL);
      st = recur_forward_with(def, &t.args, &t.choices);
      if (!st) st = recur_fail(RECUR_ERR_INTERNAL, "recur tune: a timed run failed, then passed");
    }
  }
  g->search_end = g->deadline - final_seconds(g);
  recur_net *best = def;
  if (!st) search_packing(g, &best);
  for (int pass = 0; pass < 2 && !st; pass++) {
    int all = 1;
    for (int c = 0; c < g->n; c++) search_call(g, best, c);
    for (int c = 0; c < g->n; c++) all &= final_check(g, def, best, c, &out[g->idx[c]]);
    if (all || best == def) break;
    drop(g, best); /* a case lost on the new packing: back to the default one */
    best = def;
  }
  drop(g, best);
  recur_net_free(def);
  return st;
}

/* Cases whose networks are one: the same description and precision. */
static int same_net(const recur_tune_case *x, const recur_tune_case *y) {
  const recur_desc *a = &x->desc, *b = &y->desc;
  return x->precision == y->precision && a->cell == b->cell && a->input_size == b->input_size && a->hidden_size == b->hidden_size &&
         a->num_layers == b->num_layers && a->bidirectional == b->bidirectional &&
         a->proj_size == b->proj_size && a->bias == b->bias;
}

/* Buffers for the group's cases; 0 on failure. */
static int alloc_buffers(group *g) {
  for (int c = 0; c < g->n; c++) {
    const recur_tune_case *tc = &g->cases[g->idx[c]];
    const recur_desc *d = &tc->desc;
    size_t rows = (size_t)(tc->T * tc->B), out = (size_t)((d->proj_size ? d->proj_size : d->hidden_size) *
                                                          (d->bidirectional ? 2 : 1));
    g->x[c] = malloc(rows * (size_t)d->input_size * sizeof(float));
    g->y[c] = malloc(rows * out * sizeof(float));
    if (!g->x[c] || !g->y[c]) return 0;
    unsigned state = 777;
    recur_bench_fill_random(g->x[c], rows * (size_t)d->input_size, 1.0f, &state);
  }
  return 1;
}

recur_status recur_tune_search(const recur_kernels *k, const recur_tune_case *cases, int n,
                               const recur_tune_opts *opts, const recur_tune_timer *timer,
                               recur_tune_outcome *out) {
  static const recur_tune_timer real = {{recur_bench_monotonic, NULL}, forward_with, NULL};
  if (!timer) timer = &real;
  recur_tune_ignore();
  memset(out, 0, (size_t)n * sizeof *out);
  int *idx = malloc((size_t)n * sizeof *idx), *group_of = malloc((size_t)n * sizeof *group_of);
  if (!idx || !group_of) {
    free(idx), free(group_of);
    return RECUR_ERR_OUT_OF_MEMORY;
  }
  int n_groups = 0;
  for (int i = 0; i < n; i++) { /* group_of[i]: the first case of i's shape */
    group_of[i] = i;
    for (int j = 0; j < i && group_of[i] == i; j++)
      if (same_net(&cases[i], &cases[j])) group_of[i] = group_of[j];
    n_groups += group_of[i] == i;
  }
  const struct recur_bench_clock *clock = &timer->clock;
  double start = clock->now(clock->ctx), end = start + opts->seconds;
  recur_status st = RECUR_OK;
  for (int first = 0, done = 0; first < n && !st; first++) {
    if (group_of[first] != first) continue;
    group g = {.k = k, .cases = cases, .idx = idx, .opts = opts, .timer = timer};
    for (int i = first; i < n; i++)
      if (group_of[i] == first) idx[g.n++] = i;
    g.start = now(&g);
    g.deadline = g.start + (end - g.start) / (n_groups - done);
    g.fraction0 = (double)done / n_groups, g.fraction_span = 1.0 / n_groups;
    g.x = calloc((size_t)g.n, sizeof *g.x), g.y = calloc((size_t)g.n, sizeof *g.y);
    g.ms_default = calloc((size_t)g.n, sizeof *g.ms_default);
    g.spread_default = calloc((size_t)g.n, sizeof *g.spread_default);
    g.call = calloc((size_t)g.n, sizeof *g.call);
    if (g.start >= end) {} /* out of time: the rest stay unmeasured */
    else if (!g.x || !g.y || !g.ms_default || !g.spread_default || !g.call || !alloc_buffers(&g))
      st = recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur tune: no memory for the buffers");
    else st = tune_group(&g, out);
    if (!st && opts->progress) opts->progress(opts->ctx, (double)(done + 1) / n_groups, &cases[first]);
    for (int c = 0; g.x && c < g.n; c++) free(g.x[c]), free(g.y[c]);
    free(g.x), free(g.y), free(g.ms_default), free(g.spread_default), free(g.call);
    done++;
  }
  free(idx), free(group_of);
  return st;
}
