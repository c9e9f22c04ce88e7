/* recur_net_create / free / describe: description checks, weight checks and repacking. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf16.h"
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

/* A weight matrix copied in the network's precision. */
static void copy_matrix(float *dst, const float *src, size_t n, recur_precision precision) {
  if (precision == RECUR_PRECISION_BF16) recur_bf16_round_array(dst, src, n);
  else memcpy(dst, src, n * sizeof *dst);
}

/* Copies one layer's weights (by kind) into the net's block in the reference layout, folding
 * the biases (kernels.h's recur_layer). */
static float *pack_layer(const recur_net *net, recur_layer *ly, const recur_tensor *const *w,
                         float *p) {
  int64_t gh = net->gates * net->hidden, h = net->hidden;
  size_t n_ih = (size_t)(gh * ly->in_size), n_hh = (size_t)(gh * net->out);
  copy_matrix(p, w[W_IH]->data, n_ih, ly->precision); ly->w_ih = p; p += n_ih;
  copy_matrix(p, w[W_HH]->data, n_hh, ly->precision); ly->w_hh = p; p += n_hh;
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
    size_t n_hr = (size_t)(net->desc.proj_size * h);
    copy_matrix(p, w[W_HR]->data, n_hr, ly->precision); ly->w_hr = p; p += n_hr;
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
  if (st) return st;
  recur_precision precision = options ? options->precision : RECUR_PRECISION_FP32;
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

  /* Per layer and direction: W_ih, W_hh, b_x and b_hn (2*G*H bounds both), W_hr. Every
   * dimension is at most 2^28, but the total can still overflow: check it. */
  size_t total = 0, n_exp = 0;
  for (int64_t l = 0; l < desc->num_layers; l++) {
    int64_t in = l == 0 ? desc->input_size : net->dirs * net->out;
    size_t per;
    if (!recur_mul_size((size_t)(net->gates * net->hidden), (size_t)(in + net->out + 2), &per) ||
        !recur_add_size(per, (size_t)(desc->proj_size * net->hidden), &per) ||
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
