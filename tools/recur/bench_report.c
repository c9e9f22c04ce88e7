/* `recur bench`'s reports: a table per precision and kernel table (plus their ratios), CSV,
 * or JSON; a line per case and thread count in each. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "recur.h"
#include "recur_tool.h"

static const char *const onednn_names[RECUR_BENCH_ONEDNN_N] = {"default", "avx2"};
static const char *const tuned_names[] = {"-", "pack", "yes"};

/* What a row's numbers give. */
struct derived {
  double gflop;    /* work of one forward pass */
  double gflops;   /* recur's rate; 0 if recur was not measured */
  double pct_peak; /* recur's share of the peak; < 0 if unknown */
  int best;        /* oneDNN's faster configuration, -1 if none */
  double speedup;  /* oneDNN's best time / recur's time; 0 if either is missing */
  double scaling;  /* recur's time at the run's first thread count / at this one; 0 at the
                      first count or if either is missing */
  double vs_defaults; /* --vs-defaults: the built-in defaults' time / recur's; 0 if missing */
};

int recur_bench_onednn_best(const struct recur_bench_row *row) {
  int best = -1;
  for (int k = 0; k < RECUR_BENCH_ONEDNN_N; k++) {
    if (row->onednn[k].runs && (best < 0 || row->onednn[k].median_ms < row->onednn[best].median_ms))
      best = k;
  }
  return best;
}

/* What run->rows[i] gives. */
static struct derived derive(const struct recur_bench_run *run, int i) {
  const struct recur_bench_row *row = &run->rows[i], *first = row - i % run->n_threads;
  struct derived d = {.gflop = recur_bench_flops(&row->c) * 1e-9, .pct_peak = -1,
                      .best = recur_bench_onednn_best(row)};
  if (row->recur.runs) {
    d.gflops = d.gflop / (row->recur.median_ms * 1e-3);
    if (row->peak_gflops > 0) d.pct_peak = 100 * d.gflops / row->peak_gflops;
    if (d.best >= 0) d.speedup = row->onednn[d.best].median_ms / row->recur.median_ms;
    if (first != row && first->recur.runs)
      d.scaling = first->recur.median_ms / row->recur.median_ms;
    if (row->defaults.runs) d.vs_defaults = row->defaults.median_ms / row->recur.median_ms;
  }
  return d;
}

static const char *plural(int n) { return n == 1 ? "" : "s"; }

static int rows_per_table(const struct recur_bench_run *run) {
  return run->n_cases * run->n_threads;
}

/* A block's name where blocks are compared: its kernel table and precision ("avx512 bf16"). */
static void block_name(const struct recur_bench_row *first, char *buf, size_t len, char sep) {
  snprintf(buf, len, "%s%c%s", first->isa ? first->isa : "oneDNN", sep,
           recur_precision_name(first->precision));
}

/* Over one table's cases at the thread count k: how many have a value (speedup or scaling) and
 * how many of those above 1, and its geometric mean. */
struct tally {
  int count, above_one;
  double geomean, least;
};

static double speedup_of(const struct derived *d) { return d->speedup; }
static double scaling_of(const struct derived *d) { return d->scaling; }
static double vs_defaults_of(const struct derived *d) { return d->vs_defaults; }

static struct tally tally(const struct recur_bench_run *run, int table, int k,
                          double (*value_of)(const struct derived *)) {
  struct tally t = {0, 0, 0, 0};
  double log_sum = 0;
  for (int c = 0; c < run->n_cases; c++) {
    struct derived d = derive(run, table * rows_per_table(run) + c * run->n_threads + k);
    double v = value_of(&d);
    if (v <= 0) continue;
    if (!t.count || v < t.least) t.least = v;
    t.count++;
    t.above_one += v > 1;
    log_sum += log(v);
  }
  if (t.count) t.geomean = exp(log_sum / t.count);
  return t;
}

/* ---- table -------------------------------------------------------------------------------- */

/* A number in a column, or "-" if absent (value <= 0 or not measured). */
static void print_number(int width, int decimals, double value) {
  if (value > 0)
    printf(" %*.*f", width, decimals, value);
  else
    printf(" %*s", width, "-");
}

static void print_shape(const struct recur_bench_case *c) {
  const struct recur_bench_shape *s = &c->shape;
  printf("%-7s %4lld %4lld %5lld %5lld", recur_bench_cell_info(c->cell)->name, (long long)s->T,
         (long long)s->B, (long long)s->I, (long long)s->H);
  print_number(4, 0, (double)s->P);
}

static void print_header(const struct recur_bench_run *run) {
  struct recur_bench_budget b = recur_bench_budget_for(run->quick, 0);
  char threads[RECUR_BENCH_THREADS_TEXT_LEN], precisions[32] = "";
  int bf16 = 0;
  recur_bench_format_threads(run->threads, run->n_threads, threads);
  for (int t = 0; t < run->n_tables; t += run->tables_per_precision) {
    recur_precision p = run->rows[t * rows_per_table(run)].precision;
    size_t used = strlen(precisions);
    snprintf(precisions + used, sizeof precisions - used, "%s%s", t ? " and " : "",
             recur_precision_name(p));
    bf16 |= p == RECUR_PRECISION_BF16;
  }
  printf("recur %s bench: %s; threads %s; %s, one layer, random weights\n",
         recur_version_string(), run->cpu_model, threads, precisions);
  printf("median of >= %d runs and >= %.2f s per case and thread count after a warm-up run%s\n",
         b.min_runs, b.min_seconds, run->quick ? " (--quick)" : "");
  recur_tune_info tune;
  recur_tune_status(&tune);
  if (tune.loaded)
    printf("tune file %s (%lld entries); tuned: yes = the case's own entry, pack = only the "
           "network's packing (an entry at another batch or thread count)\n", tune.path,
           (long long)tune.entries);
  else printf("tune file: none in use (%s): built-in defaults\n", tune.reason);
  if (run->n_threads > 1)
    printf("scaling = recur's median time at %d thread%s / at this count\n", run->threads[0],
           plural(run->threads[0]));
  if (run->onednn_version) {
    printf("oneDNN %s:", run->onednn_version);
    for (int k = 0; k < RECUR_BENCH_ONEDNN_N; k++) {
      if (run->rows[0].onednn[k].runs)
        printf(" %s ISA %s;", onednn_names[k], run->rows[0].onednn_isa[k]);
    }
    printf(" best = the faster; speedup = oneDNN best ms / recur ms at the same thread count "
           "and precision (> 1: recur is faster)\n");
    if (bf16)
      printf("bf16: recur bf16 (bf16 weights and dot-product inputs, fp32 sums and outputs) "
             "against oneDNN's own bf16 path (bf16 weights, input and output, fp32 biases)\n");
  }
}

/* Why oneDNN has no time for some of a block's rows: each reason once. */
static void print_unsupported(const struct recur_bench_row *rows, int n) {
  for (int k = 0; k < RECUR_BENCH_ONEDNN_N; k++) {
    for (int i = 0; i < n; i++) {
      const char *why = rows[i].onednn_unsupported[k];
      int seen = !why[0];
      for (int j = 0; j < i && !seen; j++) seen = strcmp(rows[j].onednn_unsupported[k], why) == 0;
      if (!seen) printf("oneDNN %s not timed: %s\n", onednn_names[k], why);
    }
  }
}

/* One table's block of rows, from run->rows[first]. */
static void print_table_block(const struct recur_bench_run *run, int first) {
  const struct recur_bench_row *rows = &run->rows[first];
  int recur = rows[0].isa != NULL, onednn = run->onednn_version != NULL;
  printf("\n");
  if (recur) {
    printf("kernels %s, %s: peak ", rows[0].isa, recur_precision_name(rows[0].precision));
    if (rows[0].peak_gflops > 0)
      printf("%.1f GFLOP/s on one core (%s: %s; %%peak: times the cores used)\n",
             rows[0].peak_gflops / rows[0].cores, rows[0].peak_table, rows[0].peak_instruction);
    else
      printf("unknown (no vector loop)\n");
  } else {
    printf("oneDNN at %s\n", recur_precision_name(rows[0].precision));
  }
  printf("cell       T    B     I     H    P threads");
  if (recur) printf(" isa     tuned runs  median_ms  GFLOP/s %%peak scaling");
  if (recur && run->vs_defaults) printf(" default_ms vs_def");
  if (onednn) printf(" | oneDNN_ms  AVX2cap_ms best   ");
  if (recur && onednn) printf(" speedup");
  printf("\n");
  for (int i = 0; i < rows_per_table(run); i++) {
    const struct recur_bench_row *row = &rows[i];
    struct derived d = derive(run, first + i);
    print_shape(&row->c);
    printf(" %7d", row->threads);
    if (recur) {
      printf(" %-7s %-5s %4d", row->isa, tuned_names[row->tuned], row->recur.runs);
      print_number(10, 4, row->recur.median_ms);
      print_number(8, 1, d.gflops);
      print_number(5, 1, d.pct_peak);
      print_number(7, 2, d.scaling);
      if (run->vs_defaults) {
        print_number(10, 4, row->defaults.median_ms);
        print_number(6, 2, d.vs_defaults);
      }
    }
    if (onednn) {
      printf(" |");
      print_number(9, 3, row->onednn[RECUR_BENCH_ONEDNN_DEFAULT].median_ms);
      print_number(11, 3, row->onednn[RECUR_BENCH_ONEDNN_AVX2].median_ms);
      printf(" %-7s", d.best >= 0 ? onednn_names[d.best] : "-");
    }
    if (recur && onednn) print_number(7, 2, d.speedup);
    printf("\n");
  }
  print_unsupported(rows, rows_per_table(run));
}

/* recur against oneDNN, and each thread count against the first, over one table. */
static void print_summary(const struct recur_bench_run *run, int table) {
  char isa[2 * RECUR_BENCH_NAME_LEN];
  block_name(&run->rows[table * rows_per_table(run)], isa, sizeof isa, ' ');
  for (int k = 0; k < run->n_threads; k++) {
    struct tally t = tally(run, table, k, speedup_of);
    if (t.count)
      printf("recur %s at %d thread%s is faster than oneDNN's best on %d of %d cases; geometric "
             "mean speedup %.2f\n", isa, run->threads[k], plural(run->threads[k]), t.above_one,
             t.count, t.geomean);
  }
  for (int k = 0; run->vs_defaults && k < run->n_threads; k++) {
    struct tally t = tally(run, table, k, vs_defaults_of);
    if (t.count)
      printf("recur %s at %d thread%s with the tune file against the built-in defaults: faster "
             "on %d of %d cases; geometric mean %.3f, least %.3f\n", isa, run->threads[k],
             plural(run->threads[k]), t.above_one, t.count, t.geomean, t.least);
  }
  for (int k = 1; k < run->n_threads; k++) {
    struct tally t = tally(run, table, k, scaling_of);
    if (t.count)
      printf("recur %s at %d thread%s is faster than at %d on %d of %d cases; geometric mean "
             "scaling %.2f\n", isa, run->threads[k], plural(run->threads[k]), run->threads[0],
             t.above_one, t.count, t.geomean);
  }
}

/* Each block's time over the first block's, case by case and thread count by thread count. */
static void print_isa_ratios(const struct recur_bench_run *run) {
  const struct recur_bench_row *rows = run->rows;
  int n = rows_per_table(run);
  char first[2 * RECUR_BENCH_NAME_LEN], name[2 * RECUR_BENCH_NAME_LEN], label[5 * RECUR_BENCH_NAME_LEN];
  block_name(&rows[0], first, sizeof first, '_');
  printf("\ntime ratios between kernel tables and precisions (how many times longer than %s)\n",
         first);
  printf("cell       T    B     I     H    P threads");
  for (int t = 0; t < run->n_tables; t++) {
    block_name(&rows[t * n], name, sizeof name, '_');
    snprintf(label, sizeof label, "%s_ms", name);
    printf(" %16s", label);
  }
  for (int t = 1; t < run->n_tables; t++) {
    block_name(&rows[t * n], name, sizeof name, '_');
    snprintf(label, sizeof label, "%s/%s", name, first);
    printf(" %23s", label);
  }
  printf("\n");
  for (int i = 0; i < n; i++) {
    print_shape(&rows[i].c);
    printf(" %7d", rows[i].threads);
    for (int t = 0; t < run->n_tables; t++) print_number(16, 3, rows[t * n + i].recur.median_ms);
    for (int t = 1; t < run->n_tables; t++)
      print_number(23, 2, rows[t * n + i].recur.median_ms / rows[i].recur.median_ms);
    printf("\n");
  }
}

void recur_bench_print_table(const struct recur_bench_run *run) {
  print_header(run);
  for (int t = 0; t < run->n_tables; t++) {
    print_table_block(run, t * rows_per_table(run));
    if (run->rows[t * rows_per_table(run)].isa) print_summary(run, t);
  }
  if (run->n_tables > 1 && run->rows[0].isa) print_isa_ratios(run); /* recur was timed */
}

/* ---- CSV ------------------------------------------------------------------------------------ */

static void csv_number(double value, int decimals) {
  if (value > 0)
    printf(",%.*f", decimals, value);
  else
    printf(",");
}

void recur_bench_print_csv(const struct recur_bench_run *run) {
  printf("cell,T,B,I,H,P,directions,gflop,isa,precision,threads,runs,median_ms,min_ms,gflops,"
         "pct_peak,scaling,onednn_default_ms,onednn_default_isa,onednn_avx2_ms,onednn_avx2_isa,"
         "onednn_best,speedup,tuned,default_ms,vs_defaults,onednn_default_unsupported,"
         "onednn_avx2_unsupported,spread\n");
  for (int i = 0; i < run->n_tables * rows_per_table(run); i++) {
    const struct recur_bench_row *row = &run->rows[i];
    const struct recur_bench_shape *s = &row->c.shape;
    struct derived d = derive(run, i);
    printf("%s,%lld,%lld,%lld,%lld,%lld,%d,%.6f,%s,%s,%d,%d", recur_bench_cell_info(row->c.cell)->name,
           (long long)s->T, (long long)s->B, (long long)s->I, (long long)s->H, (long long)s->P,
           recur_bench_cell_info(row->c.cell)->directions, d.gflop, row->isa ? row->isa : "",
           recur_precision_name(row->precision), row->threads, row->recur.runs);
    csv_number(row->recur.median_ms, 4);
    csv_number(row->recur.min_ms, 4);
    csv_number(d.gflops, 2);
    csv_number(d.pct_peak, 2);
    csv_number(d.scaling, 3);
    for (int k = 0; k < RECUR_BENCH_ONEDNN_N; k++) {
      csv_number(row->onednn[k].median_ms, 4);
      printf(",%s", row->onednn[k].runs ? row->onednn_isa[k] : "");
    }
    printf(",%s", d.best >= 0 ? onednn_names[d.best] : "");
    csv_number(d.speedup, 3);
    printf(",%s", row->isa ? tuned_names[row->tuned] : "");
    csv_number(row->defaults.median_ms, 4);
    csv_number(d.vs_defaults, 3);
    for (int k = 0; k < RECUR_BENCH_ONEDNN_N; k++) printf(",%s", row->onednn_unsupported[k]);
    if (row->recur.runs) printf(",%.4f", row->recur.spread);
    else printf(",");
    printf("\n");
  }
}

/* ---- JSON ----------------------------------------------------------------------------------- */

/* A number, or null if absent. */
static json_t *json_number(double value) { return value > 0 ? json_real(value) : json_null(); }

static json_t *json_timing(const struct recur_bench_timing *t, const char *isa) {
  if (!t->runs) return json_null();
  json_t *o = json_pack("{s:i, s:f, s:f, s:f}", "runs", t->runs, "median_ms", t->median_ms,
                        "min_ms", t->min_ms, "spread", t->spread);
  if (o && isa) json_object_set_new(o, "isa", json_string(isa));
  return o;
}

static json_t *json_row(const struct recur_bench_run *run, int i) {
  const struct recur_bench_row *row = &run->rows[i];
  const struct recur_bench_shape *s = &row->c.shape;
  struct derived d = derive(run, i);
  json_t *onednn = json_object(), *unsupported = json_object();
  for (int k = 0; k < RECUR_BENCH_ONEDNN_N; k++) {
    json_object_set_new(onednn, onednn_names[k], json_timing(&row->onednn[k], row->onednn_isa[k]));
    json_object_set_new(unsupported, onednn_names[k], row->onednn_unsupported[k][0]
                        ? json_string(row->onednn_unsupported[k]) : json_null());
  }
  json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:f, s:s?, s:s, s:i, s:o, s:o, s:o, "
                   "s:o, s:o, s:o, s:o, s:s?, s:o, s:b, s:b, s:o, s:o}",
                   "cell", recur_bench_cell_info(row->c.cell)->name, "T", (json_int_t)s->T, "B",
                   (json_int_t)s->B, "I", (json_int_t)s->I, "H", (json_int_t)s->H, "P",
                   (json_int_t)s->P, "directions", recur_bench_cell_info(row->c.cell)->directions,
                   "gflop", d.gflop, "isa", row->isa, "precision",
                   recur_precision_name(row->precision), "threads", row->threads, "recur",
                   json_timing(&row->recur, NULL), "gflops", json_number(d.gflops), "pct_peak",
                   d.pct_peak >= 0 ? json_real(d.pct_peak) : json_null(), "peak_gflops",
                   json_number(row->peak_gflops), "scaling", json_number(d.scaling), "onednn",
                   onednn, "onednn_unsupported", unsupported, "onednn_best", d.best >= 0 ? onednn_names[d.best] : NULL, "speedup",
                   json_number(d.speedup), "tuned", row->tuned == RECUR_BENCH_TUNED,
                   "tuned_packing", row->tuned != RECUR_BENCH_DEFAULTS, "defaults",
                   json_timing(&row->defaults, NULL), "vs_defaults", json_number(d.vs_defaults));
  if (o) json_object_update_new(o, json_pack("{s:s?, s:s?}", "peak_table", row->peak_table,
                                             "peak_instruction", row->peak_instruction));
  return o;
}

int recur_bench_print_json(const struct recur_bench_run *run) {
  struct recur_bench_budget b = recur_bench_budget_for(run->quick, 0);
  json_t *results = json_array(), *threads = json_array();
  for (int i = 0; i < run->n_tables * rows_per_table(run); i++)
    json_array_append_new(results, json_row(run, i));
  for (int k = 0; k < run->n_threads; k++)
    json_array_append_new(threads, json_integer(run->threads[k]));
  json_t *root = json_pack(
      "{s:s, s:s, s:s, s:s, s:o, s:{s:b, s:i, s:f}, s:s?, s:o}", "recur_version",
      recur_version_string(), "cpu_model", run->cpu_model, "cpu_features", recur_cpu_features(),
      "isa_available", recur_isa_list(), "threads", threads, "timing", "quick", run->quick,
      "min_runs", b.min_runs, "min_seconds", b.min_seconds, "onednn_version", run->onednn_version,
      "results", results);
  if (!root) return 1;
  recur_cpu_id id;
  recur_cpu_identify(&id);
  json_object_set_new(root, "cpu", json_pack("{s:s, s:i, s:i, s:i, s:s, s:I, s:I, s:I}", "vendor",
                      id.vendor, "family", id.family, "model", id.model, "stepping", id.stepping,
                      "brand", run->cpu_model, "l1d", (json_int_t)id.l1d, "l2", (json_int_t)id.l2,
                      "l3", (json_int_t)id.l3));
  if (run->n_tables == 1 && run->rows[0].isa) json_object_set_new(root, "isa", json_string(run->rows[0].isa));
  json_object_set_new(root, "load", run->cpus ? json_pack("{s:f, s:i}", "average", run->load,
                                                          "cpus", run->cpus) : json_null());
  recur_tune_info tune;
  recur_tune_status(&tune);
  json_object_set_new(root, "tune", json_pack("{s:s?, s:s, s:s?, s:I, s:I}", "file", tune.path,
                      "state", tune.loaded ? "loaded" : tune.exists ? "ignored" : "none",
                      "reason", tune.reason, "entries", (json_int_t)tune.entries,
                      "applicable", (json_int_t)tune.applicable));
  int rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
  json_decref(root);
  if (rc == 0) printf("\n");
  return rc;
}
