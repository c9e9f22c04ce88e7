/* A core's peak for a kernel table and precision: the throughput of the instruction the
 * precision's dot product is made of on that table (recur_peak_probe), which a %peak is
 * measured against. */
#include <time.h>

#include "internal.h"
#include "kernels.h"

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The table a precision runs on where name is asked for (NULL: the active one): its probe is
 * what is timed. */
static recur_status peak_table(const char *name, recur_precision precision,
                               const recur_kernels **k) {
  const recur_precision_desc *p = recur_precision_get(precision);
  if (!p)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT,
                      "precision is %d; it must be a recur_precision value", (int)precision);
  const recur_kernels *asked = NULL;
  recur_status st = recur_kernels_find(name, &asked);
  if (st) return st;
  *k = recur_kernels_for(asked, precision);
  if (!*k || !(*k)->peak.run)
    return recur_fail(RECUR_ERR_UNSUPPORTED, "the %s table has no vector loop to time in %s",
                      asked->name, p->name);
  return RECUR_OK;
}

recur_status recur_isa_peak_gflops_at(const char *name, recur_precision precision, double seconds,
                                      double *gflops) {
  if (!gflops)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_isa_peak_gflops_at: gflops is NULL");
  const recur_kernels *k = NULL;
  recur_status st = peak_table(name, precision, &k);
  if (st) return st;
  float sink[16];
  int64_t iters = 1 << 16;
  double best = 0, start = now_seconds();
  do { /* grow the run to about a millisecond, then keep the best of the rest */
    double t0 = now_seconds();
    double flops = k->peak.run(sink, iters), dt = now_seconds() - t0, rate = flops / dt;
    if (dt < 1e-3) iters *= 2;
    else if (rate > best) best = rate;
  } while (now_seconds() - start < seconds || best == 0);
  *gflops = best * 1e-9;
  return RECUR_OK;
}

recur_status recur_isa_peak_gflops(const char *name, double seconds, double *gflops) {
  return recur_isa_peak_gflops_at(name, RECUR_PRECISION_FP32, seconds, gflops);
}

recur_status recur_tool_peak_instruction(const char *name, recur_precision precision,
                                         const char **table, const char **instruction) {
  if (!table || !instruction)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_tool_peak_instruction: NULL argument");
  const recur_kernels *k = NULL;
  recur_status st = peak_table(name, precision, &k);
  *table = st ? NULL : k->name;
  *instruction = st ? NULL : k->peak.instruction;
  return st;
}
