/* Random networks for timing: only the shapes matter to the speed, so any model's shape can be
 * tuned (and benchmarked) without its weights. */
#include <math.h>
#include <stdlib.h>

#include "tune.h"

recur_status recur_tune_random_net(const recur_desc *d, const recur_kernels *k,
                                   const recur_packing *p, const recur_net_options *options,
                                   recur_net **out) {
  if (!recur_cell_get(d->cell) || d->num_layers < 1 || d->num_layers > 64 || d->hidden_size < 1)
    return recur_net_create_for(out, d, NULL, 0, options, k, p); /* let the checks explain */
  size_t n = recur_desc_tensors(d, NULL);
  recur_tensor_spec *specs = calloc(n, sizeof *specs);
  recur_tensor *tensors = calloc(n, sizeof *tensors);
  float **data = calloc(n, sizeof *data);
  recur_status st = specs && tensors && data ? RECUR_OK : RECUR_ERR_OUT_OF_MEMORY;
  unsigned state = 12345;
  float scale = 1.0f / sqrtf((float)d->hidden_size);
  if (!st) recur_desc_tensors(d, specs);
  for (size_t i = 0; i < n && !st; i++) {
    const recur_tensor_spec *s = &specs[i];
    size_t count = (size_t)s->shape[0] * (size_t)(s->ndim == 2 ? s->shape[1] : 1);
    if (!(data[i] = malloc(count * sizeof(float)))) { st = RECUR_ERR_OUT_OF_MEMORY; break; }
    recur_bench_fill_random(data[i], count, scale, &state);
    tensors[i] = (recur_tensor){s->name, data[i], s->ndim, {s->shape[0], s->shape[1]}};
  }
  if (!st) st = recur_net_create_for(out, d, tensors, n, options, k, p);
  for (size_t i = 0; data && i < n; i++) free(data[i]);
  free(data), free(tensors), free(specs);
  return st;
}
