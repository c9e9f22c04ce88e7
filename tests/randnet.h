/* Test helper: a network with random weights for any description, built through the public
 * recur_net_create with the tensors PyTorch would have. */
#ifndef RECUR_TEST_RANDNET_H
#define RECUR_TEST_RANDNET_H

#include <stddef.h>

#include "recur.h"

typedef struct randnet_tensors {
  recur_tensor *t;
  size_t n;
  char (*names)[48];
  float **data;
} randnet_tensors;

/* Fills every tensor the description needs like PyTorch's default init: U(-1/sqrt(H), 1/sqrt(H)). */
void randnet_make(const recur_desc *d, unsigned seed, randnet_tensors *out);
void randnet_free(randnet_tensors *t);

/* Index of a tensor by name, or -1. */
int randnet_find(const randnet_tensors *t, const char *name);

/* Uniform floats in [-1, 1). */
void randnet_fill(float *p, size_t n, unsigned *seed);

#endif
