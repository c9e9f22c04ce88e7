/* recur_forward: argument checks, the call's plan and workspace, then the layers (layers.c). */
#include "forward.h"
#include "internal.h"
#include "kernels.h"
#include "layers.h"
#include "workspace.h"

typedef struct byte_range {
  const char *name;
  const void *p;
  size_t n;
} byte_range;

static int overlaps(const byte_range *a, const byte_range *b) {
  return recur_overlaps(a->p, a->n, b->p, b->n);
}

static recur_status check_args(const recur_net *net, const recur_forward_args *a,
                               recur_call_sizes *z) {
  if (!net || !a) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_forward: net or args is NULL");
  if (!a->x) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_forward: x is NULL");
  if (!a->y) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_forward: y is NULL");
  if ((a->batch_first != 0 && a->batch_first != 1) || (a->time_first != 0 && a->time_first != 1) ||
      (a->unbatched != 0 && a->unbatched != 1))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT,
                      "recur_forward: batch_first, time_first and unbatched are 0 or 1");
  if (a->batch_first && a->time_first)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT,
                      "recur_forward: batch_first and time_first are both 1; give one or neither");
  if (a->num_threads < 0)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: num_threads is %d", a->num_threads);
  if (a->seq_len < 1 || a->seq_len > RECUR_MAX_DIM || a->batch < 1 || a->batch > RECUR_MAX_DIM)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_forward: T=%lld, B=%lld; each must be in 1..%lld",
                      (long long)a->seq_len, (long long)a->batch, (long long)RECUR_MAX_DIM);
  if (a->unbatched && a->batch != 1)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: unbatched input needs batch = 1, not %lld",
                      (long long)a->batch);
  if (a->input_size != net->desc.input_size)
    return recur_fail(RECUR_ERR_SHAPE_MISMATCH, "recur_forward: input size %lld, the network expects %lld",
                      (long long)a->input_size, (long long)net->desc.input_size);
  if (!net->cell->has_c && (a->c0 || a->c_n))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: c0/c_n given, but a %s has no cell state",
                      net->cell->name);

  if (!recur_call_sizes_init(net, a->seq_len, a->batch, z))
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_forward: T=%lld, B=%lld overflow the address space",
                      (long long)z->T, (long long)z->B);

  if (a->lengths)
    for (int64_t b = 0; b < z->B; b++)
      if (a->lengths[b] < 1 || a->lengths[b] > z->T)
        return recur_fail(RECUR_ERR_BAD_LENGTHS, "recur_forward: lengths[%lld] = %lld, outside 1..%lld",
                          (long long)b, (long long)a->lengths[b], (long long)z->T);

  return RECUR_OK;
}

/* Outputs may not overlap anything, except that h_n may be exactly h0 and c_n exactly c0
 * (an in-place state update: each layer reads its h0 slot before writing its h_n slot). */
static recur_status check_overlaps(const recur_forward_args *a, const recur_call_sizes *z) {
  size_t f = sizeof(float);
  byte_range in[] = {{"x", a->x, z->x * f}, {"lengths", a->lengths, a->lengths ? (size_t)z->B * 8 : 0},
                     {"h0", a->h0, z->h * f}, {"c0", a->c0, z->c * f}};
  byte_range out[] = {{"y", a->y, z->y * f}, {"h_n", a->h_n, z->h * f}, {"c_n", a->c_n, z->c * f}};
  for (size_t i = 0; i < 3; i++) {
    for (size_t j = 0; j < 4; j++) {
      int in_place = (i == 1 && j == 2) || (i == 2 && j == 3);
      if (overlaps(&out[i], &in[j]) && !(in_place && out[i].p == in[j].p))
        return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: %s overlaps %s", out[i].name, in[j].name);
    }
    for (size_t j = 0; j < i; j++)
      if (overlaps(&out[i], &out[j]))
        return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: %s overlaps %s", out[i].name, out[j].name);
  }
  return RECUR_OK;
}

recur_status recur_forward(const recur_net *net, const recur_forward_args *a) {
  return recur_forward_with(net, a, NULL);
}

recur_status recur_forward_with(const recur_net *net, const recur_forward_args *a,
                                const recur_call_choices *given) {
  recur_call_sizes z;
  recur_status st = check_args(net, a, &z);
  if (st) return st;
  int threads = recur_call_threads(a->num_threads);
  const recur_call_choices *tuned = given ? given : recur_schedule_tuned(net, z.B, &threads);
  recur_layers_plan p;
  size_t floats = recur_layers_plan_init(&p, net, &z, threads, tuned, 0);
  if (!floats)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_forward: the workspace overflows the address space");
  recur_workspace own = {0}, *ws = a->workspace ? a->workspace : &own;
  const char *what = "recur_forward: the workspace"; /* its need is checked before the buffers */
  if ((st = recur_check_memory(what, floats * sizeof(float))) || (st = check_overlaps(a, &z)) ||
      (st = recur_workspace_reserve(ws, floats, what)))
    return st;
  recur_layers_carve(&p, ws->data);
  /* neither flag: the network's layout (an unbatched call's views are the same either way) */
  int batch_first = a->batch_first || (!a->time_first && net->desc.batch_first);
  recur_layers_io io = {.T = z.T, .batch_first = batch_first, .x = a->x, .lengths = a->lengths,
                        .h0 = a->h0, .c0 = a->c0, .y = a->y, .h_n = a->h_n, .c_n = a->c_n};
  recur_layers_run(&p, &io);
  recur_workspace_release(&own);
  return RECUR_OK;
}

recur_status recur_net_plan(const recur_net *net, int64_t batch, int num_threads, recur_plan *out) {
  if (!net || !out) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_plan: net or out is NULL");
  if (batch < 1 || batch > RECUR_MAX_DIM || num_threads < 0)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_net_plan: batch %lld, num_threads %d",
                      (long long)batch, num_threads);
  int threads = recur_call_threads(num_threads), packed = net->kernels != &recur_kernels_scalar;
  const recur_tune_entry *e = recur_schedule_entry(net, batch, &threads);
  recur_schedule s = recur_schedule_choose(net, batch, threads, e ? &e->p.call : NULL);
  const recur_tiling *t = &net->tiling;
  const recur_call_choices *c = &s.call;
  *out = (recur_plan){
    .isa = net->kernels->name, .tuned_tiling = net->tuned_tiling, .tuned_call = e != NULL,
    .tuned_batch = e ? e->key.B : 0, .nr = t->nr, .nr_proj = t->nr_proj, .kc = t->pack.kc,
    .kc_input = t->pack.kc_input, .chunk_rows = c->chunk_rows, .mc = c->mc,
    .threads = c->use_threads, .groups = c->groups,
    .group_threads = {s.group_threads[0], s.group_threads[1]},
    .hidden_split = c->split == RECUR_SPLIT_HIDDEN,
    .batch_parts = {s.batch_parts[0], s.batch_parts[1]},
    .hidden_parts = {s.hidden_parts[0], s.hidden_parts[1]},
    .mr = packed ? recur_tile_rows(net->kernels, c->mr, (int)(net->gates * t->pack.nv)) : 0,
  };
  return RECUR_OK;
}
