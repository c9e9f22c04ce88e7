/* The time loop on packed weights (kernels/tile.h). Per layer and direction:
 *  1. the input projection of a chunk of time steps at once: gx = W_ih x + b (one GEMM over
 *     the chunk's (step, row) pairs, K-blocked so a panel block stays in L1);
 *  2. per step, the fused recurrence: for each hidden tile, W_hh h_{t-1} accumulated in
 *     registers and the cell's epilogue applied in place; hidden tiles are walked forward on
 *     even steps and backward on odd ones (snake order), so a step starts on the weights the
 *     last one touched most recently;
 *  3. LSTM with projection: h = W_hr (o * tanh(c)), the same micro-kernel with G = 1.
 * Rows past their sequence's length drop out of the active list, so a row's arithmetic never
 * depends on which other rows share its micro-tile.
 * A stream steps one frame per call, each call reading all of a layer's weights once, more
 * than the L1 (L2, L3) holds from H = 64 (256, 1024). Its layout may alternate: every other
 * one-step run then takes the weights in reverse, W_hh's tiles last to first and then W_ih's
 * (W_hh h_{t-1} parked in hh, then each tile's epilogue alone), so that a call starts on the
 * weights the last one read last, still in cache. The same sums, so the same bits. */
#include <string.h>

#include "barrier.h"
#include "direction.h"
#include "kernels.h"

typedef struct packed_ctx {
  const recur_direction_args *a;
  const recur_kernels *k;
  const recur_tiling *t;
  const recur_packed_layout *l; /* the plan's sizes, strides and pieces */
  /* shared by the direction's threads */
  float *gx, *hbuf[2], *hfull, *c, *hh;
  /* this thread's */
  float *acc;
  int64_t *active;      /* this step's rows */
  const void **a_rows;  /* the tiles' input rows: float rows, or their conversions in a_buf */
  char *a_buf;          /* formats with convert_a: rows_max converted rows of a_stride bytes */
  float **out_rows, **y_rows;
  /* its share: rows [b0, b1), hidden tiles [j0, j1), projection tiles [p0, p1), and the
   * columns of h (h0, h_n, y) and c it owns */
  int64_t b0, b1, j0, j1, p0, p1, h0col, h1col, c0col, c1col;
} packed_ctx;

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static int64_t rows_per_tile(const packed_ctx *p, int gnv) { return recur_tile_rows(p->k, p->l->mr, gnv); }

/* Row tiles as even as possible: n rows in ceil(n / mr) tiles, tile i of tile_rows(), so that
 * a batch of 16 with mr = 3 runs 3,3,3,3,2,2 and not a lone 1-row tile at the end. */
static int64_t tile_rows(int64_t n, int64_t tiles, int64_t i) { return n / tiles + (i < n % tiles); }

/* The barrier of the threads that split this batch part's hidden tiles (none when alone). */
static void meet(const packed_ctx *p) {
  recur_barrier_wait(p->a->barrier, (unsigned)p->a->share->barrier_rank);
}

static int64_t length_of(const recur_direction_args *a, int64_t b) {
  return a->lengths ? a->lengths[b] : a->T;
}

static int64_t time_of(const recur_direction_args *a, int64_t s, int64_t b) {
  return a->reverse ? length_of(a, b) - 1 - s : s;
}

/* Places a piece of `bytes` at *at floats, 64-byte aligned; returns its offset. */
static size_t place(size_t *at, size_t bytes) {
  size_t offset = *at;
  *at += recur_round_floats((bytes + sizeof(float) - 1) / sizeof(float));
  return offset;
}

void recur_packed_layout_init(const recur_net *net, const recur_call_sizes *z,
                              const recur_schedule *s, int alternates, recur_packed_layout *l) {
  const recur_tiling *t = &net->tiling;
  *l = (recur_packed_layout){.mr = s->call.mr, .mc = s->call.mc, .G = net->gates, .B = z->B,
                       .alternates = alternates};
  int64_t chunk_steps = s->call.chunk_rows / z->B;
  l->steps_per_chunk = min64(chunk_steps > 1 ? chunk_steps : 1, z->T);
  l->rows_max = l->steps_per_chunk * z->B;
  l->gx_stride = t->tiles * l->G * t->nr;
  l->hfull_stride = t->tiles * t->nr;
  l->h_stride = net->desc.proj_size ? t->tiles_proj * t->nr_proj : l->hfull_stride;
  /* the widest input row: x, h_{t-1} of a layer below (D*H_out), or o*tanh(c) (H) */
  const recur_precision_desc *f = net->kernels->format;
  int64_t k_max = net->desc.input_size > net->dirs * net->out ? net->desc.input_size : net->dirs * net->out;
  if (net->hidden > k_max) k_max = net->hidden;
  l->a_stride = f->convert_a ? recur_a_row_bytes(f, k_max) : 0;

  size_t at = 0, B = (size_t)z->B, rows = (size_t)l->rows_max, fl = sizeof(float);
  l->gx = place(&at, rows * (size_t)l->gx_stride * fl);
  l->hbuf[0] = place(&at, B * (size_t)l->h_stride * fl);
  l->hbuf[1] = place(&at, B * (size_t)l->h_stride * fl);
  l->hfull = place(&at, net->desc.proj_size ? B * (size_t)l->hfull_stride * fl : 0);
  l->c = place(&at, net->cell->has_c ? B * (size_t)l->hfull_stride * fl : 0);
  l->hh = place(&at, alternates ? B * (size_t)l->gx_stride * fl : 0);
  l->shared_floats = at;
  at = 0;
  l->acc = place(&at, B * (size_t)(l->G * t->nr) * fl);
  l->active = place(&at, B * sizeof(int64_t));
  l->a_rows = place(&at, rows * sizeof(const void *));
  l->a_buf = place(&at, rows * l->a_stride);
  l->out_rows = place(&at, rows * sizeof(float *));
  l->y_rows = place(&at, rows * sizeof(float *));
  l->scratch_floats = at;
}

/* Points the pieces at the direction's shared buffer and this thread's scratch. */
static void carve(packed_ctx *p, float *shared, float *scratch) {
  const recur_packed_layout *l = p->l;
  p->gx = shared + l->gx;
  p->hbuf[0] = shared + l->hbuf[0], p->hbuf[1] = shared + l->hbuf[1];
  p->hfull = shared + l->hfull;
  p->c = shared + l->c;
  p->hh = shared + l->hh;
  p->acc = scratch + l->acc;
  p->active = (int64_t *)(void *)(scratch + l->active);
  p->a_rows = (const void **)(void *)(scratch + l->a_rows);
  p->a_buf = (char *)(scratch + l->a_buf);
  p->out_rows = (float **)(void *)(scratch + l->out_rows);
  p->y_rows = (float **)(void *)(scratch + l->y_rows);
}

/* Bytes of one tile's panel of gnv vectors. */
static size_t panel_bytes(const packed_ctx *p, int64_t K, int gnv) {
  return recur_tile_bytes(p->k->format, K, gnv * p->k->vec);
}

/* Where the format reads converted inputs, a_rows[i] (K floats) for i < n become their
 * conversions in this thread's a_buf. */
static void convert_rows(const packed_ctx *p, int64_t n, int64_t K) {
  void (*convert)(void *, const float *, int64_t) = p->k->convert_a;
  if (!convert) return;
  for (int64_t i = 0; i < n; i++) {
    char *row = p->a_buf + (size_t)i * p->l->a_stride;
    convert(row, p->a_rows[i], K);
    p->a_rows[i] = row;
  }
}

/* out_rows[i] + tile offset = a_rows[i] x panels (+ bias), for n rows and tiles [j0, j1), last
 * to first if back; y_rows (if with_y) also get the first `units` outputs. Rows go in blocks
 * of mc (0: all): a block's rows stay in cache while every panel streams past them. */
static void gemm(const packed_ctx *p, int gnv, int64_t nr, int64_t K, int64_t kc,
                 const void *panels, const float *bias, int64_t j0, int64_t j1, int back,
                 int64_t units, int64_t n, int64_t mc, int with_y) {
  int64_t mr = rows_per_tile(p, gnv), vec = p->k->vec;
  size_t tile_bytes = panel_bytes(p, K, gnv);
  int gi = recur_gnv_index(gnv);
  if (mc <= 0 || mc > n) mc = n;
  for (int64_t b0 = 0, b1; b0 < n; b0 = b1) {
    b1 = min64(b0 + mc, n);
    for (int64_t jj = j0; jj < j1; jj++) {
      int64_t j = back ? j1 - 1 - (jj - j0) : jj;
      for (int64_t k0 = 0; k0 < K; k0 += kc)
        for (int64_t i = 0, nb = b1 - b0, nt = (nb + mr - 1) / mr, r0 = b0, m; i < nt; i++, r0 += m) {
          m = tile_rows(nb, nt, i);
          float *acc[RECUR_MR_MAX], *y[RECUR_MR_MAX];
          for (int64_t r = 0; r < m; r++) {
            acc[r] = p->out_rows[r0 + r] + j * gnv * vec;
            if (with_y) y[r] = p->y_rows[r0 + r] + j * nr;
          }
          recur_tile tile = {
            .k0 = k0, .k1 = min64(k0 + kc, K), .k = K,
            .panel = (const char *)panels + j * tile_bytes, .a = p->a_rows + r0, .acc = acc,
            .bias = bias ? bias + j * gnv * vec : NULL, .y = with_y ? y : NULL,
            .units = (int)min64(units - j * nr, nr),
          };
          p->k->gemm[m - 1][gi](&tile);
        }
    }
  }
}

/* gx for steps [s0, s1): rows (s, b) of this thread's active sequences, its hidden tiles (last
 * to first if back). */
static void project_inputs(const packed_ctx *p, int64_t s0, int64_t s1, int back) {
  const recur_direction_args *a = p->a;
  const recur_tiling *t = &a->net->tiling;
  int64_t n = 0;
  for (int64_t s = s0; s < s1; s++)
    for (int64_t b = p->b0; b < p->b1; b++) {
      if (s >= length_of(a, b)) continue;
      p->a_rows[n] = recur_seq_row(a->in, time_of(a, s, b), b);
      p->out_rows[n++] = p->gx + ((s - s0) * p->l->B + b) * p->l->gx_stride;
    }
  convert_rows(p, n, a->ly->in_size);
  gemm(p, (int)(p->l->G * t->pack.nv), t->nr, a->ly->in_size, t->pack.kc_input, a->ly->w_ih,
       a->ly->b_x, p->j0, p->j1, back, a->net->hidden, n, p->l->mc, 0);
}

/* W_hh h_{t-1} of step s's n active rows into hh, this thread's hidden tiles last to first:
 * the sums that cell_step's kernels form before their epilogue, by the same kernel body. */
static void recurrent_sums(const packed_ctx *p, int64_t s, int64_t n) {
  const recur_net *net = p->a->net;
  const recur_tiling *t = &net->tiling;
  const float *hp = p->hbuf[s & 1];
  for (int64_t i = 0; i < n; i++) {
    p->a_rows[i] = hp + p->active[i] * p->l->h_stride;
    p->out_rows[i] = p->hh + p->active[i] * p->l->gx_stride;
  }
  convert_rows(p, n, net->out);
  gemm(p, (int)(p->l->G * t->pack.nv), t->nr, net->out, t->pack.kc, p->a->ly->w_hh, NULL, p->j0,
       p->j1, 1, net->hidden, n, 0, 0);
}

/* One time step of the n active rows over this thread's hidden tiles, walked forward on even
 * steps and backward on odd ones. With sums (hh, from recurrent_sums), each tile's epilogue
 * alone: its kernel over an empty K block. */
static void cell_step(const packed_ctx *p, int64_t s, int64_t s0, int64_t n, float *sums) {
  const recur_direction_args *a = p->a;
  const recur_net *net = a->net;
  const recur_tiling *t = &net->tiling;
  int proj = net->desc.proj_size > 0, has_c = net->cell->has_c;
  int gnv = (int)(p->l->G * t->pack.nv);
  int64_t mr = rows_per_tile(p, gnv), K = net->out, vec = p->k->vec, nr = t->nr, kc = t->pack.kc;
  /* what no tile changes, out of the plan's layout (the kernels' calls would reload it) */
  int64_t h_stride = p->l->h_stride, c_stride = p->l->hfull_stride, gx_stride = p->l->gx_stride;
  int64_t gx_tile = p->l->G * nr, nt = (n + mr - 1) / mr;
  float *hp = p->hbuf[s & 1], *hn = p->hbuf[(s + 1) & 1];
  const float *gx_rows = p->gx + (s - s0) * p->l->B * gx_stride; /* this step's */
  float *h_rows = proj ? p->hfull : hn;                          /* where h (or o*tanh(c)) goes */
  int64_t h_rows_stride = proj ? c_stride : h_stride;
  recur_tile_fn const *fns = p->k->cell[net->cell->epi][recur_nv_index(t->pack.nv)];
  size_t tile_bytes = panel_bytes(p, K, gnv);
  int64_t blocks = sums ? 1 : (K + kc - 1) / kc;
  if (!sums) {
    for (int64_t i = 0; i < n; i++) p->a_rows[i] = hp + p->active[i] * h_stride;
    convert_rows(p, n, K);
  }
  for (int64_t jj = p->j0; jj < p->j1; jj++) {
    int64_t j = s & 1 ? p->j1 - 1 - (jj - p->j0) : jj, u0 = j * nr;
    for (int64_t kb = 0, k0 = sums ? K : 0; kb < blocks; kb++, k0 += kc)
      for (int64_t i = 0, r0 = 0, m; i < nt; i++, r0 += m) {
        m = tile_rows(n, nt, i);
        const float *gx[RECUR_MR_MAX], *hpr[RECUR_MR_MAX];
        float *acc[RECUR_MR_MAX], *h[RECUR_MR_MAX], *c[RECUR_MR_MAX], *y[RECUR_MR_MAX];
        for (int64_t r = 0; r < m; r++) {
          int64_t b = p->active[r0 + r];
          acc[r] = sums ? sums + b * gx_stride + j * gx_tile : p->acc + (r0 + r) * gnv * vec;
          gx[r] = gx_rows + b * gx_stride + j * gx_tile;
          h[r] = h_rows + b * h_rows_stride + u0;
          c[r] = has_c ? p->c + b * c_stride + u0 : NULL;
          hpr[r] = hp + b * h_stride + u0;
          y[r] = proj ? NULL : recur_seq_row(a->out, time_of(a, s, b), b) + u0;
        }
        recur_tile tile = {
          .k0 = k0, .k1 = min64(k0 + kc, K), .k = K,
          .panel = (const char *)a->ly->w_hh + (size_t)j * tile_bytes,
          .a = p->a_rows + r0, .acc = acc, .gx = gx, .h = h, .c = c, .hp = hpr,
          .b_hn = a->ly->b_hn + u0, .y = proj ? NULL : y,
          .units = (int)min64(net->hidden - u0, nr),
        };
        fns[m - 1](&tile);
      }
  }
  if (!proj) return;
  meet(p); /* all of o * tanh(c) is written */
  for (int64_t i = 0; i < n; i++) {
    int64_t b = p->active[i];
    p->a_rows[i] = p->hfull + b * p->l->hfull_stride;
    p->out_rows[i] = hn + b * p->l->h_stride;
    p->y_rows[i] = recur_seq_row(a->out, time_of(a, s, b), b);
  }
  convert_rows(p, n, net->hidden);
  gemm(p, t->pack.nv_proj, t->nr_proj, net->hidden, t->pack.kc, a->ly->w_hr, NULL, p->p0, p->p1,
       0, net->desc.proj_size, n, 0, 1);
}

/* Copies columns [c0, c1) of row b of n-wide rows (src NULL: zeros) into stride-wide rows,
 * zero past n. (memcpy: a stream's step loads every layer's state, so this is per call.) */
static void load_columns(float *dst, int64_t stride, const float *src, int64_t n, int64_t b,
                         int64_t c0, int64_t c1) {
  int64_t copied = src && n > c0 ? min64(n, c1) - c0 : 0;
  if (copied > 0) memcpy(dst + b * stride + c0, src + b * n + c0, (size_t)copied * sizeof(float));
  if (copied < c1 - c0)
    memset(dst + b * stride + c0 + copied, 0, (size_t)(c1 - c0 - copied) * sizeof(float));
}

static void store_columns(float *dst, int64_t n, const float *src, int64_t stride, int64_t b,
                          int64_t c0, int64_t c1) {
  if (dst && n > c0)
    memcpy(dst + b * n + c0, src + b * stride + c0, (size_t)(min64(c1, n) - c0) * sizeof(float));
}

void recur_packed_direction(const recur_direction_args *a) {
  const recur_net *net = a->net;
  const recur_tiling *t = &net->tiling;
  packed_ctx p = {.a = a, .k = net->kernels, .t = t, .l = a->layout};
  carve(&p, a->shared, a->scratch);
  const recur_call_sizes *z = a->z;
  int64_t Hout = z->Hout, H = z->H;
  int has_c = net->cell->has_c, proj = net->desc.proj_size > 0;
  p.b0 = a->share->b0, p.b1 = a->share->b1, p.j0 = a->share->j0, p.j1 = a->share->j1;
  p.p0 = a->share->p0, p.p1 = a->share->p1;
  p.c0col = p.j0 * t->nr, p.c1col = p.j1 * t->nr;
  p.h0col = proj ? p.p0 * t->nr_proj : p.c0col, p.h1col = proj ? p.p1 * t->nr_proj : p.c1col;

  for (int64_t b = p.b0; b < p.b1; b++) {
    load_columns(p.hbuf[0], p.l->h_stride, a->h0, Hout, b, p.h0col, p.h1col);
    if (has_c) load_columns(p.c, p.l->hfull_stride, a->c0, H, b, p.c0col, p.c1col);
  }
  meet(&p); /* every thread reads whole h rows */
  for (int64_t s0 = 0; s0 < a->T; s0 += p.l->steps_per_chunk) {
    int64_t s1 = min64(s0 + p.l->steps_per_chunk, a->T);
    if (!a->walk_back) project_inputs(&p, s0, s1, 0);
    for (int64_t s = s0; s < s1; s++) {
      int64_t n = 0;
      for (int64_t b = p.b0; b < p.b1; b++) {
        if (s < length_of(a, b)) p.active[n++] = b;
        else if (p.h0col < Hout)
          memset(recur_seq_row(a->out, s, b) + p.h0col, 0,
                 (size_t)(min64(p.h1col, Hout) - p.h0col) * sizeof(float));
      }
      if (a->walk_back) { /* a one-step run (T = 1): W_hh's sums, then gx */
        recurrent_sums(&p, s, n);
        project_inputs(&p, s0, s1, 1);
      }
      cell_step(&p, s, s0, n, a->walk_back ? p.hh : NULL);
      meet(&p); /* h_t is whole before step t+1 */
    }
  }
  for (int64_t b = p.b0; b < p.b1; b++) {
    store_columns(a->h_n, Hout, p.hbuf[length_of(a, b) & 1], p.l->h_stride, b, p.h0col, p.h1col);
    if (has_c) store_columns(a->c_n, H, p.c, p.l->hfull_stride, b, p.c0col, p.c1col);
  }
}
