/* Random networks for timing: only the shapes matter to the speed, so any model's shape can be
 * tuned (and benchmarked) without its weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tune.h"

recur_status recur_tune_random_net(const recur_desc *d, const recur_kernels *k,
                                   const recur_tiling *t, recur_net **out) {
  static const char *const kinds[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"};
  int64_t dirs = d->bidirectional ? 2 : 1, gh = recur_cell_gates(d->cell) * d->hidden_size;
  int64_t h_out = d->proj_size ? d->proj_size : d->hidden_size;
  if (d->num_layers < 1 || d->num_layers > 64 || d->hidden_size < 1)
    return recur_net_create_for(out, d, NULL, 0, k, t); /* let the checks explain */
  size_t n_max = (size_t)(d->num_layers * dirs * 5), n = 0;
  recur_tensor *tensors = calloc(n_max, sizeof *tensors);
  char (*names)[40] = calloc(n_max, sizeof *names);
  float **data = calloc(n_max, sizeof *data);
  recur_status st = tensors && names && data ? RECUR_OK : RECUR_ERR_OUT_OF_MEMORY;
  unsigned state = 12345;
  float scale = 1.0f / sqrtf((float)d->hidden_size);
  for (int64_t l = 0; l < d->num_layers && !st; l++)
    for (int64_t dir = 0; dir < dirs && !st; dir++)
      for (int kind = 0; kind < 5 && !st; kind++) {
        if ((kind == 2 || kind == 3) && !d->bias) continue;
        if (kind == 4 && !d->proj_size) continue;
        int64_t in = l ? dirs * h_out : d->input_size;
        int64_t rows = kind == 4 ? d->proj_size : gh;
        int64_t cols = kind == 0 ? in : kind == 1 ? h_out : kind == 4 ? d->hidden_size : 0;
        size_t count = (size_t)rows * (size_t)(cols ? cols : 1);
        snprintf(names[n], sizeof names[n], "%s_l%lld%s", kinds[kind], (long long)l, dir ? "_reverse" : "");
        if (!(data[n] = malloc(count * sizeof(float)))) { st = RECUR_ERR_OUT_OF_MEMORY; break; }
        recur_bench_fill_random(data[n], count, scale, &state);
        tensors[n] = (recur_tensor){names[n], data[n], cols ? 2 : 1, {rows, cols}};
        n++;
      }
  if (!st) st = recur_net_create_for(out, d, tensors, n, k, t);
  for (size_t i = 0; data && i < n_max; i++) free(data[i]);
  free(data), free(names), free(tensors);
  return st;
}
