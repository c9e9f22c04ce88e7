/* How threads split a forward call: see schedule.c. */
#ifndef RECUR_SCHEDULE_H
#define RECUR_SCHEDULE_H

#include <stdint.h>

#include "net.h"
#include "tunefile.h"

/* The most threads a call's team has: max(RECUR_TEAM_MIN_CAP, the CPUs this process may run
 * on). Past the cores, a barrier-per-step schedule only slows down, and asking OpenMP for
 * thousands of threads can fail where libgomp then ends the process. */
#define RECUR_TEAM_MIN_CAP 64

/* How one call runs: who does what, and the call's tile sizes. Within group g, the threads form
 * a grid of bparts[g] batch parts x hparts[g] hidden parts: a batch part's rows are independent
 * of every other part's, and its hparts threads split the hidden tiles, meeting at a barrier
 * each step. */
typedef struct recur_schedule {
  int threads;          /* the team */
  int groups;           /* 2: one group per direction, running concurrently; else 1 */
  int group_threads[2]; /* bparts[g] * hparts[g] */
  int bparts[2], hparts[2];
  recur_split split;    /* the tune entry's, else RECUR_SPLIT_HIDDEN when hparts[0] > 1 */
  int mr;               /* rows per micro-tile (0: as many as the registers hold) */
  int64_t chunk_rows;   /* T*B rows per input-projection chunk */
  int64_t mc;           /* rows per block of a chunk's GEMM (0: the whole chunk) */
} recur_schedule;

/* A thread's static share, the same at every step and layer. */
typedef struct recur_share {
  int group;               /* its group (= its direction when groups == 2) */
  int barrier;             /* index of its batch part's barrier, over all groups */
  int hparts;              /* threads meeting at that barrier */
  int barrier_rank;        /* its rank among them */
  int64_t b0, b1;          /* batch rows */
  int64_t j0, j1;          /* hidden tiles */
  int64_t p0, p1;          /* projection tiles */
} recur_share;

/* The tune entry for a call of net with B rows asking for threads, or NULL. */
const recur_tune_entry *recur_schedule_entry(const recur_net *net, int64_t B, int threads);

/* The schedule of such a call: tuned's choices where it has them (NULL: none), the built-in
 * heuristic for the rest. */
recur_schedule recur_schedule_choose(const recur_net *net, int64_t B, int threads,
                                     const recur_tune_params *tuned);
recur_share recur_schedule_share(const recur_schedule *s, const recur_net *net, int64_t B, int tid);

#endif
