/* What the forward pass's drivers share: the call's sizes, (T, B, width) views and the part of
 * one layer and direction that one thread runs. */
#ifndef RECUR_FORWARD_H
#define RECUR_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "barrier.h"
#include "net.h"
#include "schedule.h"

typedef struct call_sizes {
  int64_t T, B, L, D, I, H, Hout;
  size_t x, y, h, c; /* element counts */
} call_sizes;

/* A (T, B, width) view with element strides, time-first or batch-first. */
typedef struct seq_view {
  float *data;
  int64_t t_stride, b_stride;
} seq_view;

static inline float *seq_row(seq_view v, int64_t t, int64_t b) {
  return v.data + t * v.t_stride + b * v.b_stride;
}

/* One thread's part of one layer and direction. Step s of row b is time s forward, or
 * len_b-1-s backward; steps past a row's length are skipped and their outputs zeroed. */
typedef struct direction_args {
  const recur_net *net;
  const recur_layer *ly;
  int reverse;
  const call_sizes *z;    /* the plan's: z->T is the most steps a run may have */
  int64_t T;              /* this run's steps (1..z->T) */
  const int64_t *lengths;
  seq_view in, out;
  const float *h0, *c0;   /* the direction's initial state (B x H_out, B x H), NULL: zeros */
  float *h_n, *c_n;       /* its final state, NULL: not wanted */
  float *shared;          /* the direction's buffers, shared by its thread group */
  float *scratch;         /* this thread's own */
  recur_barrier *barrier; /* its batch part's (share.barrier_rank in it) */
  const recur_share *share;
  const recur_schedule *sched;
} direction_args;

/* Floats each driver needs: per direction (shared) and per thread. */
size_t recur_ref_shared(const recur_net *net, const call_sizes *z);
size_t recur_ref_scratch(const recur_net *net, const call_sizes *z);
size_t recur_packed_shared(const recur_net *net, const call_sizes *z, const recur_schedule *s);
size_t recur_packed_scratch(const recur_net *net, const call_sizes *z, const recur_schedule *s);

void recur_ref_direction(const direction_args *a);
void recur_packed_direction(const direction_args *a);

/* Rounds a float count up to a 64-byte multiple, so carved pieces stay aligned. */
static inline size_t recur_round_floats(size_t n) { return (n + 15) / 16 * 16; }

#endif
