/* The time loop on packed weights (kernels/tile.h). Per layer and direction:
 *  1. the input projection of a chunk of time steps at once: gx = W_ih x + b (one GEMM over
 *     the chunk's (step, row) pairs, K-blocked so a panel block stays in L1);
 *  2. per step, the fused recurrence: for each hidden tile, W_hh h_{t-1} accumulated in
 *     registers and the cell's epilogue applied in place; hidden tiles are walked forward on
 *     even steps and backward on odd ones (snake order), so a step starts on the weights the
 *     last one touched most recently;
 *  3. LSTM with projection: h = W_hr (o * tanh(c)), the same micro-kernel with G = 1.
 * Rows past their sequence's length drop out of the active list, so a row's arithmetic never
 * depends on which other rows share its micro-tile. */
#include <string.h>

#include "forward.h"
#include "kernels.h"

typedef struct packed_ctx {
  const direction_args *a;
  const recur_kernels *k;
  const recur_tiling *t;
  int64_t G, B, steps_per_chunk, rows_max;
  int64_t gx_stride;   /* floats per gx row: tiles * G * nr */
  int64_t h_stride;    /* floats per h row: the padded H_out */
  int64_t hfull_stride;/* floats per c (and o*tanh(c)) row: the padded H */
  float *gx, *hbuf[2], *hfull, *c, *acc;
  int64_t *active;     /* this step's rows */
  const float **a_rows;
  float **out_rows, **y_rows;
} packed_ctx;

static int64_t rows_per_tile(const packed_ctx *p, int gnv) {
  if (p->t->mr) return p->t->mr;
  int64_t mr = (p->k->regs - 1) / (gnv + 1);
  return mr < 1 ? 1 : mr > RECUR_MR_MAX ? RECUR_MR_MAX : mr;
}

static int64_t length_of(const direction_args *a, int64_t b) {
  return a->lengths ? a->lengths[b] : a->z->T;
}

static int64_t time_of(const direction_args *a, int64_t s, int64_t b) {
  return a->reverse ? length_of(a, b) - 1 - s : s;
}

/* Carves the workspace; returns its size in floats (work may be NULL to just measure). */
static size_t layout(packed_ctx *p, const recur_net *net, const call_sizes *z, float *work) {
  const recur_tiling *t = &net->tiling;
  p->G = net->gates;
  p->B = z->B;
  p->steps_per_chunk = t->chunk_rows / z->B > 1 ? t->chunk_rows / z->B : 1;
  if (p->steps_per_chunk > z->T) p->steps_per_chunk = z->T;
  p->rows_max = p->steps_per_chunk * z->B;
  p->gx_stride = t->tiles * p->G * t->nr;
  p->hfull_stride = t->tiles * t->nr;
  p->h_stride = net->desc.proj_size ? t->tiles_proj * t->nr_proj : p->hfull_stride;
  size_t B = (size_t)z->B, at = 0;
  /* each piece starts on a 64-byte boundary */
#define CARVE(ptr, type, count)                                 \
  do {                                                          \
    size_t n_ = ((count) * sizeof(type) + 63) / 64 * 16;        \
    if (work) ptr = (type *)(void *)(work + at);                \
    at += n_;                                                   \
  } while (0)
  CARVE(p->gx, float, (size_t)p->rows_max * (size_t)p->gx_stride);
  CARVE(p->hbuf[0], float, B * (size_t)p->h_stride);
  CARVE(p->hbuf[1], float, B * (size_t)p->h_stride);
  CARVE(p->hfull, float, net->desc.proj_size ? B * (size_t)p->hfull_stride : 0);
  CARVE(p->c, float, net->desc.cell == RECUR_CELL_LSTM ? B * (size_t)p->hfull_stride : 0);
  CARVE(p->acc, float, B * (size_t)(p->G * t->nr > t->nr_proj ? p->G * t->nr : t->nr_proj));
  CARVE(p->active, int64_t, B);
  CARVE(p->a_rows, const float *, (size_t)p->rows_max);
  CARVE(p->out_rows, float *, (size_t)p->rows_max);
  CARVE(p->y_rows, float *, (size_t)p->rows_max);
#undef CARVE
  return at;
}

size_t recur_packed_workspace(const recur_net *net, const call_sizes *z) {
  packed_ctx p;
  return layout(&p, net, z, NULL);
}

/* out_rows[i] + tile offset = a_rows[i] x panels (+ bias), for n rows and every tile; y_rows
 * (or NULL) also get the first `units` outputs. */
static void gemm(const packed_ctx *p, int gnv, int64_t nr, int64_t K, int64_t kc,
                 const float *panels, const float *bias, int64_t tiles, int64_t units,
                 int64_t n, int with_y) {
  int64_t mr = rows_per_tile(p, gnv), vec = p->k->vec, tile_floats = K * gnv * vec;
  int gi = recur_gnv_index(gnv);
  for (int64_t j = 0; j < tiles; j++)
    for (int64_t k0 = 0; k0 < K; k0 += kc)
      for (int64_t r0 = 0; r0 < n; r0 += mr) {
        int64_t m = n - r0 < mr ? n - r0 : mr;
        float *acc[RECUR_MR_MAX], *y[RECUR_MR_MAX];
        for (int64_t r = 0; r < m; r++) {
          acc[r] = p->out_rows[r0 + r] + j * gnv * vec;
          if (with_y) y[r] = p->y_rows[r0 + r] + j * nr;
        }
        recur_tile tile = {
          .k0 = k0, .k1 = k0 + kc < K ? k0 + kc : K, .k = K,
          .panel = panels + j * tile_floats, .a = p->a_rows + r0, .acc = acc,
          .bias = bias ? bias + j * gnv * vec : NULL, .y = with_y ? y : NULL,
          .units = (int)(units - j * nr < nr ? units - j * nr : nr),
        };
        p->k->gemm[m - 1][gi](&tile);
      }
}

/* gx for steps [s0, s1): rows (s, b) of the active sequences, in (s - s0) * B + b order. */
static void project_inputs(const packed_ctx *p, int64_t s0, int64_t s1) {
  const direction_args *a = p->a;
  const recur_tiling *t = &a->net->tiling;
  int64_t n = 0;
  for (int64_t s = s0; s < s1; s++)
    for (int64_t b = 0; b < p->B; b++) {
      if (s >= length_of(a, b)) continue;
      p->a_rows[n] = seq_row(a->in, time_of(a, s, b), b);
      p->out_rows[n++] = p->gx + ((s - s0) * p->B + b) * p->gx_stride;
    }
  gemm(p, (int)(p->G * t->nv), t->nr, a->ly->in_size, t->kc_input, a->ly->w_ih, a->ly->b_x,
       t->tiles, a->net->hidden, n, 0);
}

/* One time step of the active rows over every hidden tile. */
static void cell_step(const packed_ctx *p, int64_t s, int64_t s0, int64_t n) {
  const direction_args *a = p->a;
  const recur_net *net = a->net;
  const recur_tiling *t = &net->tiling;
  int proj = net->desc.proj_size > 0, lstm = net->desc.cell == RECUR_CELL_LSTM;
  int gnv = (int)(p->G * t->nv);
  int64_t mr = rows_per_tile(p, gnv), K = net->out, vec = p->k->vec;
  float *hp = p->hbuf[s & 1], *hn = p->hbuf[(s + 1) & 1];
  recur_tile_fn const *fns = p->k->cell[recur_net_epilogue(net)][recur_nv_index(t->nv)];
  for (int64_t jj = 0; jj < t->tiles; jj++) {
    int64_t j = s & 1 ? t->tiles - 1 - jj : jj, u0 = j * t->nr;
    for (int64_t k0 = 0; k0 < K; k0 += t->kc)
      for (int64_t r0 = 0; r0 < n; r0 += mr) {
        int64_t m = n - r0 < mr ? n - r0 : mr;
        const float *ar[RECUR_MR_MAX], *gx[RECUR_MR_MAX], *hpr[RECUR_MR_MAX];
        float *acc[RECUR_MR_MAX], *h[RECUR_MR_MAX], *c[RECUR_MR_MAX], *y[RECUR_MR_MAX];
        for (int64_t r = 0; r < m; r++) {
          int64_t b = p->active[r0 + r];
          ar[r] = hp + b * p->h_stride;
          acc[r] = p->acc + (r0 + r) * gnv * vec;
          gx[r] = p->gx + ((s - s0) * p->B + b) * p->gx_stride + j * p->G * t->nr;
          h[r] = (proj ? p->hfull + b * p->hfull_stride : hn + b * p->h_stride) + u0;
          c[r] = lstm ? p->c + b * p->hfull_stride + u0 : NULL;
          hpr[r] = hp + b * p->h_stride + u0;
          y[r] = proj ? NULL : seq_row(a->out, time_of(a, s, b), b) + u0;
        }
        recur_tile tile = {
          .k0 = k0, .k1 = k0 + t->kc < K ? k0 + t->kc : K, .k = K,
          .panel = a->ly->w_hh + j * K * gnv * vec,
          .a = ar, .acc = acc, .gx = gx, .h = h, .c = c, .hp = hpr,
          .b_hn = a->ly->b_hn + u0, .y = proj ? NULL : y,
          .units = (int)(net->hidden - u0 < t->nr ? net->hidden - u0 : t->nr),
        };
        fns[m - 1](&tile);
      }
  }
  if (!proj) return;
  for (int64_t i = 0; i < n; i++) {
    int64_t b = p->active[i];
    p->a_rows[i] = p->hfull + b * p->hfull_stride;
    p->out_rows[i] = hn + b * p->h_stride;
    p->y_rows[i] = seq_row(a->out, time_of(a, s, b), b);
  }
  gemm(p, t->nv_proj, t->nr_proj, net->hidden, t->kc, a->ly->w_hr, NULL, t->tiles_proj,
       net->desc.proj_size, n, 1);
}

void recur_packed_direction(const direction_args *a) {
  packed_ctx p = {.a = a, .k = a->net->kernels, .t = &a->net->tiling};
  layout(&p, a->net, a->z, a->work);
  const call_sizes *z = a->z;
  int64_t B = z->B, Hout = z->Hout, H = z->H;
  int lstm = a->net->desc.cell == RECUR_CELL_LSTM;
  for (int64_t b = 0; b < B; b++) {
    float *h0 = p.hbuf[0] + b * p.h_stride;
    memcpy(h0, a->h + b * Hout, (size_t)Hout * sizeof *h0);
    memset(h0 + Hout, 0, (size_t)(p.h_stride - Hout) * sizeof *h0);
    if (lstm) {
      float *c0 = p.c + b * p.hfull_stride;
      memcpy(c0, a->c + b * H, (size_t)H * sizeof *c0);
      memset(c0 + H, 0, (size_t)(p.hfull_stride - H) * sizeof *c0);
    }
  }
  for (int64_t s0 = 0; s0 < z->T; s0 += p.steps_per_chunk) {
    int64_t s1 = s0 + p.steps_per_chunk < z->T ? s0 + p.steps_per_chunk : z->T;
    project_inputs(&p, s0, s1);
    for (int64_t s = s0; s < s1; s++) {
      int64_t n = 0;
      for (int64_t b = 0; b < B; b++) {
        if (s < length_of(a, b)) p.active[n++] = b;
        else memset(seq_row(a->out, s, b), 0, (size_t)Hout * sizeof(float));
      }
      cell_step(&p, s, s0, n);
    }
  }
  for (int64_t b = 0; b < B; b++) {
    memcpy(a->h + b * Hout, p.hbuf[length_of(a, b) & 1] + b * p.h_stride, (size_t)Hout * sizeof(float));
    if (lstm) memcpy(a->c + b * H, p.c + b * p.hfull_stride, (size_t)H * sizeof(float));
  }
}
