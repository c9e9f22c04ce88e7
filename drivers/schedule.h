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

/* How one call runs: the per-call choices resolved, and who does what. Within group g, the
 * threads form a grid of batch_parts[g] x hidden_parts[g]: a batch part's rows are independent
 * of every other part's, and its hidden_parts threads split the hidden tiles, meeting at a
 * barrier each step. */
typedef struct recur_schedule {
  /* the choices, each spelled out as a tune entry records it: use_threads is the team, split
   * and groups are never 0, bparts is batch_parts[0]; mr and mc stay 0 for the built-in ones */
  recur_call_choices call;
  int group_threads[2]; /* batch_parts[g] * hidden_parts[g] */
  int batch_parts[2], hidden_parts[2];
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

/* The tune entry for a call of net with B rows asking for *threads, or NULL (the heuristic).
 * A tune entry may run a call on fewer threads than it asks for, but never on fewer than the
 * plan for *threads / 2 uses: then the call takes that plan, and *threads becomes its count. */
const recur_tune_entry *recur_schedule_entry(const recur_net *net, int64_t B, int *threads);
/* Its per-call choices, or NULL. */
const recur_call_choices *recur_schedule_tuned(const recur_net *net, int64_t B, int *threads);

/* The schedule of such a call: the given choices where they are not 0 (NULL: none), the
 * built-in heuristic for the rest. */
recur_schedule recur_schedule_choose(const recur_net *net, int64_t B, int threads,
                                     const recur_call_choices *given);
recur_share recur_schedule_share(const recur_schedule *s, const recur_net *net, int64_t B, int tid);

/* Whether a stream of B rows on schedule s alternates the order in which its one-step runs
 * read the weights (recurrence.c). */
int recur_schedule_alternates(const recur_schedule *s, const recur_net *net, int64_t B);

#endif
