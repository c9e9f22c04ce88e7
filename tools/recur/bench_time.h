/* Timing for `recur bench`: warm up, repeat until a time box is filled, take the median. */
#ifndef RECUR_BENCH_TIME_H
#define RECUR_BENCH_TIME_H

/* How long to measure one case. After one warm-up run, runs repeat until there are min_runs
 * and min_seconds have passed, or max_seconds have passed; a warm-up run longer than
 * max_seconds is the only sample (warming up matters little for runs that long). */
struct recur_bench_budget {
  int min_runs;
  double min_seconds;
  double max_seconds;
};

struct recur_bench_timing {
  int runs; /* 0: not measured */
  double median_ms, min_ms;
};

/* One run of the code being timed: 0 on success, else nonzero (timing stops). */
typedef int (*recur_bench_fn)(void *ctx);

/* Times fn(ctx). Returns 0, or fn's first nonzero result. */
int recur_bench_time(recur_bench_fn fn, void *ctx, const struct recur_bench_budget *budget,
                     struct recur_bench_timing *out);

/* The budget for a run: normal (>= 5 runs and >= 0.3 s), quick, or capped for a slow ISA. */
struct recur_bench_budget recur_bench_budget_for(int quick, int slow);

#endif
