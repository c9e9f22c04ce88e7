/* Timing for `recur bench`: warm up, repeat until a time box is filled, take the median. Two or
 * more contenders (recur and oneDNN on one case, at each thread count) run in turn, so that a
 * busy stretch of a shared machine slows them alike. */
#ifndef RECUR_BENCH_TIME_H
#define RECUR_BENCH_TIME_H

/* How long to measure one contender. After one warm-up run, it runs until it has min_runs runs
 * and min_seconds of run time, or max_seconds of run time; a warm-up run longer than
 * max_seconds is its only sample (warming up matters little for runs that long). */
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

struct recur_bench_contender {
  recur_bench_fn fn;
  void *ctx;
  struct recur_bench_timing timing; /* the result */
  int status;                       /* fn's nonzero result, if it failed */
};

/* recur, recur with its built-in defaults and oneDNN at up to RECUR_BENCH_MAX_THREAD_COUNTS
 * thread counts each. */
#define RECUR_BENCH_MAX_CONTENDERS 24

/* Times n contenders (at most RECUR_BENCH_MAX_CONTENDERS), one run of each in turn, until every
 * one has filled its budget. Returns 0, or nonzero if a run failed (see the statuses). */
int recur_bench_time(struct recur_bench_contender *contenders, int n,
                     const struct recur_bench_budget *budget);

/* Monotonic seconds. */
double recur_bench_now(void);

/* The budget for a run: normal (>= 5 runs and >= 0.3 s), quick, or capped for a slow ISA. */
struct recur_bench_budget recur_bench_budget_for(int quick, int slow);

#endif
