/* The search. Per network shape (a group of cases that differ only in T, B and threads):
 *  1. time every case with the built-in defaults;
 *  2. the packing, shared by the group: nv, then the K blocks, then the projection's nv, each
 *     kept when it lowers the group's summed log time (one coordinate at a time: pruned);
 *  3. per case, on that packing: threads used, groups per direction, split, batch parts of a
 *     hidden split, mr, time chunk and GEMM row block, again one coordinate at a time from the heuristic's choice;
 *  4. each case's winner against the defaults, alternating runs; a winner at least
 *     RECUR_TUNE_MIN_GAIN faster is kept, else the case's entry spells out the defaults (so
 *     that it, not a neighbouring batch's entry, applies to its shape). If a case loses on a
 *     non-default packing, the group goes back to the default packing and steps 3-4 run again
 *     there, so that every entry of a network shape shares one packing and none is slower
 *     than the defaults.
 * Every timing is a median after a warm-up (timing.c). The time limit is split evenly over
 * the groups left; a group stops searching when only the time its step 4 needs is left, and
 * step 4 shrinks to 3 runs each if even that is gone. A measurement under way always
 * finishes, so a run can overrun its limit by about one case's final comparison. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "schedule.h"
#include "tune.h"

/* Searching: a median of at least 3 runs. The final comparison: at least 7 of each, in turn. */
static const struct recur_bench_budget search_budget = {3, 0.06, 0.5};
static const struct recur_bench_budget final_budget = {7, 0.3, 3.0};
static const struct recur_bench_budget late_budget = {3, 0, 0};

typedef struct trial {
  const recur_net *net;
  recur_forward_args args;
  recur_call_choices choices; /* zero: the heuristic's choices */
} trial;

static int run_trial(void *ctx) {
  trial *t = ctx;
  return recur_forward_with(t->net, &t->args, &t->choices) != RECUR_OK;
}

typedef struct group {
  const recur_kernels *k;
  const recur_tune_case *cases;
  const int *idx;          /* the group's cases */
  int n;
  float **x, **y;          /* per case */
  double *ms_default;      /* per case */
  recur_call_choices *call; /* per case: the per-call choices found */
  const recur_net *def;    /* the network with the default packing */
  double start, deadline;  /* of this group */
  double search_end;       /* the deadline less what step 4 needs */
  double fraction0, fraction_span;
  const recur_tune_opts *opts;
} group;

static int out_of_time(const group *g) { return recur_bench_now() > g->search_end; }

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
  double used = (recur_bench_now() - g->start) / (g->deadline - g->start);
  g->opts->progress(g->opts->ctx, g->fraction0 + g->fraction_span * (used < 1 ? used : 1),
                    &g->cases[g->idx[c]]);
}

static trial make_trial(const group *g, const recur_net *net, int c, const recur_call_choices *call) {
  const recur_tune_case *tc = &g->cases[g->idx[c]];
  trial t = {.net = net, .args = {.seq_len = tc->T, .batch = tc->B, .input_size = tc->desc.input_size,
                                  .x = g->x[c], .y = g->y[c], .num_threads = tc->threads}};
  if (call) t.choices = *call;
  return t;
}

/* Median ms of case c on net with the call's choices (NULL: the heuristic's); INFINITY if a run
 * fails. */
static double measure(const group *g, const recur_net *net, int c, const recur_call_choices *call) {
  trial t = make_trial(g, net, c, call);
  struct recur_bench_contender one = {run_trial, &t, {0}, 0};
  double ms = recur_bench_time(&one, 1, &search_budget) ? INFINITY : one.timing.median_ms;
  report(g, c);
  return ms;
}

/* The group's cost on a packing: the sum over cases of log(time / default time). */
static double group_cost(const group *g, const recur_net *net) {
  double cost = 0;
  for (int c = 0; c < g->n; c++) {
    cost += log(measure(g, net, c, NULL) / g->ms_default[c]);
  }
  return cost;
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

/* Tries one packing: keeps it (in *best, *best_net) when it lowers the cost by 1%. */
static void try_packing(const group *g, recur_packing cand, recur_packing *best, recur_net **best_net,
                        double *best_cost) {
  recur_net *net;
  if (out_of_time(g) || make_net(g, &cand, &net)) return;
  double cost = group_cost(g, net);
  if (cost < *best_cost - 0.01 * g->n) {
    *best_cost = cost, *best = net->tiling.pack;
    drop(g, *best_net);
    *best_net = net;
  } else recur_net_free(net);
}

/* Step 2. *best_net starts as the default network. */
static void search_packing(const group *g, recur_net **best_net) {
  const recur_desc *d = &g->cases[g->idx[0]].desc;
  int64_t gates = recur_cell_gates(d->cell), h_out = d->proj_size ? d->proj_size : d->hidden_size;
  recur_packing best = (*best_net)->tiling.pack;
  double cost = 0; /* the defaults, by definition */
  static const int nvs[] = {1, 2, 4, 8};
  static const int64_t kcs[] = {64, 128, 256};
  for (int i = 0; i < 4; i++) /* wider than twice the hidden size is all padding */
    if (nvs[i] != best.nv && recur_nv_valid(nvs[i], (int)gates) && (int64_t)(nvs[i] / 2) * g->k->vec < d->hidden_size)
      try_packing(g, (recur_packing){.nv = nvs[i], .nv_proj = best.nv_proj}, &best, best_net, &cost);
  for (int i = 0; i < 3; i++)
    if (kcs[i] < h_out)
      try_packing(g, (recur_packing){best.nv, best.nv_proj, kcs[i], best.kc_input}, &best, best_net,
                  &cost);
  for (int i = 0; i < 3; i++)
    if (kcs[i] < d->input_size)
      try_packing(g, (recur_packing){best.nv, best.nv_proj, best.kc, kcs[i]}, &best, best_net, &cost);
  for (int i = 0; i < 4 && d->proj_size; i++)
    if (nvs[i] != best.nv_proj && (int64_t)(nvs[i] / 2) * g->k->vec < d->proj_size)
      try_packing(g, (recur_packing){best.nv, nvs[i], best.kc, best.kc_input}, &best, best_net, &cost);
}

/* Step 3 for case c: coordinate descent over the per-call choices. */
static void search_call(const group *g, const recur_net *net, int c) {
  const recur_tune_case *tc = &g->cases[g->idx[c]];
  recur_call_choices p = {0};
  double best = measure(g, net, c, &p);
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
      if (!tried) continue;
      double ms = measure(g, net, c, &q);
      if (ms < 0.99 * best) best = ms, p = q;
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
 * compare when the search found nothing better. */

static int final_check(const group *g, const recur_net *def, const recur_net *net, int c,
                       recur_tune_outcome *out) {
  recur_tune_entry *e = &out->entry;
  fill_entry(g, def, NULL, c, e);
  out->measured = 1, out->improved = 0;
  out->compared = net != def || !is_heuristic(&g->call[c]);
  e->default_ms = e->tuned_ms = g->ms_default[c];
  if (!out->compared) return 0;
  trial t[2] = {make_trial(g, def, c, NULL), make_trial(g, net, c, &g->call[c])};
  struct recur_bench_contender two[2] = {{run_trial, &t[0], {0}, 0}, {run_trial, &t[1], {0}, 0}};
  int failed = recur_bench_time(two, 2, recur_bench_now() < g->deadline ? &final_budget : &late_budget);
  report(g, c);
  if (failed) return out->measured = 0;
  double def_ms = two[0].timing.median_ms, tuned_ms = two[1].timing.median_ms;
  out->improved = tuned_ms <= (1 - RECUR_TUNE_MIN_GAIN) * def_ms;
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
    g->ms_default[c] = measure(g, def, c, NULL);
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
                               const recur_tune_opts *opts, recur_tune_outcome *out) {
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
  double start = recur_bench_now(), end = start + opts->seconds;
  recur_status st = RECUR_OK;
  for (int first = 0, done = 0; first < n && !st; first++) {
    if (group_of[first] != first) continue;
    group g = {.k = k, .cases = cases, .idx = idx, .opts = opts};
    for (int i = first; i < n; i++)
      if (group_of[i] == first) idx[g.n++] = i;
    g.start = recur_bench_now();
    g.deadline = g.start + (end - g.start) / (n_groups - done);
    g.fraction0 = (double)done / n_groups, g.fraction_span = 1.0 / n_groups;
    g.x = calloc((size_t)g.n, sizeof *g.x), g.y = calloc((size_t)g.n, sizeof *g.y);
    g.ms_default = calloc((size_t)g.n, sizeof *g.ms_default);
    g.call = calloc((size_t)g.n, sizeof *g.call);
    if (g.start >= end) {} /* out of time: the rest stay unmeasured */
    else if (!g.x || !g.y || !g.ms_default || !g.call || !alloc_buffers(&g))
      st = recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur tune: no memory for the buffers");
    else st = tune_group(&g, out);
    if (!st && opts->progress) opts->progress(opts->ctx, (double)(done + 1) / n_groups, &cases[first]);
    for (int c = 0; g.x && c < g.n; c++) free(g.x[c]), free(g.y[c]);
    free(g.x), free(g.y), free(g.ms_default), free(g.call);
    done++;
  }
  free(idx), free(group_of);
  return st;
}
