/* The machine's load, for `recur bench` and `recur tune` to warn that timings taken beside
 * other work are unreliable. */
#include <stdio.h>
#include <unistd.h>

#include "recur_tool.h"

int recur_bench_load(double *load, int *cpus) {
  FILE *f = fopen("/proc/loadavg", "r");
  int read = f && fscanf(f, "%lf", load) == 1;
  if (f) fclose(f);
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  *cpus = online > 0 ? (int)online : 0;
  return read && online > 0;
}

int recur_bench_busy(double load, int cpus, int threads) {
  return load > cpus - threads + RECUR_BENCH_LOAD_SLACK;
}
