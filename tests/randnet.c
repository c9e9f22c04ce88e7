#include "randnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"

void randnet_fill(float *p, size_t n, unsigned *seed) {
  for (size_t i = 0; i < n; i++) {
    *seed = *seed * 1664525u + 1013904223u;
    p[i] = (float)((*seed >> 8) * (1.0 / 8388608.0) - 1.0);
  }
}

void randnet_make(const recur_desc *d, unsigned seed, randnet_tensors *out) {
  size_t n = recur_desc_tensors(d, NULL);
  recur_tensor_spec *specs = calloc(n, sizeof *specs);
  recur_desc_tensors(d, specs);
  float scale = 1.0f / sqrtf((float)d->hidden_size); /* PyTorch's default init: U(-1/sqrt(H), 1/sqrt(H)) */
  out->n = n;
  out->t = calloc(n, sizeof *out->t);
  out->names = calloc(n, sizeof *out->names);
  out->data = calloc(n, sizeof *out->data);
  for (size_t i = 0; i < n; i++) {
    const recur_tensor_spec *s = &specs[i];
    size_t count = (size_t)s->shape[0] * (size_t)(s->ndim == 2 ? s->shape[1] : 1);
    snprintf(out->names[i], sizeof out->names[i], "%s", s->name);
    out->data[i] = malloc(count * sizeof(float));
    randnet_fill(out->data[i], count, &seed);
    for (size_t k = 0; k < count; k++) out->data[i][k] *= scale;
    out->t[i] = (recur_tensor){out->names[i], out->data[i], s->ndim, {s->shape[0], s->shape[1]}};
  }
  free(specs);
}

void randnet_free(randnet_tensors *t) {
  for (size_t i = 0; i < t->n; i++) free(t->data[i]);
  free(t->t);
  free(t->names);
  free(t->data);
  memset(t, 0, sizeof *t);
}

int randnet_find(const randnet_tensors *t, const char *name) {
  for (size_t i = 0; i < t->n; i++)
    if (strcmp(t->names[i], name) == 0) return (int)i;
  return -1;
}
