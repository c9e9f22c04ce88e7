/* Median-of-runs timing with a time box. */
#include "bench_time.h"

#include <stdlib.h>
#include <time.h>

/* More than the fastest case needs to fill its time box. */
#define MAX_SAMPLES 4096

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int recur_bench_time(recur_bench_fn fn, void *ctx, const struct recur_bench_budget *budget,
                     struct recur_bench_timing *out) {
  double samples[MAX_SAMPLES];
  int n = 0;
  *out = (struct recur_bench_timing){0};
  double t0 = now_seconds();
  int status = fn(ctx);
  if (status) return status;
  double warmup = now_seconds() - t0;
  if (warmup >= budget->max_seconds) {
    samples[n++] = warmup;
  } else {
    double start = now_seconds(), elapsed = 0;
    while (n < MAX_SAMPLES && elapsed < budget->max_seconds &&
           (n < budget->min_runs || elapsed < budget->min_seconds)) {
      double t = now_seconds();
      if ((status = fn(ctx))) return status;
      double end = now_seconds();
      samples[n++] = end - t;
      elapsed = end - start;
    }
  }
  qsort(samples, (size_t)n, sizeof samples[0], compare_doubles);
  double median = n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
  *out = (struct recur_bench_timing){n, 1e3 * median, 1e3 * samples[0]};
  return 0;
}

struct recur_bench_budget recur_bench_budget_for(int quick, int slow) {
  if (slow) return (struct recur_bench_budget){quick ? 1 : 3, 0, quick ? 0.2 : 2.0};
  if (quick) return (struct recur_bench_budget){3, 0.05, 0.5};
  return (struct recur_bench_budget){5, 0.3, 10.0};
}
