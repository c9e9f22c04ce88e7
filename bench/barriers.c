/* bench/barriers: ns per barrier episode for the step barrier's candidates, at each thread
 * count given (default 2,4,8,16), so that drivers/barrier.h keeps the fastest on the machine that
 * needs it most. Each episode is what a recur step does: every thread writes its part of a
 * shared row, waits, then reads the whole row.
 *   recur:         drivers/barrier.h, the one the library uses;
 *   central:       one counter every thread fetch-adds, one epoch every thread spins on (recur's
 *                  barrier before 2026-11);
 *   dissemination: ceil(log2 n) rounds; in round r thread i signals thread i + 2^r and waits
 *                  for thread i - 2^r; each flag a counter in its own cache line;
 *   flags:         each thread bumps its own arrival counter; thread 0 waits for all of them and
 *                  bumps one release epoch the others spin on;
 *   allflags:      each thread publishes its own epoch and waits until every other thread's
 *                  has reached it (no release phase: one cache-line transfer of latency, n reads).
 * Every spin yields the core after a while, so oversubscribed teams still make progress.
 * Usage: barriers [THREADS,...] [EPISODES] */
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "barrier.h"

#define LINE 64
#define MAX_THREADS 256
#define MAX_ROUNDS 8

typedef struct {
  _Atomic unsigned v;
  char pad[LINE - sizeof(unsigned)];
} line_counter;

static line_counter flags[MAX_THREADS][MAX_ROUNDS]; /* dissemination: [receiver][round] */
static line_counter arrive[MAX_THREADS], release;    /* flags */
static line_counter arrived, epoch;                  /* central */

static void central_wait(int n, unsigned e) {
  if (atomic_fetch_add_explicit(&arrived.v, 1, memory_order_acq_rel) == (unsigned)n - 1) {
    atomic_store_explicit(&arrived.v, 0, memory_order_relaxed);
    atomic_store_explicit(&epoch.v, e, memory_order_release);
  } else {
    recur_barrier_wait_for(&epoch.v, e);
  }
}

static void dissemination_wait(int id, int n, unsigned epoch) {
  for (int r = 0, d = 1; d < n; r++, d <<= 1) {
    atomic_fetch_add_explicit(&flags[(id + d) % n][r].v, 1, memory_order_release);
    recur_barrier_wait_for(&flags[id][r].v, epoch);
  }
}

static void flags_wait(int id, int n, unsigned epoch) {
  atomic_store_explicit(&arrive[id].v, epoch, memory_order_release);
  if (id == 0) {
    for (int i = 1; i < n; i++) recur_barrier_wait_for(&arrive[i].v, epoch);
    atomic_store_explicit(&release.v, epoch, memory_order_release);
  } else {
    recur_barrier_wait_for(&release.v, epoch);
  }
}

static void allflags_wait(int id, int n, unsigned epoch) {
  atomic_store_explicit(&arrive[id].v, epoch, memory_order_release);
  for (int i = 0; i < n; i++)
    if (i != id) recur_barrier_wait_for(&arrive[i].v, epoch);
}

enum { RECUR, CENTRAL, DISSEMINATION, FLAGS, ALLFLAGS, N_KINDS };
static const char *const kind_names[N_KINDS] = {"recur", "central", "dissemination", "flags", "allflags"};

static void wait_kind(int kind, recur_barrier *lib, int id, int n, unsigned epoch) {
  switch (kind) {
  case RECUR: recur_barrier_wait(lib, (unsigned)id); break;
  case CENTRAL: central_wait(n, epoch); break;
  case DISSEMINATION: dissemination_wait(id, n, epoch); break;
  case FLAGS: flags_wait(id, n, epoch); break;
  default: allflags_wait(id, n, epoch); break;
  }
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ns per episode of kind among n threads, over episodes; row checks that every write is seen. */
static double run(int kind, int n, int episodes, float *row, int *bad) {
  static recur_barrier_line lines[MAX_THREADS + 1];
  recur_barrier lib;
  recur_barrier_init(&lib, lines, (unsigned)n);
  memset(flags, 0, sizeof flags), memset(arrive, 0, sizeof arrive), memset(&release, 0, sizeof release);
  memset(&arrived, 0, sizeof arrived), memset(&epoch, 0, sizeof epoch);
  double t0 = 0, t1 = 0;
  *bad = 0;
#pragma omp parallel num_threads(n)
  {
    int id = omp_get_thread_num();
    if (omp_get_num_threads() == n) {
#pragma omp barrier
#pragma omp single
      t0 = now_s();
      for (int e = 1; e <= episodes; e++) {
        row[id * 16] = (float)e; /* a line of its own, as a thread's slice of h */
        wait_kind(kind, &lib, id, n, (unsigned)(2 * e - 1));
        int peer = (id + 1) % n;
        if (row[peer * 16] < (float)e) {
#pragma omp atomic write
          *bad = 1;
        }
        /* the second barrier of the step: no thread overwrites a slot a slower one still reads */
        wait_kind(kind, &lib, id, n, (unsigned)(2 * e));
      }
#pragma omp barrier
#pragma omp single
      t1 = now_s();
    }
  }
  return (t1 - t0) * 1e9 / (2.0 * episodes);
}

int main(int argc, char **argv) {
  int counts[32], n_counts = 0;
  const char *list = argc > 1 ? argv[1] : "2,4,8,16";
  for (const char *p = list; *p && n_counts < 32;) {
    int v = atoi(p);
    if (v < 2 || v > MAX_THREADS) {
      fprintf(stderr, "barriers: thread counts are 2..%d, got '%s'\n", MAX_THREADS, p);
      return 2;
    }
    counts[n_counts++] = v;
    p = strchr(p, ',');
    if (!p) break;
    p++;
  }
  int episodes = argc > 2 ? atoi(argv[2]) : 20000;
  if (episodes < 1) episodes = 20000;
  float *row = calloc(MAX_THREADS * 16, sizeof *row);
  printf("threads");
  for (int k = 0; k < N_KINDS; k++) printf(",%s_ns", kind_names[k]);
  printf("\n");
  for (int c = 0; c < n_counts; c++) {
    double best[N_KINDS];
    for (int k = 0; k < N_KINDS; k++) best[k] = 1e30;
    for (int rep = 0; rep < 5; rep++) /* alternate the kinds; keep each one's best of 5 */
      for (int k = 0; k < N_KINDS; k++) {
        int bad;
        double ns = run(k, counts[c], episodes, row, &bad);
        if (bad) {
          fprintf(stderr, "barriers: %s let a thread pass before its peer wrote\n", kind_names[k]);
          return 1;
        }
        if (ns < best[k]) best[k] = ns;
      }
    printf("%d", counts[c]);
    for (int k = 0; k < N_KINDS; k++) printf(",%.0f", best[k]);
    printf("\n");
  }
  free(row);
  return 0;
}
