/* Packing a network's weights for its kernel table: the tiling, then every layer's panels. */
#include <stdlib.h>

#include "cpu.h"
#include "kernels.h"
#include "net.h"
#include "pack.h"

/* The finest hidden split is a tile per thread: tiles of at most this many units let H/64
 * threads share a layer's recurrence. */
#define NR_MAX 64
#define L1D_DEFAULT ((int64_t)32 << 10) /* when the OS does not say */
#define CHAINS_MIN 4

/* The table's default nv, halved while half a tile still covers all n units, or while a tile
 * is wider than NR_MAX. */
static int fit_nv(int nv, int vec, int64_t n) {
  while (nv > 1 && ((int64_t)(nv / 2) * vec >= n || nv * vec > NR_MAX)) nv /= 2;
  return nv;
}

/* nv, halved where the table asks (l1_panels) and a W_hh panel overflows the L1d but half of
 * one fits: each row tile of a step then rereads its panel from L1, not L2, and the narrower
 * tile holds more rows. Only while a row keeps CHAINS_MIN accumulators: with fewer, a B = 1
 * step waits on the dot instruction's latency. Where even half overflows, the wider tile's
 * fewer passes win. */
static int fit_l1(const recur_net *net, int nv) {
  const recur_kernels *k = net->kernels;
  int64_t l1 = recur_cpu_this()->l1d > 0 ? recur_cpu_this()->l1d : L1D_DEFAULT;
  int64_t panel = net->gates * nv * k->vec * net->out * (int64_t)k->format->bytes;
  int halve = k->l1_panels && panel > l1 && panel / 2 <= l1 && net->gates * (nv / 2) >= CHAINS_MIN;
  return halve ? nv / 2 : nv;
}

static recur_status choose_tiling(recur_net *net, const recur_packing *given) {
  const recur_kernels *k = net->kernels;
  recur_tiling *t = &net->tiling;
  recur_packing *p = &t->pack;
  int epi = net->cell->epi;
  int64_t P = net->desc.proj_size;
  if (given) *p = *given;
  else *p = (recur_packing){.nv = fit_l1(net, fit_nv(k->nv[epi], k->vec, net->hidden)),
                            .nv_proj = fit_nv(k->nv_proj, k->vec, P)};
  if (!P) p->nv_proj = 0; /* as a tune entry spells it */
  if (!recur_nv_valid(p->nv, (int)net->gates) || (P && !recur_nv_valid(p->nv_proj, 1)))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "tiling: nv %d, nv_proj %d", p->nv, p->nv_proj);
  t->nr = (int64_t)p->nv * k->vec;
  t->tiles = (net->hidden + t->nr - 1) / t->nr;
  t->nr_proj = (int64_t)p->nv_proj * k->vec;
  t->tiles_proj = P ? (P + t->nr_proj - 1) / t->nr_proj : 0;
  int64_t panel_row = net->gates * t->nr * (int64_t)k->format->bytes;
  if (!p->kc) p->kc = k->kc_bytes / panel_row > 8 ? k->kc_bytes / panel_row : 8;
  if (!p->kc_input) p->kc_input = p->kc;
  /* A K block may not split a panel row (pack.h): blocks are whole rows of k_pack. */
  p->kc = recur_padded_k(k->format, p->kc);
  p->kc_input = recur_padded_k(k->format, p->kc_input);
  return RECUR_OK;
}

/* Bytes of one array in the packed block, rounded so that every array starts 64-byte aligned. */
static size_t aligned_bytes(size_t n, size_t size) { return (n * size + 63) / 64 * 64; }

/* The bytes of one layer's arrays, in block order: W_ih, W_hh, b_x, b_hn, W_hr. */
static void layer_bytes(const recur_net *net, const recur_layer *ly, size_t bytes[5]) {
  const recur_tiling *t = &net->tiling;
  const recur_precision_desc *f = net->kernels->format;
  int64_t G = net->gates, H = net->hidden, P = net->desc.proj_size;
  bytes[0] = aligned_bytes(recur_panel_bytes(f, G, H, ly->in_size, t->nr), 1);
  bytes[1] = aligned_bytes(recur_panel_bytes(f, G, H, net->out, t->nr), 1);
  bytes[2] = aligned_bytes(recur_panel_weights(G, H, 1, t->nr), sizeof(float));
  bytes[3] = aligned_bytes(recur_panel_weights(1, H, 1, t->nr), sizeof(float));
  bytes[4] = P ? aligned_bytes(recur_panel_bytes(f, 1, P, H, t->nr_proj), 1) : 0;
}

recur_status recur_net_pack(recur_net *net, const recur_packing *given) {
  recur_status st = choose_tiling(net, given);
  if (st) return st;
  const recur_tiling *t = &net->tiling;
  const recur_precision_desc *f = net->kernels->format;
  int64_t G = net->gates, H = net->hidden, P = net->desc.proj_size, units = net->dirs * net->desc.num_layers;
  size_t total = 0, bytes[5];
  for (int64_t u = 0; u < units; u++) {
    layer_bytes(net, &net->layers[u], bytes);
    for (int i = 0; i < 5; i++)
      if (!recur_add_size(total, bytes[i], &total) || total > SIZE_MAX / 2)
        return recur_fail(RECUR_ERR_INVALID_SIZE, "the packed weights would exceed the address space");
  }
  if ((st = recur_check_memory("recur_net_create: the packed weights", total))) return st;
  char *block = aligned_alloc(64, total), *p = block;
  if (!block)
    return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur_net_create: no memory for %zu bytes of packed weights", total);
  for (int64_t u = 0; u < units; u++) {
    recur_layer *ly = &net->layers[u];
    layer_bytes(net, ly, bytes);
    f->pack(p, ly->w_ih, ly->s_ih, G, H, ly->in_size, t->nr);
    ly->w_ih = p; p += bytes[0];
    f->pack(p, ly->w_hh, ly->s_hh, G, H, net->out, t->nr);
    ly->w_hh = p; p += bytes[1];
    recur_pack_gates((float *)p, ly->b_x, G, H, t->nr);
    ly->b_x = (float *)p; p += bytes[2];
    recur_pack_gates((float *)p, ly->b_hn, 1, H, t->nr);
    ly->b_hn = (float *)p; p += bytes[3];
    if (P) {
      f->pack(p, ly->w_hr, ly->s_hr, 1, P, H, t->nr_proj);
      ly->w_hr = p; p += bytes[4];
    }
    ly->s_ih = ly->s_hh = ly->s_hr = NULL; /* in the panels now; the block below is freed */
  }
  free(net->weights);
  net->weights = block;
  return RECUR_OK;
}
