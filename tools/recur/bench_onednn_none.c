/* `recur bench` in the recur that is installed, which never links oneDNN (bench/recur_onednn
 * does): recur_bench_onednn_version() is NULL, and the command stops before calling anything
 * else here. */
#include "bench_onednn.h"

#include <stdio.h>

static const char no_onednn[] = "this recur has no oneDNN";

const char *recur_bench_onednn_version(void) { return NULL; }

struct recur_bench_onednn *recur_bench_onednn_open(const struct recur_bench_case *c,
                                                   recur_precision precision, int threads,
                                                   int states, int *unsupported, char *err,
                                                   size_t errlen) {
  (void)c, (void)precision, (void)threads, (void)states;
  *unsupported = 0;
  snprintf(err, errlen, "%s", no_onednn);
  return NULL;
}

int recur_bench_onednn_run(void *job) { return job == NULL; }

const char *recur_bench_onednn_error(struct recur_bench_onednn *job) {
  (void)job;
  return no_onednn;
}

const char *recur_bench_onednn_isa(void) { return "none"; }

void recur_bench_onednn_close(struct recur_bench_onednn *job) { (void)job; }

int recur_bench_onednn_capped(const struct recur_cli_opts *opts, struct recur_bench_run *run,
                              char *err, size_t errlen) {
  (void)opts, (void)run;
  snprintf(err, errlen, "%s", no_onednn);
  return 1;
}
