/* struct recur_kernels: the one table type every instruction set fills. */
#ifndef RECUR_KERNELS_H
#define RECUR_KERNELS_H

#include <stddef.h>

#include "net.h"

typedef struct recur_kernels {
  const char *name;
  /* Doubles of scratch that step needs. */
  size_t (*step_scratch)(const recur_net *net);
  /* One time step of one layer and direction for one batch row: reads the layer input x
   * (ly->in_size) and the previous state, writes the new h (H_out) and, for an LSTM, c (H)
   * in place. */
  void (*step)(const recur_net *net, const recur_layer *ly, const float *x, float *h, float *c,
               double *scratch);
} recur_kernels;

extern const recur_kernels recur_kernels_ref;

/* The table in use (recur_isa_force chooses it). */
const recur_kernels *recur_kernels_active(void);

#endif
