/* The reference driver: one batch row and step at a time through the cell's reference step
 * (cells/). Rows are independent, so threads split the batch (schedule.c) and never wait for
 * each other. */
#include <string.h>

#include "direction.h"
#include "cell.h"

size_t recur_ref_shared(const recur_net *net, const recur_call_sizes *z) {
  return (size_t)(z->B * (net->out + net->hidden)); /* h and c of every row */
}

size_t recur_ref_scratch(const recur_net *net, const recur_call_sizes *z) {
  (void)z;
  return 2 * (size_t)(2 * net->gates * net->hidden); /* a step's 2*G*H doubles */
}

void recur_ref_direction(const recur_direction_args *a) {
  const recur_call_sizes *z = a->z;
  int has_c = a->net->cell->has_c;
  float *h = a->shared, *c = a->shared + z->B * z->Hout;
  size_t nh = (size_t)z->Hout * sizeof(float), nc = (size_t)z->H * sizeof(float);
  for (int64_t b = a->share->b0; b < a->share->b1; b++) {
    if (a->h0) memcpy(h + b * z->Hout, a->h0 + b * z->Hout, nh);
    else memset(h + b * z->Hout, 0, nh);
    if (has_c && a->c0) memcpy(c + b * z->H, a->c0 + b * z->H, nc);
    else if (has_c) memset(c + b * z->H, 0, nc);
  }
  for (int64_t s = 0; s < a->T; s++)
    for (int64_t b = a->share->b0; b < a->share->b1; b++) {
      int64_t len = a->lengths ? a->lengths[b] : a->T;
      if (s >= len) {
        memset(recur_seq_row(a->out, s, b), 0, nh);
        continue;
      }
      int64_t t = a->reverse ? len - 1 - s : s;
      float *hb = h + b * z->Hout;
      a->net->cell->ref_step(a->ly, recur_seq_row(a->in, t, b), hb, has_c ? c + b * z->H : NULL,
                             (double *)a->scratch);
      memcpy(recur_seq_row(a->out, t, b), hb, nh);
    }
  for (int64_t b = a->share->b0; b < a->share->b1; b++) {
    if (a->h_n) memcpy(a->h_n + b * z->Hout, h + b * z->Hout, nh);
    if (a->c_n) memcpy(a->c_n + b * z->H, c + b * z->H, nc);
  }
}
