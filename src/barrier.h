/* A barrier for the threads of one direction group: a central counter and an epoch, spinning
 * briefly and then yielding, so that an oversubscribed team (more threads than cores) still
 * makes progress instead of burning the core a sleeping peer needs. */
#ifndef RECUR_BARRIER_H
#define RECUR_BARRIER_H

#include <sched.h>
#include <stdatomic.h>

typedef struct recur_barrier {
  _Atomic unsigned arrived;
  _Atomic unsigned epoch;
  unsigned n;
  char pad[64 - 3 * sizeof(unsigned)]; /* one cache line each */
} recur_barrier;

static inline void recur_barrier_init(recur_barrier *b, unsigned n) {
  atomic_init(&b->arrived, 0);
  atomic_init(&b->epoch, 0);
  b->n = n;
}

static inline void recur_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

static inline void recur_barrier_wait(recur_barrier *b) {
  if (b->n <= 1) return;
  unsigned e = atomic_load_explicit(&b->epoch, memory_order_acquire);
  if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) == b->n - 1) {
    atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
    atomic_store_explicit(&b->epoch, e + 1, memory_order_release);
    return;
  }
  for (unsigned spins = 0; atomic_load_explicit(&b->epoch, memory_order_acquire) == e; spins++) {
    if (spins < 4000) recur_cpu_relax();
    else sched_yield();
  }
}

#endif
