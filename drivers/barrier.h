/* The step barrier of the threads that split one batch part's hidden units. Each thread
 * publishes its own arrival count in a cache line of its own; then, in a small team, every
 * thread waits for every other's count (one line transfer of latency), and in a larger one
 * thread 0 gathers them and publishes a release count the others wait on (n reads by one
 * thread instead of n by each). Measured with bench/barriers on a 16-core Xeon (ns per
 * barrier, best of 5 x 20000; n = 2 / 4 / 8 / 16): one shared counter every thread
 * fetch-adds (recur's barrier before) 236 / 760 / 1355 / 2722; dissemination 257 / 463 / 666
 * / 847; gather and release 324 / 556 / 570 / 636; everyone polls everyone 201 / 498 / 830 /
 * 1331. Waiting spins briefly and then yields, so that an oversubscribed team (more threads
 * than cores) still makes progress instead of burning the core a sleeping peer needs. */
#ifndef RECUR_BARRIER_H
#define RECUR_BARRIER_H

#include <sched.h>
#include <stdatomic.h>

#define RECUR_BARRIER_POLL_ALL_MAX 4 /* up to this many threads, everyone polls everyone */

typedef struct recur_barrier_line {
  _Atomic unsigned count;
  char pad[64 - sizeof(unsigned)];
} recur_barrier_line;

typedef struct recur_barrier {
  recur_barrier_line *line; /* n arrival counts, then the release count */
  unsigned n;
} recur_barrier;

/* n threads over the n + 1 lines at line. */
static inline void recur_barrier_init(recur_barrier *b, recur_barrier_line *line, unsigned n) {
  b->line = line;
  b->n = n;
  for (unsigned i = 0; i <= n; i++) atomic_init(&line[i].count, 0);
}

static inline void recur_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

/* Waits until *c reaches want (counts only grow; compared modulo 2^32). */
static inline void recur_barrier_wait_for(_Atomic unsigned *c, unsigned want) {
  for (unsigned spins = 0; (int)(atomic_load_explicit(c, memory_order_acquire) - want) < 0; spins++) {
    if (spins < 4000) recur_cpu_relax();
    else sched_yield();
  }
}

/* Thread `rank` (0..n-1) of the barrier's n waits for the others. */
static inline void recur_barrier_wait(recur_barrier *b, unsigned rank) {
  if (b->n <= 1) return;
  recur_barrier_line *line = b->line;
  unsigned e = atomic_load_explicit(&line[rank].count, memory_order_relaxed) + 1;
  atomic_store_explicit(&line[rank].count, e, memory_order_release);
  if (b->n <= RECUR_BARRIER_POLL_ALL_MAX) {
    for (unsigned i = 0; i < b->n; i++)
      if (i != rank) recur_barrier_wait_for(&line[i].count, e);
  } else if (rank == 0) {
    for (unsigned i = 1; i < b->n; i++) recur_barrier_wait_for(&line[i].count, e);
    atomic_store_explicit(&line[b->n].count, e, memory_order_release);
  } else {
    recur_barrier_wait_for(&line[b->n].count, e);
  }
}

#endif
