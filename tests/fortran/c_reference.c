/* The C side of the Fortran tests: a forward call made through recur.h directly, which the
 * Fortran wrappers' results (recur_forward, the stream calls) must match bit for bit. */
#include <recur.h>

/* Loads path in the given precision and runs x through it, (T, B, I) or (B, T, I) as batch_first
 * and time_first say (recur_forward_args; neither: the network's layout); NULL for any optional
 * array. Returns the status of the first call that fails. */
int c_reference_forward(const char *path, int64_t seq_len, int64_t batch, int64_t input_size,
                        const float *x, const int64_t *lengths, const float *h0, const float *c0,
                        float *y, float *h_n, float *c_n, int batch_first, int time_first,
                        int precision) {
  recur_net *net;
  recur_net_options o = {.precision = (recur_precision)precision};
  recur_status st = recur_net_load_ex(&net, path, NULL, &o);
  if (st != RECUR_OK) return st;
  recur_forward_args a = {0};
  a.seq_len = seq_len;
  a.batch = batch;
  a.input_size = input_size;
  a.x = x;
  a.lengths = lengths;
  a.h0 = h0;
  a.c0 = c0;
  a.y = y;
  a.h_n = h_n;
  a.c_n = c_n;
  a.batch_first = batch_first;
  a.time_first = time_first;
  st = recur_forward(net, &a);
  recur_net_free(net);
  return st;
}
