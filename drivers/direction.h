/* The direction drivers' interface: what the runner of the layers (layers.c) hands the packed
 * driver (recurrence.c) and the reference driver (ref_direction.c): the call's sizes, (T, B,
 * width) views, the packed driver's buffer layout and the part of one layer and direction
 * that one thread runs. */
#ifndef RECUR_DIRECTION_H
#define RECUR_DIRECTION_H

#include <stddef.h>
#include <stdint.h>

#include "barrier.h"
#include "net.h"
#include "schedule.h"

typedef struct recur_call_sizes {
  int64_t T, B, L, D, I, H, Hout;
  size_t x, y, h, c; /* element counts */
} recur_call_sizes;

/* A (T, B, width) view with element strides, time-first or batch-first. */
typedef struct recur_seq_view {
  float *data;
  int64_t t_stride, b_stride;
} recur_seq_view;

static inline float *recur_seq_row(recur_seq_view v, int64_t t, int64_t b) {
  return v.data + t * v.t_stride + b * v.b_stride;
}

/* The packed driver's buffers in a plan (recurrence.c): sizes and strides, and where each piece
 * lies, in floats from the start of the direction's shared buffer or of a thread's scratch.
 * Fixed per plan, so that a run only adds its bases. */
typedef struct recur_packed_layout {
  int mr;                      /* rows per micro-tile; 0: as many as the registers hold */
  int64_t mc;                  /* rows per input-GEMM block; 0: all */
  int64_t G, B, steps_per_chunk, rows_max;
  int64_t gx_stride;           /* floats per gx row: tiles * G * nr */
  int64_t h_stride;            /* floats per h row: the padded H_out */
  int64_t hfull_stride;        /* floats per c (and o*tanh(c)) row: the padded H */
  size_t a_stride;             /* bytes per converted input row (formats with convert_a) */
  int alternates;              /* a stream's: one-step runs may take the weights in reverse */
  size_t gx, hbuf[2], hfull, c; /* in the shared buffer, of shared_floats */
  size_t hh;                   /* there too, if it alternates: W_hh h_{t-1} of one step */
  size_t acc, active, a_rows, a_buf, out_rows, y_rows; /* in the scratch, of scratch_floats */
  size_t shared_floats, scratch_floats;
} recur_packed_layout;

/* One thread's part of one layer and direction. Step s of row b is time s forward, or
 * len_b-1-s backward; steps past a row's length are skipped and their outputs zeroed. */
typedef struct recur_direction_args {
  const recur_net *net;
  const recur_layer *ly;
  int reverse;
  const recur_call_sizes *z; /* the plan's: z->T is the most steps a run may have */
  int64_t T;              /* this run's steps (1..z->T) */
  const int64_t *lengths;
  recur_seq_view in, out;
  const float *h0, *c0;   /* the direction's initial state (B x H_out, B x H), NULL: zeros */
  float *h_n, *c_n;       /* its final state, NULL: not wanted */
  float *shared;          /* the direction's buffers, shared by its thread group */
  float *scratch;         /* this thread's own */
  recur_barrier *barrier; /* its batch part's (share->barrier_rank in it) */
  const recur_share *share;
  const recur_packed_layout *layout; /* the plan's, for the packed driver */
  int walk_back;          /* a one-step run of a layout that alternates: the weights in reverse */
} recur_direction_args;

/* Floats the reference driver needs: per direction (shared) and per thread. */
size_t recur_ref_shared(const recur_net *net, const recur_call_sizes *z);
size_t recur_ref_scratch(const recur_net *net, const recur_call_sizes *z);
/* The packed driver's layout for calls of sizes z (z->T: the most steps) with schedule s,
 * whose one-step runs may alternate (recurrence.c) if `alternates`. */
void recur_packed_layout_init(const recur_net *net, const recur_call_sizes *z,
                              const recur_schedule *s, int alternates, recur_packed_layout *l);

void recur_ref_direction(const recur_direction_args *a);
void recur_packed_direction(const recur_direction_args *a);

/* Rounds a float count up to a 64-byte multiple, so carved pieces stay aligned. */
static inline size_t recur_round_floats(size_t n) { return (n + 15) / 16 * 16; }

#endif
