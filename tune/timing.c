/* Median-of-runs timing with a time box, contenders in turn (recur_tool.h), for the tuner and
 * `recur bench`; and the random numbers their inputs and weights are made of. */
#include <stdlib.h>
#include <time.h>

#include "recur_tool.h"

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

/* One contender's samples so far. */
struct samples {
  double seconds[MAX_SAMPLES];
  int n;
  double total;
  int frozen; /* its warm-up was its only sample */
};

/* Runs c once and records the time; returns its status. */
static int run_once(struct recur_bench_contender *c, struct samples *s) {
  double t0 = recur_bench_now();
  c->status = c->fn(c->ctx);
  double dt = recur_bench_now() - t0;
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

static struct recur_bench_timing summarise(struct samples *s) {
  qsort(s->seconds, (size_t)s->n, sizeof s->seconds[0], compare_doubles);
  int n = s->n;
  double median = n % 2 ? s->seconds[n / 2] : 0.5 * (s->seconds[n / 2 - 1] + s->seconds[n / 2]);
  return (struct recur_bench_timing){n, 1e3 * median, 1e3 * s->seconds[0]};
}

int recur_bench_time(struct recur_bench_contender *contenders, int n,
                     const struct recur_bench_budget *budget) {
  struct samples *s = calloc((size_t)n, sizeof *s);
  if (!s) return -1;
  int failed = 0;
  for (int i = 0; i < n && !failed; i++) { /* warm-ups: kept only if too long to repeat */
    contenders[i].timing = (struct recur_bench_timing){0};
    failed = run_once(&contenders[i], &s[i]);
    s[i].frozen = s[i].total >= budget->max_seconds;
    if (!s[i].frozen) s[i] = (struct samples){.n = 0};
  }
  for (int done = 0; !done && !failed;) {
    done = 1;
    for (int i = 0; i < n && !failed; i++) {
      if (!s[i].frozen) failed = run_once(&contenders[i], &s[i]);
    }
    for (int i = 0; i < n; i++) done &= filled(&s[i], budget);
  }
  for (int i = 0; i < n && !failed; i++) contenders[i].timing = summarise(&s[i]);
  free(s);
  return failed;
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
