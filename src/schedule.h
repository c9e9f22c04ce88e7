/* How threads split a forward call: see schedule.c. */
#ifndef RECUR_SCHEDULE_H
#define RECUR_SCHEDULE_H

#include <stdint.h>

#include "net.h"
#include "tunefile.h"

/* How one call runs: who does what, and the call's tile sizes. */
typedef struct recur_schedule {
  int threads;          /* the team */
  int groups;           /* 2: one group per direction, running concurrently; else 1 */
  int group_threads[2];
  recur_split split;    /* within a group */
  int mr;               /* rows per micro-tile (0: as many as the registers hold) */
  int64_t chunk_rows;   /* T*B rows per input-projection chunk */
  int64_t mc;           /* rows per block of a chunk's GEMM (0: the whole chunk) */
} recur_schedule;

/* A thread's static share, the same at every step and layer. */
typedef struct recur_share {
  int group, rank, size;   /* its group (= its direction when groups == 2), rank in it */
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
