/* Fuzz target: a model file through recur_net_load_memory (the safetensors container, then the
 * model loader), with and without a module prefix, on the best kernel table or the scalar
 * reference, in fp32, bf16 or int8; every network that loads then runs a short forward pass with
 * lengths, h0 and c0, which must succeed. */
#include <string.h>

#include "fuzz_target.h"
#include "recur.h"

#define T 3
#define B 2
/* Networks costing more multiply-adds per step than this load but are not run. */
#define MAX_STEP_MACS (1 << 16)

static void check_desc(const recur_desc *d) {
  if (!recur_cell_name(d->cell) || d->input_size < 1 || d->hidden_size < 1 ||
      d->num_layers < 1 || (d->bidirectional != 0 && d->bidirectional != 1) ||
      (d->bias != 0 && d->bias != 1) || d->proj_size < 0 || d->proj_size >= d->hidden_size ||
      (d->proj_size && d->cell != RECUR_CELL_LSTM))
    fuzz_fail("loaded a network with an invalid description");
}

static int64_t step_macs(const recur_desc *d) {
  int64_t gates = d->cell == RECUR_CELL_LSTM ? 4 : d->cell == RECUR_CELL_GRU ? 3 : 1;
  int64_t dirs = 1 + d->bidirectional, out = d->proj_size ? d->proj_size : d->hidden_size;
  int64_t in = d->input_size > dirs * out ? d->input_size : dirs * out;
  if (in > MAX_STEP_MACS || d->hidden_size > MAX_STEP_MACS || d->num_layers > MAX_STEP_MACS)
    return MAX_STEP_MACS + 1;
  return d->num_layers * dirs * gates * d->hidden_size * (in + d->hidden_size);
}

static float *filled(size_t n) {
  float *p = malloc(n * sizeof *p);
  if (!p)
    fuzz_fail("out of memory");
  for (size_t i = 0; i < n; i++)
    p[i] = (float)((int)(i % 17) - 8) * 0.0625f;
  return p;
}

/* Row 1 is one step long: its outputs at t = 1, 2 must be zero. The call names its layout
 * (time-first), whatever the file records. */
static void run_forward(const recur_net *net, const recur_desc *d) {
  int64_t dirs = 1 + d->bidirectional, out = d->proj_size ? d->proj_size : d->hidden_size;
  size_t nx = (size_t)(T * B * d->input_size), ny = (size_t)(T * B * dirs * out);
  size_t nh = (size_t)(d->num_layers * dirs * B * out);
  size_t nc = (size_t)(d->num_layers * dirs * B * d->hidden_size);
  int lstm = d->cell == RECUR_CELL_LSTM;
  static const int64_t lengths[B] = {T, 1};
  float *x = filled(nx), *y = filled(ny), *h0 = filled(nh), *hn = filled(nh);
  float *c0 = lstm ? filled(nc) : NULL, *cn = lstm ? filled(nc) : NULL;
  recur_forward_args a = {.seq_len = T, .batch = B, .input_size = d->input_size, .x = x,
                          .lengths = lengths, .h0 = h0, .c0 = c0, .y = y, .h_n = hn, .c_n = cn,
                          .time_first = 1};
  recur_status st = recur_forward(net, &a);
  if (st != RECUR_OK)
    fuzz_fail("forward on a loaded network: %s", recur_last_error());
  size_t width = (size_t)(dirs * out);
  for (size_t t = 1; t < T; t++)
    for (size_t j = 0; j < width; j++)
      if (y[(t * B + 1) * width + j] != 0.0f)
        fuzz_fail("y[%zu, 1, %zu] is past the sequence's end but not zero", t, j);
  free(x), free(y), free(h0), free(hn), free(c0), free(cn);
}

static void load(const uint8_t *data, size_t size, const char *prefix,
                 const recur_net_options *options) {
  recur_net *net = (recur_net *)&net;
  recur_status st = recur_net_load_memory_ex(&net, data, size, prefix, options);
  if (st != RECUR_OK) {
    if (net)
      fuzz_fail("failed load (%d) left a network", st);
    if (strcmp(recur_status_string(st), "unknown recur_status") == 0)
      fuzz_fail("failed load without a known status (%d)", st);
    fuzz_check_detail(recur_last_error());
    return;
  }
  recur_desc d;
  if (!net || recur_net_describe(net, &d) != RECUR_OK)
    fuzz_fail("successful load without a network");
  check_desc(&d);
  recur_precision precision;
  if (recur_net_precision(net, &precision) != RECUR_OK || precision != options->precision)
    fuzz_fail("loaded a network of another precision than asked");
  if (step_macs(&d) <= MAX_STEP_MACS)
    run_forward(net, &d);
  recur_net_free(net);
}

/* The kernel table this CPU runs best. */
static char best_isa[32];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!best_isa[0])
    snprintf(best_isa, sizeof best_isa, "%s", recur_isa_name());
  /* The last byte (in a valid file, part of a weight) picks the best table or the reference,
   * and fp32, bf16 or int8. */
  uint8_t last = size ? data[size - 1] : 0;
  const char *isa = last & 1 ? "scalar" : best_isa;
  if (recur_isa_force(isa) != RECUR_OK)
    fuzz_fail("cannot force %s", isa);
  static const recur_precision precisions[] = {RECUR_PRECISION_FP32, RECUR_PRECISION_BF16,
                                               RECUR_PRECISION_INT8, RECUR_PRECISION_FP32};
  recur_net_options options = {.precision = precisions[(last >> 1) & 3]};
  load(data, size, NULL, &options);
  load(data, size, "decoder.rnn", &options);
  return 0;
}
