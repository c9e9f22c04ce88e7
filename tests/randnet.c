#include "randnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void randnet_fill(float *p, size_t n, unsigned *seed) {
  for (size_t i = 0; i < n; i++) {
    *seed = *seed * 1664525u + 1013904223u;
    p[i] = (float)((*seed >> 8) * (1.0 / 8388608.0) - 1.0);
  }
}

static void add(randnet_tensors *out, const char *kind, long layer, int rev, int ndim, long r,
                long c, float scale, unsigned *seed) {
  size_t i = out->n++;
  snprintf(out->names[i], sizeof out->names[i], "%s_l%ld%s", kind, layer, rev ? "_reverse" : "");
  size_t count = (size_t)r * (size_t)(ndim == 2 ? c : 1);
  out->data[i] = malloc(count * sizeof(float));
  randnet_fill(out->data[i], count, seed);
  for (size_t k = 0; k < count; k++) out->data[i][k] *= scale;
  out->t[i] = (recur_tensor){out->names[i], out->data[i], ndim, {r, ndim == 2 ? c : 0}};
}

void randnet_make(const recur_desc *d, unsigned seed, randnet_tensors *out) {
  long G = d->cell == RECUR_CELL_LSTM ? 4 : d->cell == RECUR_CELL_GRU ? 3 : 1;
  long H = (long)d->hidden_size, P = (long)d->proj_size, Hout = P ? P : H, D = d->bidirectional ? 2 : 1;
  size_t max = (size_t)(d->num_layers * D * 5);
  float scale = 1.0f / sqrtf((float)H); /* PyTorch's default init: U(-1/sqrt(H), 1/sqrt(H)) */
  out->n = 0;
  out->t = calloc(max, sizeof *out->t);
  out->names = calloc(max, sizeof *out->names);
  out->data = calloc(max, sizeof *out->data);
  for (long l = 0; l < d->num_layers; l++)
    for (int rev = 0; rev < D; rev++) {
      long in = l == 0 ? (long)d->input_size : D * Hout;
      add(out, "weight_ih", l, rev, 2, G * H, in, scale, &seed);
      add(out, "weight_hh", l, rev, 2, G * H, Hout, scale, &seed);
      if (d->bias) {
        add(out, "bias_ih", l, rev, 1, G * H, 0, scale, &seed);
        add(out, "bias_hh", l, rev, 1, G * H, 0, scale, &seed);
      }
      if (P) add(out, "weight_hr", l, rev, 2, P, H, scale, &seed);
    }
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
