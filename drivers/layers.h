/* Running a network's layers on a carved workspace with given initial and final states: the
 * one body behind recur_forward (forward.c) and a stream's steps (stream.c). */
#ifndef RECUR_LAYERS_H
#define RECUR_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "barrier.h"
#include "direction.h"
#include "schedule.h"

/* What stays fixed from run to run: the sizes, the schedule and the workspace's pieces. */
typedef struct recur_layers_plan {
  const recur_net *net;
  recur_call_sizes z;              /* z.T: the most steps one run may have */
  recur_schedule sched;
  const recur_call_choices *tuned; /* what sched was chosen from (NULL: the heuristic) */
  recur_packed_layout packed;      /* the packed driver's buffers (packed tables only) */
  float *bufs;                     /* inner layers' outputs, ping-pong, buf_floats each */
  size_t buf_floats;
  float *shared[2];                /* per direction, shared_floats each */
  size_t shared_floats;
  float *scratch;                  /* per thread, scratch_floats each */
  size_t scratch_floats;
  /* the team's, in the workspace, set when it is carved (a run that re-plans for a smaller team
   * sets them for its team, then back) */
  recur_barrier *barriers;         /* per batch part of each group (recur_share.barrier) */
  recur_barrier_line *barrier_lines;
  recur_share *shares;             /* per thread: recur_schedule_share */
} recur_layers_plan;

/* One run's buffers: x (T, B, I) and y (T, B, D*H_out), time-first or batch-first; lengths,
 * h0, c0 (inputs) and h_n, c_n (outputs) as recur_forward_args, each may be NULL. h_n may be
 * h0 and c_n c0 (each layer reads its slot before writing it). */
typedef struct recur_layers_io {
  int64_t T; /* 1..plan's z.T */
  int batch_first;
  const float *x;
  const int64_t *lengths;
  const float *h0, *c0;
  float *y, *h_n, *c_n;
  int walk_back; /* the weights in reverse (recurrence.c); taken where T = 1 and the plan alternates */
} recur_layers_io;

/* A call's thread count: requested, else recur_set_num_threads's, else OpenMP's, at most
 * RECUR_MAX_THREADS; 1 inside a parallel region unless the caller enabled nesting. */
int recur_call_threads(int requested);

/* The sizes of a call of net with T steps of B rows; 0 when they overflow the address space. */
int recur_call_sizes_init(const recur_net *net, int64_t T, int64_t B, recur_call_sizes *z);

/* Makes *p the plan for calls of sizes z (z->T: the most steps a run may have) on `threads`
 * threads, from the given per-call choices (NULL: the built-in heuristic), whose one-step runs
 * may alternate: 1 yes, 0 no, -1 where recur_schedule_alternates says so (a stream's). Returns
 * the floats of workspace it needs (0 when that overflows the address space). Carve the
 * workspace before the first run. */
size_t recur_layers_plan_init(recur_layers_plan *p, const recur_net *net, const recur_call_sizes *z,
                              int threads, const recur_call_choices *tuned, int alternate);
/* Points the plan's pieces into work (64-byte aligned, the floats recur_layers_plan_init gave)
 * and sets
 * its team's barriers and shares there. */
void recur_layers_carve(recur_layers_plan *p, float *work);
/* Starts the plan's team once, without work: libgomp allocates its threads and team at the
 * first parallel region of a team size (and again whenever the size changes), so that a stream
 * warmed at creation allocates nothing at its first step. */
void recur_layers_warm(const recur_layers_plan *p);

/* Runs every layer: the team, one barrier per layer between them. Allocates nothing (libgomp
 * reuses its last team when the thread count repeats: docs/streaming.md). Runs on one plan
 * (one workspace) may not overlap: they share its barriers. */
void recur_layers_run(const recur_layers_plan *p, const recur_layers_io *io);

#endif
