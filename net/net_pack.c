/* Packing a network's weights for its kernel table: the tiling, then every layer's panels. */
#include <stdlib.h>

#include "kernels.h"
#include "net.h"
#include "pack.h"

/* The finest hidden split is a tile per thread: tiles of at most this many units let H/64
 * threads share a layer's recurrence. */
#define NR_MAX 64

/* The table's default nv, halved while half a tile still covers all n units, or while a tile
 * is wider than NR_MAX. */
static int fit_nv(int nv, int vec, int64_t n) {
  while (nv > 1 && ((int64_t)(nv / 2) * vec >= n || nv * vec > NR_MAX)) nv /= 2;
  return nv;
}

static recur_status choose_tiling(recur_net *net, const recur_packing *given) {
  const recur_kernels *k = net->kernels;
  recur_tiling *t = &net->tiling;
  recur_packing *p = &t->pack;
  int epi = net->cell->epi;
  int64_t P = net->desc.proj_size;
  if (given) *p = *given;
  else *p = (recur_packing){.nv = fit_nv(k->nv[epi], k->vec, net->hidden),
                            .nv_proj = fit_nv(k->nv_proj, k->vec, P)};
  if (!P) p->nv_proj = 0; /* as a tune entry spells it */
  if (!recur_nv_valid(p->nv, (int)net->gates) || (P && !recur_nv_valid(p->nv_proj, 1)))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "tiling: nv %d, nv_proj %d", p->nv, p->nv_proj);
  t->nr = (int64_t)p->nv * k->vec;
  t->tiles = (net->hidden + t->nr - 1) / t->nr;
  t->nr_proj = (int64_t)p->nv_proj * k->vec;
  t->tiles_proj = P ? (P + t->nr_proj - 1) / t->nr_proj : 0;
  int64_t panel_row = net->gates * t->nr * (int64_t)sizeof(float);
  if (!p->kc) p->kc = k->kc_bytes / panel_row > 8 ? k->kc_bytes / panel_row : 8;
  if (!p->kc_input) p->kc_input = p->kc;
  return RECUR_OK;
}

recur_status recur_net_pack(recur_net *net, const recur_packing *given) {
  recur_status st = choose_tiling(net, given);
  if (st) return st;
  const recur_tiling *t = &net->tiling;
  int64_t G = net->gates, H = net->hidden, P = net->desc.proj_size, units = net->dirs * net->desc.num_layers;
  size_t total = 0;
  for (int64_t u = 0; u < units; u++) {
    const recur_layer *ly = &net->layers[u];
    size_t n = recur_panel_floats(G, H, ly->in_size + net->out + 1, t->nr) +
               recur_panel_floats(1, H, 1, t->nr) + (P ? recur_panel_floats(1, P, H, t->nr_proj) : 0);
    if (!recur_add_size(total, n, &total) || total > SIZE_MAX / 8)
      return recur_fail(RECUR_ERR_INVALID_SIZE, "the packed weights would exceed the address space");
  }
  if ((st = recur_check_memory("recur_net_create: the packed weights", total * sizeof(float))))
    return st;
  float *block = aligned_alloc(64, (total * sizeof(float) + 63) / 64 * 64), *p = block;
  if (!block) return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur_net_create: no memory for %zu packed weights", total);
  for (int64_t u = 0; u < units; u++) {
    recur_layer *ly = &net->layers[u];
    recur_pack_panels(p, ly->w_ih, G, H, ly->in_size, t->nr);
    ly->w_ih = p; p += recur_panel_floats(G, H, ly->in_size, t->nr);
    recur_pack_panels(p, ly->w_hh, G, H, net->out, t->nr);
    ly->w_hh = p; p += recur_panel_floats(G, H, net->out, t->nr);
    recur_pack_gates(p, ly->b_x, G, H, t->nr);
    ly->b_x = p; p += recur_panel_floats(G, H, 1, t->nr);
    recur_pack_gates(p, ly->b_hn, 1, H, t->nr);
    ly->b_hn = p; p += recur_panel_floats(1, H, 1, t->nr);
    if (P) {
      recur_pack_panels(p, ly->w_hr, 1, P, H, t->nr_proj);
      ly->w_hr = p; p += recur_panel_floats(1, P, H, t->nr_proj);
    }
  }
  free(net->weights);
  net->weights = block;
  return RECUR_OK;
}
