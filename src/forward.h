/* What the forward pass's drivers share: the call's sizes and (T, B, width) views. */
#ifndef RECUR_FORWARD_H
#define RECUR_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

typedef struct call_sizes {
  int64_t T, B, L, D, I, H, Hout;
  size_t x, y, h, c; /* element counts */
  size_t work;       /* floats of workspace */
} call_sizes;

/* A (T, B, width) view with element strides, time-first or batch-first. */
typedef struct seq_view {
  float *data;
  int64_t t_stride, b_stride;
} seq_view;

static inline float *seq_row(seq_view v, int64_t t, int64_t b) {
  return v.data + t * v.t_stride + b * v.b_stride;
}

/* One layer and direction over the whole sequence. h (B x H_out) and c (B x H) hold the
 * initial state on entry and the final one on return. Step s of row b is time s forward, or
 * len_b-1-s backward; steps past a row's length are skipped and their outputs zeroed. */
typedef struct direction_args {
  const recur_net *net;
  const recur_layer *ly;
  int reverse;
  const call_sizes *z;
  const int64_t *lengths;
  seq_view in, out;
  float *h, *c;
  float *work; /* the driver's workspace */
} direction_args;

/* Floats of workspace each driver needs per direction. */
size_t recur_ref_workspace(const recur_net *net, const call_sizes *z);
size_t recur_packed_workspace(const recur_net *net, const call_sizes *z);

void recur_ref_direction(const direction_args *a);
void recur_packed_direction(const direction_args *a);

#endif
