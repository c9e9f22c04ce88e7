/* Median-of-runs timing with a time box, contenders in turn (recur_tool.h), for the tuner and
 * `recur bench`: each timing's run-to-run spread, and its runs paired round by round with the
 * first contender's, the noise a comparison must beat; and the random numbers their inputs
 * and weights are made of. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tune.h"

/* More than the fastest case needs to fill its time box. */
#define MAX_SAMPLES 4096

double recur_bench_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* One contender's samples so far, in the order of the rounds. */
struct samples {
  double seconds[MAX_SAMPLES];
  int n;
  double total;
  int frozen; /* its warm-up was its only sample */
};

/* Runs c once and records the time on the clock; returns its status. */
static int run_once(struct recur_bench_contender *c, struct samples *s,
                    const struct recur_bench_clock *clock) {
  double t0 = clock->now(clock->ctx);
  c->status = c->fn(c->ctx);
  double dt = clock->now(clock->ctx) - t0;
  if (!c->status && s->n < MAX_SAMPLES) {
    s->seconds[s->n++] = dt;
    s->total += dt;
  }
  return c->status;
}

static int filled(const struct samples *s, const struct recur_bench_budget *b) {
  return s->frozen || s->n == MAX_SAMPLES || s->total >= b->max_seconds ||
         (s->n >= b->min_runs && s->total >= b->min_seconds);
}

/* The p-quantile of sorted x[0..n), interpolated between neighbours. */
static double quantile(const double *x, int n, double p) {
  double at = p * (n - 1);
  int i = (int)at;
  return i + 1 < n ? x[i] + (at - i) * (x[i + 1] - x[i]) : x[n - 1];
}

/* x's median and half its interquartile range (it sorts x). */
static void median_and_half_iqr(double *x, int n, double *median, double *half_iqr) {
  qsort(x, (size_t)n, sizeof *x, compare_doubles);
  *median = quantile(x, n, 0.5);
  *half_iqr = 0.5 * (quantile(x, n, 0.75) - quantile(x, n, 0.25));
}

/* The timing of s, paired round by round with first's (NULL: s is the first); ratios is
 * scratch of MAX_SAMPLES. */
static struct recur_bench_timing summarise(const struct samples *s, const struct samples *first,
                                           double *ratios) {
  struct recur_bench_timing t = {.runs = s->n};
  int pairs = first ? (s->n < first->n ? s->n : first->n) : 0;
  for (int r = 0; r < pairs; r++) ratios[r] = s->seconds[r] / first->seconds[r];
  if (pairs) median_and_half_iqr(ratios, pairs, &t.ratio, &t.ratio_noise);
  memcpy(ratios, s->seconds, (size_t)s->n * sizeof *ratios);
  double median, half_iqr;
  median_and_half_iqr(ratios, s->n, &median, &half_iqr);
  t.median_ms = 1e3 * median, t.min_ms = 1e3 * ratios[0];
  t.spread = median > 0 ? 2 * half_iqr / median : 0;
  return t;
}

int recur_bench_time_on(struct recur_bench_contender *contenders, int n,
                        const struct recur_bench_budget *budget,
                        const struct recur_bench_clock *clock) {
  struct samples *s = calloc((size_t)n, sizeof *s);
  double *scratch = malloc(MAX_SAMPLES * sizeof *scratch);
  if (!s || !scratch) {
    free(s), free(scratch);
    return -1;
  }
  int failed = 0;
  for (int i = 0; i < n && !failed; i++) { /* warm-ups: kept only if too long to repeat */
    contenders[i].timing = (struct recur_bench_timing){0};
    failed = run_once(&contenders[i], &s[i], clock);
    s[i].frozen = s[i].total >= budget->max_seconds;
    if (!s[i].frozen) s[i] = (struct samples){.n = 0};
  }
  for (int done = 0; !done && !failed;) {
    done = 1;
    for (int i = 0; i < n && !failed; i++) {
      if (!s[i].frozen) failed = run_once(&contenders[i], &s[i], clock);
    }
    for (int i = 0; i < n; i++) done &= filled(&s[i], budget);
  }
  for (int i = 0; i < n && !failed; i++)
    contenders[i].timing = summarise(&s[i], i ? &s[0] : NULL, scratch);
  free(s), free(scratch);
  return failed;
}

double recur_bench_monotonic(void *unused) {
  (void)unused;
  return recur_bench_now();
}

int recur_bench_time(struct recur_bench_contender *contenders, int n,
                     const struct recur_bench_budget *budget) {
  static const struct recur_bench_clock wall = {recur_bench_monotonic, NULL};
  return recur_bench_time_on(contenders, n, budget, &wall);
}

struct recur_bench_budget recur_bench_budget_for(int quick, int slow) {
  if (slow) return (struct recur_bench_budget){quick ? 1 : 3, 0, quick ? 0.2 : 2.0};
  if (quick) return (struct recur_bench_budget){3, 0.05, 0.5};
  return (struct recur_bench_budget){5, 0.3, 10.0};
}

void recur_bench_fill_random(float *p, size_t n, float scale, unsigned *state) {
  for (size_t i = 0; i < n; i++) {
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    p[i] = scale * ((float)(*state >> 8) * (2.0f / 16777216.0f) - 1.0f);
  }
}
