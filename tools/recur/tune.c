/* `recur tune`: builds the cases (the bench shapes, or a model's), runs the search for each
 * kernel table asked for, writes the tune file and prints default vs tuned times. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "recur_tool.h"

#define DEFAULT_SECONDS 240
#define DEFAULT_SEQ 50
#define MAX_TABLES 4

typedef struct progress {
  int tty;
  int shown;         /* last percentage printed */
  const char *isa;
  double base, span; /* this table's part of the whole run */
} progress;

static void show_progress(void *ctx, double fraction, const recur_tool_tune_case *now) {
  progress *p = ctx;
  int pct = (int)(100 * (p->base + p->span * fraction));
  const recur_desc *d = &now->desc;
  if (p->tty) {
    char bar[31];
    memset(bar, '#', sizeof bar - 1), bar[sizeof bar - 1] = 0;
    memset(bar + pct * 30 / 100, '.', (size_t)(30 - pct * 30 / 100));
    fprintf(stderr, "\r[%s] %3d%% %s %s%s T=%lld B=%lld I=%lld H=%lld threads=%d   ", bar, pct,
            p->isa, d->bidirectional ? "bi" : "", recur_cell_name(d->cell), (long long)now->T,
            (long long)now->B, (long long)d->input_size, (long long)d->hidden_size, now->threads);
  } else if (pct / 10 > p->shown / 10) {
    fprintf(stderr, "recur tune: %d%%\n", pct);
  }
  p->shown = pct;
}

/* The cases: a model's shape at --batch/--seq, or the bench shapes; at every thread count, at
 * --precision. */
static int make_cases(const struct recur_cli_opts *o, recur_tool_tune_case **out, int *n) {
  int threads_default[1] = {omp_get_max_threads()};
  const int *threads = o->n_thread_counts ? o->thread_counts : threads_default;
  int n_threads = o->n_thread_counts ? o->n_thread_counts : 1;
  struct recur_bench_case bench[RECUR_BENCH_MAX_CASES];
  int n_shapes = 1;
  recur_desc model = {0};
  if (o->model_path) {
    recur_net *net;
    recur_status st = recur_net_load(&net, o->model_path, o->prefix);
    if (st) return recur_cmd_fail_status(o->model_path, st);
    recur_net_describe(net, &model);
    recur_net_free(net);
  } else {
    n_shapes = recur_bench_cases(o->cells, o->shapes, o->n_shapes, bench);
  }
  *out = calloc((size_t)(n_shapes * n_threads), sizeof **out);
  if (!*out) return recur_cmd_fail("tune", "out of memory");
  *n = 0;
  for (int s = 0; s < n_shapes; s++)
    for (int t = 0; t < n_threads; t++) {
      recur_tool_tune_case *c = &(*out)[(*n)++];
      if (o->model_path) {
        *c = (recur_tool_tune_case){model, o->seq ? o->seq : DEFAULT_SEQ, o->batch, threads[t],
                                    o->precision};
        continue;
      }
      const struct recur_bench_cell_info *info = recur_bench_cell_info(bench[s].cell);
      const struct recur_bench_shape *sh = &bench[s].shape;
      recur_desc desc = {.cell = info->cell, .input_size = sh->I, .hidden_size = sh->H,
                         .num_layers = 1, .bidirectional = info->directions == 2,
                         .proj_size = sh->P, .bias = 1};
      *c = (recur_tool_tune_case){desc, sh->T, sh->B, threads[t], o->precision};
    }
  return RECUR_EXIT_OK;
}

static void case_name(const recur_tool_tune_case *c, char *buf, size_t len) {
  const recur_desc *d = &c->desc;
  snprintf(buf, len, "%s%s", d->bidirectional ? "bi" : "", recur_cell_name(d->cell));
}

/* Why a measured case kept the defaults, or "tuned". */
static void result_text(const recur_tool_tune_result *r, char *buf, size_t len) {
  if (r->improved) snprintf(buf, len, "tuned");
  else if (!r->compared) snprintf(buf, len, "default kept (nothing faster found)");
  else if (r->gain >= RECUR_TOOL_TUNE_MIN_GAIN && r->gain <= r->noise)
    snprintf(buf, len, "default kept (best was %.1f%% faster, within the noise of %.1f%%)",
             100 * r->gain, 100 * r->noise);
  else snprintf(buf, len, "default kept (best was < %.0f%% faster)", 100 * RECUR_TOOL_TUNE_MIN_GAIN);
}

static void print_table(const char *isa, const recur_tool_tune_case *cases,
                        const recur_tool_tune_result *out, int n) {
  printf("%-7s %-9s %-8s %5s %5s %5s %5s %4s %7s %11s %9s %8s %7s  %s\n", "isa", "precision",
         "cell", "T", "B", "I", "H", "P", "threads", "default ms", "tuned ms", "speedup", "spread",
         "result");
  for (int i = 0; i < n; i++) {
    const recur_desc *d = &cases[i].desc;
    char cell[16], result[96];
    case_name(&cases[i], cell, sizeof cell);
    printf("%-7s %-9s %-8s %5lld %5lld %5lld %5lld %4lld %7d", isa,
           recur_precision_name(cases[i].precision), cell, (long long)cases[i].T,
           (long long)cases[i].B, (long long)d->input_size, (long long)d->hidden_size,
           (long long)d->proj_size, cases[i].threads);
    const recur_tool_tune_result *r = &out[i];
    result_text(r, result, sizeof result);
    if (!r->measured)
      printf(" %11s %9s %8s %7s  %s\n", "-", "-", "-", "-", "not reached (time limit)");
    else printf(" %11.3f %9.3f %7.2fx %6.1f%%  %s\n", r->default_ms, r->tuned_ms,
                r->improved ? r->default_ms / r->tuned_ms : 1.0, 100 * r->spread, result);
  }
}

/* On stderr: the cases whose times spread too much run to run to be trusted, if any. */
static void warn_noisy(const char *isa, const recur_tool_tune_case *cases,
                       const recur_tool_tune_result *out, int n) {
  int noisy = 0, measured = 0, worst = -1;
  for (int i = 0; i < n; i++) {
    if (!out[i].measured) continue;
    measured++;
    if (out[i].spread <= RECUR_BENCH_NOISY) continue;
    noisy++;
    if (worst < 0 || out[i].spread > out[worst].spread) worst = i;
  }
  if (!noisy) return;
  const recur_desc *d = &cases[worst].desc;
  char cell[16];
  case_name(&cases[worst], cell, sizeof cell);
  fprintf(stderr, "recur tune: warning: %s: the times of %d of %d cases spread more than %.0f%% "
          "run to run (the most, %.1f%%: %s T=%lld B=%lld I=%lld H=%lld threads=%d): their "
          "figures are unreliable; tune again on a quiet machine\n", isa, noisy, measured,
          100 * RECUR_BENCH_NOISY, 100 * out[worst].spread, cell, (long long)cases[worst].T,
          (long long)cases[worst].B, (long long)d->input_size, (long long)d->hidden_size,
          cases[worst].threads);
}

/* On stderr, if other work is taking the CPUs the cases' threads need. */
static void warn_busy(const char *isa, const recur_tool_tune_case *cases, int n) {
  int threads = 1, cpus;
  double load;
  for (int i = 0; i < n; i++) threads = cases[i].threads > threads ? cases[i].threads : threads;
  if (recur_bench_load(&load, &cpus) && recur_bench_busy(load, cpus, threads))
    fprintf(stderr, "recur tune: warning: %s: the machine is busy (load average %.2f on %d CPUs; "
            "this run takes %d thread%s): timings are unreliable, and what is tuned now may not "
            "hold on a quiet machine\n", isa, load, cpus, threads, threads == 1 ? "" : "s");
}

/* The tables to tune: --isa NAME, all the vector ones (--isa all), or the active one. */
static int tables(const struct recur_cli_opts *o, char names[MAX_TABLES][16], int *n) {
  char list[128], *save = NULL;
  *n = 0;
  snprintf(list, sizeof list, "%s", o->isa_all ? recur_isa_list() : o->isa ? o->isa : recur_isa_name());
  for (char *isa = strtok_r(list, " ", &save); isa && *n < MAX_TABLES; isa = strtok_r(NULL, " ", &save)) {
    if (strcmp(isa, "scalar") == 0) {
      if (!o->isa_all) return recur_cmd_fail("tune", "the scalar table has no tile sizes to tune");
      continue;
    }
    recur_status st = recur_isa_force(isa);
    if (st) return recur_cmd_fail_status("tune", st);
    snprintf(names[(*n)++], 16, "%s", isa);
  }
  return *n ? RECUR_EXIT_OK : recur_cmd_fail("tune", "no kernel table to tune");
}

int recur_cmd_tune(const struct recur_cli_opts *o) {
  char path[4096], names[MAX_TABLES][16];
  int n_tables, n_cases = 0;
  if (o->tune_path) snprintf(path, sizeof path, "%s", o->tune_path);
  else if (!recur_tool_tune_default_path(path, sizeof path))
    return recur_cmd_fail("tune", "no tune file location: give -o, RECUR_TUNE_FILE or HOME");
  recur_tool_tune_case *cases = NULL;
  int status = tables(o, names, &n_tables);
  if (status == RECUR_EXIT_OK) status = make_cases(o, &cases, &n_cases);
  recur_status writable = status ? RECUR_OK : recur_tune_check_writable(path);
  if (writable) status = recur_cmd_fail_status(path, writable);
  recur_tool_tune_result *out = status ? NULL : calloc((size_t)n_cases, sizeof *out);
  if (!status && !out) status = recur_cmd_fail("tune", "out of memory");
  double seconds = (double)(o->time_limit ? o->time_limit : DEFAULT_SECONDS) / n_tables;
  for (int t = 0; t < n_tables && !status; t++) {
    progress p = {isatty(STDERR_FILENO), -1, names[t], (double)t / n_tables, 1.0 / n_tables};
    recur_tool_tune_opts opts = {seconds, show_progress, &p};
    recur_isa_force(names[t]);
    warn_busy(names[t], cases, n_cases);
    char why[256];
    recur_status st = recur_tool_tune(path, cases, n_cases, &opts, out, why, sizeof why);
    if (p.tty) fprintf(stderr, "\n");
    if (st) {
      status = recur_cmd_fail_status("tune", st);
      break;
    }
    if (why[0]) fprintf(stderr, "recur tune: replaced %s (%s)\n", path, why);
    warn_noisy(names[t], cases, out, n_cases);
    print_table(names[t], cases, out, n_cases);
  }
  if (!status) printf("tune file: %s\n", path);
  free(out);
  free(cases);
  return status;
}
