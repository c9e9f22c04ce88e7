/* How many threads a call asks for: its own count, else the process default, else OpenMP's. */
#include <omp.h>

#include "layers.h"

static int default_threads; /* recur_set_num_threads; 0: OpenMP's default */

static int clamp_threads(int n) { return n > RECUR_MAX_THREADS ? RECUR_MAX_THREADS : n; }

void recur_set_num_threads(int n) {
  __atomic_store_n(&default_threads, n > 0 ? clamp_threads(n) : 0, __ATOMIC_RELAXED);
}

int recur_call_threads(int requested) {
  if (omp_in_parallel() && omp_get_active_level() >= omp_get_max_active_levels()) return 1;
  int n = requested ? requested : __atomic_load_n(&default_threads, __ATOMIC_RELAXED);
  return clamp_threads(n ? n : omp_get_max_threads());
}
