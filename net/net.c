/* recur_net_create / free / describe: description checks, weight checks and repacking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"
#include "net.h"
#include "pack.h"

static recur_status check_dim(const char *what, int64_t v) {
  if (v < 1 || v > RECUR_MAX_DIM)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "%s is %lld; it must be in 1..%lld", what,
                      (long long)v, (long long)RECUR_MAX_DIM);
  return RECUR_OK;
}

static recur_status check_desc(const recur_desc *d) {
  recur_status st;
  const recur_cell_info *cell = recur_cell_get(d->cell);
  if (!cell)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "cell is %d; it must be a recur_cell value",
                      (int)d->cell);
  if ((st = check_dim("input_size", d->input_size)) ||
      (st = check_dim("hidden_size", d->hidden_size)) ||
      (st = check_dim("num_layers", d->num_layers)))
    return st;
  if (d->num_layers > 4096)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "num_layers is %lld; at most 4096 are supported",
                      (long long)d->num_layers);
  if (d->bidirectional != 0 && d->bidirectional != 1)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "bidirectional is %d; it must be 0 or 1",
                      d->bidirectional);
  if (d->bias != 0 && d->bias != 1)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "bias is %d; it must be 0 or 1", d->bias);
  if (d->batch_first != 0 && d->batch_first != 1)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "batch_first is %d; it must be 0 or 1",
                      d->batch_first);
  if (d->proj_size != 0) {
    if (!recur_cell_projects(cell))
      return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "proj_size is %lld; a %s has no projection",
                        (long long)d->proj_size, cell->name);
    if (d->proj_size < 0 || d->proj_size >= d->hidden_size)
      return recur_fail(RECUR_ERR_INVALID_SIZE,
                        "proj_size is %lld; it must be in 1..hidden_size-1 (%lld)",
                        (long long)d->proj_size, (long long)d->hidden_size - 1);
  }
  return RECUR_OK;
}

/* int8's products are summed in int32: at most RECUR_INT8_MAX_K of them (recur.h). */
#define RECUR_INT8_MAX_K 65536
static recur_status check_int8(const recur_desc *d) {
  int64_t out = d->proj_size ? d->proj_size : d->hidden_size;
  int64_t in_above = d->num_layers > 1 ? (d->bidirectional ? 2 : 1) * out : 0;
  const struct { const char *what; int64_t k; } ks[] = {
    {"input_size", d->input_size}, {"hidden_size", d->hidden_size},
    {"the layers above the first's input (D * H_out)", in_above}};
  for (size_t i = 0; i < sizeof ks / sizeof *ks; i++)
    if (ks[i].k > RECUR_INT8_MAX_K)
      return recur_fail(RECUR_ERR_INVALID_SIZE,
                        "int8: %s is %lld; an int8 product sums at most %d terms in int32",
                        ks[i].what, (long long)ks[i].k, RECUR_INT8_MAX_K);
  return RECUR_OK;
}

enum { W_IH = RECUR_W_IH, W_HH = RECUR_W_HH, B_IH = RECUR_B_IH, B_HH = RECUR_B_HH,
       W_HR = RECUR_W_HR, N_KINDS = RECUR_N_WEIGHT_KINDS };

/* A recur_tensor holds two dimensions at most: past them only their count is known. */
static void format_shape(char *buf, size_t n, int ndim, const int64_t *shape) {
  if (ndim == 1 || ndim == 2) recur_shape_text(buf, n, shape, ndim, 0);
  else snprintf(buf, n, "(%d dimensions)", ndim);
}

/* Matches the caller's tensors to the expected list: every expected one present once with its
 * shape, nothing else; found[j] is the one given for exp[j]. */
static recur_status match_tensors(const recur_tensor_spec *exp, const recur_tensor **found,
                                  size_t n_exp, const recur_tensor *tensors, size_t n_tensors) {
  for (size_t i = 0; i < n_tensors; i++) {
    const recur_tensor *t = &tensors[i];
    if (!t->name) return recur_fail(RECUR_ERR_NULL_POINTER, "tensor %zu has a NULL name", i);
    size_t j = 0;
    while (j < n_exp && strcmp(exp[j].name, t->name) != 0) j++;
    if (j == n_exp) return recur_fail(RECUR_ERR_UNEXPECTED_TENSOR, "%s: not used by this network", t->name);
    if (found[j]) return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "%s: given twice", t->name);
    if (!t->data) return recur_fail(RECUR_ERR_NULL_POINTER, "%s: data is NULL", t->name);
    const recur_tensor_spec *e = &exp[j];
    int same = t->ndim == e->ndim && t->shape[0] == e->shape[0] &&
               (e->ndim == 1 || t->shape[1] == e->shape[1]);
    if (!same) {
      char got[64], want[64];
      format_shape(got, sizeof got, t->ndim, t->shape);
      format_shape(want, sizeof want, e->ndim, e->shape);
      return recur_fail(RECUR_ERR_SHAPE_MISMATCH, "%s: shape %s, expected %s", t->name, got, want);
    }
    found[j] = t;
  }
  for (size_t j = 0; j < n_exp; j++)
    if (!found[j]) return recur_fail(RECUR_ERR_MISSING_TENSOR, "%s: missing", exp[j].name);
  return RECUR_OK;
}

/* A (rows x cols) weight matrix at *p in the network's precision, its row scales after it
 * (used by int8 alone); moves *p past both. */
static const float *copy_matrix(float **p, const float **scale, const float *src, int64_t rows,
                                int64_t cols, const recur_precision_desc *f) {
  float *dst = *p, *row_scale = dst + rows * cols;
  f->round_weights(dst, row_scale, src, rows, cols);
  *scale = row_scale;
  *p = row_scale + rows;
  return dst;
}

/* Copies one layer's weights (by kind) into the net's block in the reference layout, folding
 * the biases (kernels.h's recur_layer). */
static float *pack_layer(const recur_net *net, recur_layer *ly, const recur_tensor *const *w,
                         float *p) {
  int64_t gh = net->gates * net->hidden, h = net->hidden;
  const recur_precision_desc *f = recur_precision_get(ly->precision);
  ly->w_ih = copy_matrix(&p, &ly->s_ih, w[W_IH]->data, gh, ly->in_size, f);
  ly->w_hh = copy_matrix(&p, &ly->s_hh, w[W_HH]->data, gh, net->out, f);
  float *b_x = p; p += gh;
  int64_t folded = net->cell->keeps_b_hn ? gh - h : gh;
  for (int64_t i = 0; i < gh; i++) b_x[i] = 0.0f;
  if (net->desc.bias) {
    const float *b_ih = w[B_IH]->data, *b_hh = w[B_HH]->data;
    for (int64_t i = 0; i < gh; i++) b_x[i] = i < folded ? b_ih[i] + b_hh[i] : b_ih[i];
  }
  ly->b_x = b_x;
  if (net->cell->keeps_b_hn) {
    float *b_hn = p; p += h;
    for (int64_t i = 0; i < h; i++) b_hn[i] = net->desc.bias ? w[B_HH]->data[folded + i] : 0.0f;
    ly->b_hn = b_hn;
  }
  if (net->desc.proj_size) {
    ly->w_hr = copy_matrix(&p, &ly->s_hr, w[W_HR]->data, net->desc.proj_size, h, f);
  }
  return p;
}

recur_status recur_net_create(recur_net **out, const recur_desc *desc, const recur_tensor *tensors,
                              size_t n_tensors) {
  return recur_net_create_for(out, desc, tensors, n_tensors, NULL, NULL, NULL);
}

recur_status recur_net_create_ex(recur_net **out, const recur_desc *desc,
                                 const recur_tensor *tensors, size_t n_tensors,
                                 const recur_net_options *options) {
  return recur_net_create_for(out, desc, tensors, n_tensors, options, NULL, NULL);
}

recur_status recur_net_check_options(const recur_net_options *options) {
  if (options && !recur_precision_get(options->precision))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT,
                      "precision is %d; it must be a recur_precision value", (int)options->precision);
  return RECUR_OK;
}

recur_status recur_net_precision(const recur_net *net, recur_precision *out) {
  if (!net || !out) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_precision: NULL argument");
  *out = net->precision;
  return RECUR_OK;
}

const recur_packing recur_packing_builtin;

/* net's tune key (threads and B left 0) and the tune file's entries for it. */
static void find_tune_entries(recur_net *net) {
  recur_tune_key *k = &net->tune_key;
  *k = (recur_tune_key){.cell = net->desc.cell, .dirs = (int)net->dirs, .I = net->desc.input_size,
                        .H = net->hidden, .P = net->desc.proj_size};
  snprintf(k->isa, sizeof k->isa, "%s", net->kernels->isa);
  k->precision = net->precision;
  net->tune = recur_tune_net_entries(recur_tune_active(), k);
}

/* The tune file's packing for net's shape and table, or NULL (the table's defaults). */
static const recur_packing *tuned_packing(recur_net *net) {
  const recur_tune_entry *e = recur_tune_find_net(&net->tune, &net->tune_key);
  net->tuned_tiling = e != NULL;
  return e ? &e->p.pack : NULL;
}

recur_status recur_net_create_for(recur_net **out, const recur_desc *desc,
                                  const recur_tensor *tensors, size_t n_tensors,
                                  const recur_net_options *options, const recur_kernels *kernels,
                                  const recur_packing *packing) {
  if (!out) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_create: out is NULL");
  *out = NULL;
  if (!desc) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_create: desc is NULL");
  if (!tensors && n_tensors)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_create: tensors is NULL");
  recur_status st = check_desc(desc);
  if (!st) st = recur_net_check_options(options);
  recur_precision precision = options ? options->precision : RECUR_PRECISION_FP32;
  if (!st && precision == RECUR_PRECISION_INT8) st = check_int8(desc);
  if (st) return st;
  if (!kernels && !(kernels = recur_kernels_active())) return RECUR_ERR_ISA_UNAVAILABLE;
  if (!(kernels = recur_kernels_for(kernels, precision)))
    return recur_fail(RECUR_ERR_INTERNAL, "recur_net_create: no %s table", recur_precision_name(precision));

  recur_net *net = calloc(1, sizeof *net);
  if (!net) return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur_net_create: out of memory");
  net->desc = *desc;
  net->cell = recur_cell_get(desc->cell);
  net->gates = net->cell->gates;
  net->hidden = desc->hidden_size;
  net->out = desc->proj_size ? desc->proj_size : desc->hidden_size;
  net->dirs = desc->bidirectional ? 2 : 1;
  net->kernels = kernels;
  net->precision = precision;
  int64_t n_units = desc->num_layers * net->dirs;

  /* Per layer and direction: W_ih, W_hh, b_x and b_hn (2*G*H bounds both), W_hr, and a scale
   * per row of the three matrices (2*G*H + P). Every dimension is at most 2^28, but the total
   * can still overflow: check it. */
  size_t total = 0, n_exp = 0;
  for (int64_t l = 0; l < desc->num_layers; l++) {
    int64_t in = l == 0 ? desc->input_size : net->dirs * net->out;
    size_t per;
    if (!recur_mul_size((size_t)(net->gates * net->hidden), (size_t)(in + net->out + 4), &per) ||
        !recur_add_size(per, (size_t)(desc->proj_size * (net->hidden + 1)), &per) ||
        !recur_mul_size(per, (size_t)net->dirs, &per) || !recur_add_size(total, per, &total) ||
        total > SIZE_MAX / sizeof(float)) {
      st = recur_fail(RECUR_ERR_INVALID_SIZE, "the network's weights would exceed the address space");
      break;
    }
  }
  if (!st) st = recur_check_memory("recur_net_create: the weights", total * sizeof(float));
  if (!st) n_exp = recur_desc_tensors(desc, NULL);
  recur_tensor_spec *exp = st ? NULL : calloc(n_exp, sizeof *exp);
  const recur_tensor **found = st ? NULL : calloc(n_exp, sizeof *found);
  if (!st && (!exp || !found)) st = recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur_net_create: out of memory");
  if (!st) {
    recur_desc_tensors(desc, exp);
    st = match_tensors(exp, found, n_exp, tensors, n_tensors);
  }

  if (!st) {
    net->layers = calloc((size_t)n_units, sizeof *net->layers);
    net->weights = aligned_alloc(64, (total * sizeof(float) + 63) / 64 * 64);
    if (!net->layers || !net->weights)
      st = recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur_net_create: no memory for %zu weights", total);
  }
  if (!st) {
    float *p = net->weights;
    size_t i = 0;
    for (int64_t u = 0; u < n_units; u++) {
      const recur_tensor *by_kind[N_KINDS] = {0};
      for (; i < n_exp && exp[i].unit == u; i++) by_kind[exp[i].kind] = found[i];
      recur_layer *ly = &net->layers[u];
      *ly = (recur_layer){.gates = net->gates, .hidden = net->hidden, .out = net->out,
                          .in_size = u < net->dirs ? desc->input_size : net->dirs * net->out,
                          .precision = precision};
      p = pack_layer(net, ly, by_kind, p);
    }
    if (kernels != &recur_kernels_scalar) {
      find_tune_entries(net);
      st = recur_net_pack(net, packing == &recur_packing_builtin ? NULL
                               : packing ? packing : tuned_packing(net));
    }
  }
  free(exp);
  free((void *)found);
  if (st) {
    recur_net_free(net);
    return st;
  }
  *out = net;
  return RECUR_OK;
}

void recur_net_free(recur_net *net) {
  if (!net) return;
  free(net->weights);
  free(net->layers);
  free(net);
}

recur_status recur_net_describe(const recur_net *net, recur_desc *out) {
  if (!net || !out) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_describe: NULL argument");
  *out = net->desc;
  return RECUR_OK;
}
