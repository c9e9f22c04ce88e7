/* `recur info [MODEL]`: what this build and this machine offer, as the library sees them, and
 * the network in MODEL with the layout its input takes. */
#include <omp.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "recur.h"
#include "recur_tool.h"

#define PEAK_SECONDS 0.2

/* One line per usable table with a vector loop (the scalar one has none) and precision: the
 * peak of the instruction that precision's dot product is made of on that table. */
static int print_peaks(void) {
  char list[128], *save = NULL;
  snprintf(list, sizeof list, "%s", recur_isa_list());
  for (char *isa = strtok_r(list, " ", &save); isa; isa = strtok_r(NULL, " ", &save)) {
    const char *precision;
    for (int p = 0; (precision = recur_precision_name((recur_precision)p)); p++) {
      const char *table, *instruction;
      double gflops;
      recur_status st = recur_tool_peak_instruction(isa, (recur_precision)p, &table, &instruction);
      if (st == RECUR_ERR_UNSUPPORTED) continue;
      if (st == RECUR_OK)
        st = recur_isa_peak_gflops_at(isa, (recur_precision)p, PEAK_SECONDS, &gflops);
      if (st != RECUR_OK) {
        fprintf(stderr, "recur: peak of %s %s: %s\n", isa, precision, recur_last_error());
        return RECUR_EXIT_FAILURE;
      }
      printf("peak %s %s: %.1f GFLOP/s (%s: %s, one core)\n", isa, precision, gflops, table,
             instruction);
    }
  }
  return RECUR_EXIT_OK;
}

/* The network in path: its description, and its input and output in the layout `recur run`
 * takes without --batch-first or --time-first. */
static int print_model(const char *path, const char *prefix) {
  recur_net *net;
  recur_desc d;
  recur_status st = recur_net_load(&net, path, prefix);
  if (st != RECUR_OK) return recur_cmd_fail_status(path, st);
  recur_net_describe(net, &d);
  recur_net_free(net);
  long long I = d.input_size, H_out = d.proj_size ? d.proj_size : d.hidden_size;
  const char *axes = d.batch_first ? "B, T" : "T, B";
  printf("model: %s\n", path);
  printf("  %s input_size=%lld hidden_size=%lld num_layers=%lld bidirectional=%d proj_size=%lld "
         "bias=%d\n", recur_cell_name(d.cell), I, (long long)d.hidden_size,
         (long long)d.num_layers, d.bidirectional, (long long)d.proj_size, d.bias);
  printf("  layout: %s: x (%s, %lld), y (%s, %lld)\n", d.batch_first ? "batch-first" : "time-first",
         axes, I, axes, (d.bidirectional ? 2 : 1) * H_out);
  return RECUR_EXIT_OK;
}

int recur_cmd_info(const struct recur_cli_opts *opts) {
  int status = RECUR_EXIT_OK;
  printf("recur %s\n", recur_version_string());
  printf("cpu features: %s\n", recur_cpu_features());
  const char *isa = recur_isa_name();
  if (strcmp(isa, "none") == 0) { /* RECUR_ISA names a table this CPU or build lacks */
    fprintf(stderr, "recur: %s\n", recur_last_error());
    status = RECUR_EXIT_FAILURE;
  }
  printf("kernels: %s (available: %s)\n", isa, recur_isa_list());
  printf("threads: %d (OpenMP's default; set OMP_NUM_THREADS or pass --threads to change)\n",
         omp_get_max_threads());
  recur_tune_info tune;
  if (recur_tune_status(&tune) != RECUR_OK) printf("tune file: unknown (%s)\n", recur_last_error());
  else if (!tune.path) printf("tune file: none (%s)\n", tune.reason);
  else if (!tune.loaded) printf("tune file: %s: not used: %s\n", tune.path, tune.reason);
  else printf("tune file: %s: %lld entr%s, %lld for %s\n", tune.path, (long long)tune.entries,
              tune.entries == 1 ? "y" : "ies", (long long)tune.applicable, isa);
  if (opts->peak && print_peaks() != RECUR_EXIT_OK) status = RECUR_EXIT_FAILURE;
  if (opts->model_path && print_model(opts->model_path, opts->prefix) != RECUR_EXIT_OK)
    status = RECUR_EXIT_FAILURE;
  return status;
}
