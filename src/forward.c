/* recur_forward: argument checks, then layers, directions and the time loop with PyTorch's
 * packed-sequence semantics. */
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "fpmode.h"
#include "internal.h"
#include "kernels.h"

static seq_view make_view(const float *data, int64_t T, int64_t B, int64_t width, int batch_first) {
  seq_view v = {(float *)data, batch_first ? width : B * width, batch_first ? T * width : width};
  return v;
}

typedef struct byte_range {
  const char *name;
  const void *p;
  size_t n;
} byte_range;

static int overlaps(const byte_range *a, const byte_range *b) {
  if (!a->p || !b->p || !a->n || !b->n) return 0;
  uintptr_t a0 = (uintptr_t)a->p, b0 = (uintptr_t)b->p;
  return a0 < b0 + b->n && b0 < a0 + a->n;
}

static recur_status check_args(const recur_net *net, const recur_forward_args *a, call_sizes *z) {
  if (!net || !a) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_forward: net or args is NULL");
  if (!a->x) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_forward: x is NULL");
  if (!a->y) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_forward: y is NULL");
  if ((a->batch_first != 0 && a->batch_first != 1) || (a->unbatched != 0 && a->unbatched != 1))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: batch_first and unbatched are 0 or 1");
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
  if (net->desc.cell != RECUR_CELL_LSTM && (a->c0 || a->c_n))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: c0/c_n given, but a %s has no cell state",
                      recur_cell_name(net->desc.cell));

  *z = (call_sizes){a->seq_len, a->batch, net->desc.num_layers, net->dirs, net->desc.input_size,
                    net->hidden, net->out, 0, 0, 0, 0, 0};
  size_t tb, ld;
  if (!recur_mul_size((size_t)z->T, (size_t)z->B, &tb) || !recur_mul_size(tb, (size_t)z->I, &z->x) ||
      !recur_mul_size(tb, (size_t)(z->D * z->Hout), &z->y) ||
      !recur_mul_size((size_t)(z->L * z->D), (size_t)z->B, &ld) ||
      !recur_mul_size(ld, (size_t)z->Hout, &z->h) || !recur_mul_size(ld, (size_t)z->H, &z->c) ||
      z->x > SIZE_MAX / 4 || z->y > SIZE_MAX / 8 || z->c > SIZE_MAX / 4)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_forward: T=%lld, B=%lld overflow the address space",
                      (long long)z->T, (long long)z->B);

  size_t n_bufs = z->L > 2 ? 2 : (size_t)(z->L - 1); /* ping-pong between inner layers */
  size_t driver = net->kernels == &recur_kernels_ref ? recur_ref_workspace(net, z)
                                                    : recur_packed_workspace(net, z);
  size_t state = (size_t)z->B * (size_t)(z->Hout + z->H);
  /* + 16: the driver's part starts on a 64-byte boundary */
  if (!recur_mul_size(n_bufs, z->y, &z->work) || !recur_add_size(z->work, state + 16, &z->work) ||
      !recur_add_size(z->work, driver, &z->work) || z->work > SIZE_MAX / sizeof(float))
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_forward: the workspace overflows the address space");
  recur_status st = recur_check_memory("recur_forward: the workspace", z->work * sizeof(float));
  if (st) return st;

  if (a->lengths)
    for (int64_t b = 0; b < z->B; b++)
      if (a->lengths[b] < 1 || a->lengths[b] > z->T)
        return recur_fail(RECUR_ERR_BAD_LENGTHS, "recur_forward: lengths[%lld] = %lld, outside 1..%lld",
                          (long long)b, (long long)a->lengths[b], (long long)z->T);

  /* Outputs may not overlap anything, except that h_n may be exactly h0 and c_n exactly c0
   * (an in-place state update: each layer reads its h0 slot before writing its h_n slot). */
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

size_t recur_ref_workspace(const recur_net *net, const call_sizes *z) {
  (void)z;
  return 2 * net->kernels->step_scratch(net); /* doubles */
}

void recur_ref_direction(const direction_args *a) {
  const call_sizes *z = a->z;
  for (int64_t s = 0; s < z->T; s++)
    for (int64_t b = 0; b < z->B; b++) {
      int64_t len = a->lengths ? a->lengths[b] : z->T;
      if (s >= len) {
        memset(seq_row(a->out, s, b), 0, (size_t)z->Hout * sizeof(float));
        continue;
      }
      int64_t t = a->reverse ? len - 1 - s : s;
      float *hb = a->h + b * z->Hout, *cb = a->c ? a->c + b * z->H : NULL;
      a->net->kernels->step(a->net, a->ly, seq_row(a->in, t, b), hb, cb, (double *)a->work);
      memcpy(seq_row(a->out, t, b), hb, (size_t)z->Hout * sizeof(float));
    }
}

recur_status recur_forward(const recur_net *net, const recur_forward_args *a) {
  call_sizes z = {0};
  recur_status st = check_args(net, a, &z);
  if (st) return st;
  float *work = aligned_alloc(64, (z.work * sizeof(float) + 63) / 64 * 64);
  if (!work)
    return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur_forward: no memory for %zu floats of workspace", z.work);

  int lstm = net->desc.cell == RECUR_CELL_LSTM;
  size_t state_h = (size_t)(z.B * z.Hout), state_c = lstm ? (size_t)(z.B * z.H) : 0;
  float *h = work, *c = lstm ? work + state_h : NULL, *bufs = work + state_h + state_c;
  size_t n_bufs = z.L > 2 ? 2 : (size_t)(z.L - 1);
  float *driver_work = work + (state_h + state_c + n_bufs * z.y + 15) / 16 * 16;
  void (*direction)(const direction_args *) =
      net->kernels == &recur_kernels_ref ? recur_ref_direction : recur_packed_direction;
  unsigned fp_mode = recur_flush_denormals_begin();

  int64_t width = z.D * z.Hout;
  seq_view in = make_view(a->x, z.T, z.B, z.I, a->batch_first);
  for (int64_t l = 0; l < z.L; l++) {
    int last = l == z.L - 1;
    seq_view out = last ? make_view(a->y, z.T, z.B, width, a->batch_first)
                        : make_view(bufs + (size_t)(l % 2) * z.y, z.T, z.B, width, 0);
    for (int64_t d = 0; d < z.D; d++) {
      size_t u = (size_t)(l * z.D + d);
      if (a->h0) memcpy(h, a->h0 + u * state_h, state_h * sizeof *h);
      else memset(h, 0, state_h * sizeof *h);
      if (lstm && a->c0) memcpy(c, a->c0 + u * state_c, state_c * sizeof *c);
      else if (lstm) memset(c, 0, state_c * sizeof *c);
      direction_args da = {net, &net->layers[u], (int)d, &z, a->lengths, in,
                           {out.data + d * z.Hout, out.t_stride, out.b_stride}, h, c, driver_work};
      direction(&da);
      if (a->h_n) memcpy(a->h_n + u * state_h, h, state_h * sizeof *h);
      if (a->c_n) memcpy(a->c_n + u * state_c, c, state_c * sizeof *c);
    }
    in = out;
  }
  recur_flush_denormals_end(fp_mode);
  free(work);
  return RECUR_OK;
}
