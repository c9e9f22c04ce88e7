/* `recur bench` in a build without oneDNN: --vs-onednn reports that it is not available. */
#include "bench_onednn.h"

#include <stdio.h>

const char *recur_bench_onednn_version(void) { return NULL; }

int recur_bench_onednn_time(const struct recur_bench_case *c, int threads,
                            const struct recur_bench_budget *budget,
                            struct recur_bench_timing *out, char isa[RECUR_BENCH_NAME_LEN],
                            char *err, size_t errlen) {
  (void)c, (void)threads, (void)budget, (void)out, (void)isa;
  snprintf(err, errlen, "this build has no oneDNN");
  return 1;
}

int recur_bench_onednn_capped(const struct recur_cli_opts *opts, struct recur_bench_row *rows,
                              int n_rows, char *err, size_t errlen) {
  (void)opts, (void)rows, (void)n_rows;
  snprintf(err, errlen, "this build has no oneDNN");
  return 1;
}
