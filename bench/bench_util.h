/* What the C benches share: a monotonic clock, a comparison for qsort, and a parser of
 * comma-separated integer lists (--hidden 64,256). */
#ifndef RECUR_BENCH_UTIL_H
#define RECUR_BENCH_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Up to max integers of "a,b,c" into out; returns how many. */
static inline int parse_list(const char *s, int64_t *out, int max) {
  int n = 0;
  for (char *end; *s && n < max; s = *end ? end + 1 : end) {
    out[n++] = strtoll(s, &end, 10);
    if (end == s) break;
  }
  return n;
}

#endif
