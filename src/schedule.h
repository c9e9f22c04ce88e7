/* How threads split a forward call: see schedule.c. */
#ifndef RECUR_SCHEDULE_H
#define RECUR_SCHEDULE_H

#include <stdint.h>

#include "net.h"

typedef enum { RECUR_SPLIT_BATCH, RECUR_SPLIT_HIDDEN } recur_split;

typedef struct recur_schedule {
  int threads;          /* the team */
  int groups;           /* 2: one group per direction, running concurrently; else 1 */
  int group_threads[2];
  recur_split split;    /* within a group */
} recur_schedule;

/* A thread's static share, the same at every step and layer. */
typedef struct recur_share {
  int group, rank, size;   /* its group (= its direction when groups == 2), rank in it */
  int64_t b0, b1;          /* batch rows */
  int64_t j0, j1;          /* hidden tiles */
  int64_t p0, p1;          /* projection tiles */
} recur_share;

recur_schedule recur_schedule_choose(const recur_net *net, int64_t B, int threads);
recur_share recur_schedule_share(const recur_schedule *s, const recur_net *net, int64_t B, int tid);

#endif
