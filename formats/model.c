/* Loading a network from a safetensors state_dict: picking the RNN module, inferring its
 * description from the tensor shapes, checking every tensor, converting them to fp32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "net.h"
#include "safetensors.h"

enum { W_IH = RECUR_W_IH, W_HH = RECUR_W_HH, B_IH = RECUR_B_IH, B_HH = RECUR_B_HH,
       W_HR = RECUR_W_HR, N_KINDS = RECUR_N_WEIGHT_KINDS };

/* One tensor of the module: its layer, direction and kind. */
typedef struct entry {
  int64_t layer;
  int reverse, kind;
  const recur_st_tensor *t;
} entry;

/* One module's tensors, and the network most of them describe (decide). */
typedef struct module {
  const char *prefix; /* "" or ending in '.' */
  size_t prefix_len;
  entry *entries;     /* sorted by layer, direction, kind */
  size_t n;
  int64_t layers;
  int reverse, bias, proj; /* whether the network has a reverse direction, biases, weight_hr */
} module;

/* The module's tensor of that layer, direction and kind, or NULL. */
static const recur_st_tensor *find(const module *m, int64_t layer, int reverse, int kind) {
  for (size_t i = 0; i < m->n; i++)
    if (m->entries[i].layer == layer && m->entries[i].reverse == reverse &&
        m->entries[i].kind == kind)
      return m->entries[i].t;
  return NULL;
}

static recur_status missing(const module *m, int kind, int64_t layer, int reverse) {
  return recur_fail(RECUR_ERR_MISSING_TENSOR, "%s%s_l%lld%s: missing", recur_escape(m->prefix).s,
                    recur_weight_kind_names[kind], (long long)layer, reverse ? "_reverse" : "");
}

/* The part of name after the module prefix, or NULL if name is not directly in the module. */
static const char *local_name(const module *m, const char *name) {
  if (strncmp(name, m->prefix, m->prefix_len) != 0 || strchr(name + m->prefix_len, '.'))
    return NULL;
  return name + m->prefix_len;
}

/* Parses "<kind>_l<k>[_reverse]", k decimal without leading zeros. */
static int parse_rnn_name(const char *s, int *kind, int64_t *layer, int *reverse) {
  for (*kind = 0; *kind < N_KINDS; (*kind)++) {
    size_t n = strlen(recur_weight_kind_names[*kind]);
    if (strncmp(s, recur_weight_kind_names[*kind], n) == 0 && strncmp(s + n, "_l", 2) == 0) {
      s += n + 2;
      break;
    }
  }
  if (*kind == N_KINDS || *s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
    return 0;
  for (*layer = 0; *s >= '0' && *s <= '9'; s++) {
    *layer = *layer * 10 + (*s - '0');
    if (*layer > INT32_MAX)
      return 0;
  }
  *reverse = strcmp(s, "_reverse") == 0;
  return *reverse || !*s;
}

/* Finds the prefixes of all modules holding a weight_ih_l0; one is chosen, several are an
 * error listing them. */
static recur_status find_module(const recur_st_file *file, char **prefix) {
  static const char key[] = "weight_ih_l0";
  const size_t key_len = sizeof key - 1;
  char list[512] = "";
  size_t found = 0, used = 0;
  for (size_t i = 0; i < file->n_tensors; i++) {
    const char *name = file->tensors[i].name;
    size_t len = strlen(name);
    if (len < key_len || strcmp(name + len - key_len, key) != 0 ||
        (len > key_len && name[len - key_len - 1] != '.'))
      continue;
    size_t prefix_len = len - key_len - (len > key_len);
    if (used < sizeof list)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s'%s'", found ? ", " : "",
                               recur_escape_n(name, prefix_len).s);
    if (found++ == 0 && !(*prefix = strndup(name, len - key_len)))
      return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "model: out of memory");
  }
  if (found == 0)
    return recur_fail(RECUR_ERR_MISSING_TENSOR, "no weight_ih_l0 in file");
  if (found > 1)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "%zu RNN modules in file (%s): pass a prefix "
                      "(--prefix P) to pick one", found, list);
  return RECUR_OK;
}

/* The module prefix with its trailing '.', from the caller's prefix or found in the file. */
static recur_status module_prefix(const recur_st_file *file, const char *given, char **out) {
  *out = NULL;
  if (!given || !*given)
    return find_module(file, out);
  size_t len = strlen(given);
  int add_dot = given[len - 1] != '.';
  if (!(*out = malloc(len + add_dot + 1)))
    return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "model: out of memory");
  snprintf(*out, len + add_dot + 1, "%s%s", given, add_dot ? "." : "");
  module m = {.prefix = *out, .prefix_len = len + add_dot};
  for (size_t i = 0; i < file->n_tensors; i++)
    if (local_name(&m, file->tensors[i].name))
      return RECUR_OK;
  return recur_fail(RECUR_ERR_MISSING_TENSOR, "no tensor of module '%s' in file",
                    recur_escape(given).s);
}

static int by_position(const void *a, const void *b) {
  const entry *x = a, *y = b;
  if (x->layer != y->layer) return x->layer < y->layer ? -1 : 1;
  if (x->reverse != y->reverse) return x->reverse - y->reverse;
  return x->kind - y->kind;
}

/* Lists the module's tensors, sorted; anything else directly in the module is an error. */
static recur_status collect(const recur_st_file *file, module *m) {
  m->entries = calloc(file->n_tensors ? file->n_tensors : 1, sizeof *m->entries);
  if (!m->entries)
    return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "model: out of memory");
  for (size_t i = 0; i < file->n_tensors; i++) {
    const recur_st_tensor *t = &file->tensors[i];
    const char *local = local_name(m, t->name);
    entry *e = &m->entries[m->n];
    if (!local)
      continue;
    if (!parse_rnn_name(local, &e->kind, &e->layer, &e->reverse))
      return recur_fail(RECUR_ERR_UNEXPECTED_TENSOR, "%s: not an RNN weight name",
                        recur_escape(t->name).s);
    if (t->count == 0) {
      char shape[128];
      recur_shape_text(shape, sizeof shape, t->shape, t->ndim, 0);
      return recur_fail(RECUR_ERR_INVALID_SIZE, "%s: zero-size shape %s", recur_escape(t->name).s,
                        shape);
    }
    e->t = t;
    m->n++;
  }
  qsort(m->entries, m->n, sizeof *m->entries, by_position);
  return RECUR_OK;
}

static int is_bias(int kind) { return kind == B_IH || kind == B_HH; }

/* What the module's tensors describe where they disagree. A part of the network is there when
 * the file holds more than half of its tensors (a tie leaves it out): the reverse direction
 * (more reverse tensors than half the forward ones), a layer past a gap in the layer indices
 * (more tensors than half of layer 0's: the layers in the gap are then missing), the biases and
 * the projection (more than half of those the layers' directions would have). A layer next to
 * the network's layers so far is always one of them. Tensors of a part that is not there are the odd ones
 * out (strays); tensors a part that is there lacks are missing. */
static void decide(module *m) {
  size_t reverse = 0, bias = 0, proj = 0, layer0 = 0;
  for (size_t i = 0; i < m->n; i++)
    reverse += (size_t)m->entries[i].reverse;
  m->reverse = 2 * reverse > m->n - reverse;
  for (size_t i = 0, next; i < m->n; i = next) {
    int64_t layer = m->entries[i].layer;
    size_t count = 0;
    for (next = i; next < m->n && m->entries[next].layer == layer; next++)
      count += !m->entries[next].reverse || m->reverse;
    if (layer == 0)
      layer0 = count;
    if (count && (layer == m->layers || 2 * count > layer0))
      m->layers = layer + 1;
  }
  for (size_t i = 0; i < m->n; i++) {
    const entry *e = &m->entries[i];
    if (e->layer < m->layers && (!e->reverse || m->reverse)) {
      bias += (size_t)is_bias(e->kind);
      proj += e->kind == W_HR;
    }
  }
  size_t units = (size_t)m->layers * (1 + (size_t)m->reverse);
  m->bias = bias > units; /* of 2 per unit */
  m->proj = 2 * proj > units;
}

/* The first stray, named with what the others describe. */
static recur_status check_strays(const module *m) {
  char layers[64];
  snprintf(layers, sizeof layers, "%lld layer%s", (long long)m->layers, m->layers == 1 ? "" : "s");
  for (size_t i = 0; i < m->n; i++) {
    const entry *e = &m->entries[i];
    const char *others = e->layer >= m->layers           ? layers
                         : e->reverse && !m->reverse     ? "a unidirectional network"
                         : is_bias(e->kind) && !m->bias  ? "a network without biases"
                         : e->kind == W_HR && !m->proj   ? "a network without a projection"
                                                         : NULL;
    if (others)
      return recur_fail(RECUR_ERR_UNEXPECTED_TENSOR, "unexpected tensor %s: the file's other "
                        "tensors describe %s", recur_escape(e->t->name).s, others);
  }
  return RECUR_OK;
}

/* Every layer needs its own weight_ih, so this finds any gap in the layers. */
static recur_status check_gaps(const module *m) {
  int64_t next = 0;
  for (size_t i = 0; i < m->n && next < m->layers; i++) {
    const entry *e = &m->entries[i];
    if (e->reverse || e->kind != W_IH)
      continue;
    if (e->layer != next)
      break;
    next++;
  }
  return next < m->layers ? missing(m, W_IH, next, 0) : RECUR_OK;
}

static recur_status check_ndim2(const recur_st_tensor *t) {
  if (t->ndim == 2)
    return RECUR_OK;
  char shape[128];
  recur_shape_text(shape, sizeof shape, t->shape, t->ndim, 0);
  return recur_fail(RECUR_ERR_SHAPE_MISMATCH, "%s: shape %s, expected 2 dimensions",
                    recur_escape(t->name).s, shape);
}

/* Every cell's name, with its gates if asked: "rnn_tanh, ..." or "rnn_tanh 1, ...". */
static const char *cell_list(char *buf, size_t size, int gates) {
  const recur_cell_info *c;
  size_t used = 0;
  buf[0] = 0;
  for (int i = 0; (c = recur_cell_get((recur_cell)i)) && used < size; i++) {
    used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "", c->name);
    if (gates && used < size) used += (size_t)snprintf(buf + used, size - used, " %d", c->gates);
  }
  return buf;
}

static recur_status parse_cell(const char *value, recur_cell *cell) {
  const recur_cell_info *c = recur_cell_named(value, strlen(value));
  char names[128];
  if (c) {
    *cell = c->id;
    return RECUR_OK;
  }
  return recur_fail(RECUR_ERR_BAD_FILE, "metadata cell '%s' is not one of %s",
                    recur_escape(value).s, cell_list(names, sizeof names, 0));
}

/* With weight_hr, the first cell that projects; else the first whose gates make W_ih's rows
 * from W_hh's columns (H_out = H without a projection). */
static recur_status guess_cell(const module *m, const recur_st_tensor *w_ih,
                               const recur_st_tensor *w_hh, recur_cell *cell) {
  const recur_cell_info *c;
  for (int i = 0; (c = recur_cell_get((recur_cell)i)); i++)
    if (m->proj ? recur_cell_projects(c) : w_ih->shape[0] == c->gates * w_hh->shape[1]) {
      *cell = c->id;
      return RECUR_OK;
    }
  char gates[128];
  return recur_fail(RECUR_ERR_SHAPE_MISMATCH, "cannot infer the cell: %s has %lld rows and %s "
                    "%lld columns, a ratio that is no cell's gates (%s)",
                    recur_escape(w_ih->name).s, (long long)w_ih->shape[0],
                    recur_escape(w_hh->name).s, (long long)w_hh->shape[1],
                    cell_list(gates, sizeof gates, 1));
}

/* Names the first weight_hr of a module whose cell has no projection. */
static recur_status unexpected_projection(const module *m, recur_cell cell) {
  size_t i = 0;
  while (m->entries[i].kind != W_HR)
    i++;
  const recur_st_tensor *t = m->entries[i].t;
  return recur_fail(RECUR_ERR_UNEXPECTED_TENSOR, "%s: a projection weight in a %s module (it "
                    "has no weight_hr)", recur_escape(t->name).s, recur_cell_name(cell));
}

/* The layout the file's metadata records: "0" or "1", as tools/export_torch.py and
 * recur.from_torch write PyTorch's flag; absent, time-first. */
static recur_status parse_batch_first(const char *value, int *batch_first) {
  *batch_first = value && strcmp(value, "1") == 0;
  if (!value || *batch_first || strcmp(value, "0") == 0)
    return RECUR_OK;
  return recur_fail(RECUR_ERR_BAD_FILE, "metadata batch_first '%s' is not '0' or '1'",
                    recur_escape(value).s);
}

/* The description, from the metadata (or the layer-0 shapes) and the tensors present. */
static recur_status infer_desc(const module *m, const recur_st_file *file, recur_desc *desc) {
  const char *cell_meta = file->cell;
  const recur_st_tensor *w_ih = find(m, 0, 0, W_IH), *w_hh = find(m, 0, 0, W_HH);
  if (!w_hh)
    return missing(m, W_HH, 0, 0);
  recur_status status = check_ndim2(w_ih);
  if (status == RECUR_OK)
    status = check_ndim2(w_hh);
  if (status != RECUR_OK)
    return status;
  int64_t rows = w_ih->shape[0], hh_cols = w_hh->shape[1];

  *desc = (recur_desc){.input_size = w_ih->shape[1], .num_layers = m->layers,
                       .bidirectional = m->reverse, .bias = m->bias};
  if ((status = parse_batch_first(file->batch_first, &desc->batch_first)) != RECUR_OK)
    return status;
  if (cell_meta) {
    if ((status = parse_cell(cell_meta, &desc->cell)) != RECUR_OK)
      return status;
    if (!m->proj && rows != recur_cell_gates(desc->cell) * hh_cols)
      return recur_fail(RECUR_ERR_SHAPE_MISMATCH, "metadata cell '%s' has %lld gates, but %s "
                        "has %lld rows and %s %lld columns", recur_escape(cell_meta).s,
                        (long long)recur_cell_gates(desc->cell), recur_escape(w_ih->name).s,
                        (long long)rows, recur_escape(w_hh->name).s, (long long)hh_cols);
  } else if ((status = guess_cell(m, w_ih, w_hh, &desc->cell)) != RECUR_OK) {
    return status;
  }

  int64_t gates = recur_cell_gates(desc->cell);
  if (rows % gates != 0)
    return recur_fail(RECUR_ERR_SHAPE_MISMATCH, "%s: %lld rows, not a multiple of the %lld gates "
                      "of %s", recur_escape(w_ih->name).s, (long long)rows, (long long)gates,
                      recur_cell_name(desc->cell));
  desc->hidden_size = rows / gates;
  if (!m->proj)
    return RECUR_OK;
  if (!recur_cell_projects(recur_cell_get(desc->cell)))
    return unexpected_projection(m, desc->cell);
  const recur_st_tensor *w_hr = find(m, 0, 0, W_HR);
  if (!w_hr)
    return missing(m, W_HR, 0, 0);
  if ((status = check_ndim2(w_hr)) != RECUR_OK)
    return status;
  desc->proj_size = w_hr->shape[0];
  if (desc->proj_size >= desc->hidden_size)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "%s: projection size %lld must be smaller than "
                      "the hidden size %lld", recur_escape(w_hr->name).s,
                      (long long)desc->proj_size, (long long)desc->hidden_size);
  return RECUR_OK;
}

/* What a load holds at its peak, checked as one sum before anything more is allocated: held
 * (the bytes of the file recur read), the fp32 copies of tensors that cannot be used in place,
 * and the weights twice: recur_net_create copies them, then packs them for the kernels (the
 * scalar table packs nothing, so there this counts one copy too many). */
static recur_status check_load_memory(size_t held, size_t converted, size_t weights) {
  size_t total;
  if (!recur_add_size(held, converted, &total) || !recur_add_size(total, weights, &total) ||
      !recur_add_size(total, weights, &total))
    return recur_fail(RECUR_ERR_LIMIT, "loading the model needs more bytes than size_t holds");
  char what[200];
  snprintf(what, sizeof what, "loading the model (%zu bytes of file, %zu converted to fp32, "
           "twice %zu of weights)", held, converted, weights);
  return recur_check_memory(what, total);
}

/* Hands the module's tensors (no stray is left) to recur_net_create_ex as fp32, in place where
 * the file's bytes are fp32 already, else converted into one block (exactly: BF16 and F16
 * values are floats; the options alone decide the network's precision). recur_net_create_ex
 * checks that every tensor the description needs is there, with its shape; its messages name
 * tensors without the module prefix, so the prefix is put back. */
static recur_status create(recur_net **out, const module *m, const recur_desc *desc,
                           size_t held, const recur_net_options *options) {
  size_t n = 0, count = 0, converted = 0;
  for (size_t i = 0; i < m->n; i++) {
    const recur_st_tensor *t = m->entries[i].t;
    if (!recur_add_size(count, t->count, &count) ||
        (!recur_st_f32_view(t) && !recur_add_size(converted, t->count, &converted)))
      return recur_fail(RECUR_ERR_INVALID_SIZE, "model: the weights' element count overflows");
  }
  if (count > SIZE_MAX / sizeof(float))
    return recur_fail(RECUR_ERR_INVALID_SIZE, "model: %zu weights overflow the byte count", count);
  recur_status status =
      check_load_memory(held, converted * sizeof(float), count * sizeof(float));
  if (status != RECUR_OK)
    return status;
  recur_tensor *tensors = calloc(m->n, sizeof *tensors);
  float *block = converted ? malloc(converted * sizeof(float)) : NULL;
  if (!tensors || (converted && !block))
    status = recur_fail(RECUR_ERR_OUT_OF_MEMORY, "model: %zu bytes of weights: out of memory",
                        converted * sizeof(float));
  for (size_t i = 0, at = 0; i < m->n && status == RECUR_OK; i++) {
    const recur_st_tensor *t = m->entries[i].t;
    const float *data = recur_st_f32_view(t);
    if (!data) {
      if ((status = recur_st_to_f32(t, block + at)) != RECUR_OK)
        break;
      data = block + at;
      at += t->count;
    }
    tensors[n++] = (recur_tensor){.name = t->name + m->prefix_len, .data = data,
                                  .ndim = t->ndim, .shape = {t->shape[0], t->shape[1]}};
  }
  if (status == RECUR_OK && (status = recur_net_create_ex(out, desc, tensors, n, options)) != RECUR_OK &&
      m->prefix_len) {
    char detail[1024];
    snprintf(detail, sizeof detail, "%s", recur_last_error());
    recur_fail(status, "%s%s", recur_escape(m->prefix).s, detail);
  }
  free(block);
  free(tensors);
  return status;
}

/* A network from a model file's bytes; held: what recur holds for this load already. */
static recur_status load(recur_net **out, const uint8_t *buf, size_t len, const char *prefix,
                         size_t held, const recur_net_options *options) {
  recur_st_file file;
  recur_status status = recur_st_parse(buf, len, &file);
  if (status != RECUR_OK)
    return status;
  char *module_name;
  status = module_prefix(&file, prefix, &module_name);
  module m = {.prefix = module_name, .prefix_len = module_name ? strlen(module_name) : 0};
  recur_desc desc;
  if (status == RECUR_OK && (status = collect(&file, &m)) == RECUR_OK) {
    decide(&m);
    if ((status = check_strays(&m)) == RECUR_OK && (status = check_gaps(&m)) == RECUR_OK)
      status = infer_desc(&m, &file, &desc);
  }
  if (status == RECUR_OK)
    status = create(out, &m, &desc, held, options);
  free(m.entries);
  free(module_name);
  recur_st_free(&file);
  return status;
}

recur_status recur_net_load_memory(recur_net **out, const void *buf, size_t len,
                                   const char *prefix) {
  return recur_net_load_memory_ex(out, buf, len, prefix, NULL);
}

recur_status recur_net_load_memory_ex(recur_net **out, const void *buf, size_t len,
                                      const char *prefix, const recur_net_options *options) {
  if (!out)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_load_memory: out is NULL");
  *out = NULL;
  if (!buf && len)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_load_memory: buf is NULL");
  recur_status status = recur_net_check_options(options);
  if (status != RECUR_OK)
    return status;
  return load(out, buf, len, prefix, 0, options); /* the caller's buffer is not recur's to count */
}

recur_status recur_net_load(recur_net **out, const char *path, const char *prefix) {
  return recur_net_load_ex(out, path, prefix, NULL);
}

recur_status recur_net_load_ex(recur_net **out, const char *path, const char *prefix,
                               const recur_net_options *options) {
  if (!out)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_load: out is NULL");
  *out = NULL;
  if (!path)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_load: path is NULL");
  recur_status status = recur_net_check_options(options);
  if (status != RECUR_OK)
    return status;
  recur_file_bytes file;
  status = recur_read_file(path, &file);
  if (status != RECUR_OK)
    return status;
  status = load(out, file.data, file.size, prefix, file.size, options);
  recur_free_file(&file);
  return status;
}

recur_status recur_model_read(const char *path, void **data, size_t *size) {
  if (!data || !size)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_model_read: %s is NULL",
                      !data ? "data" : "size");
  *data = NULL;
  *size = 0;
  if (!path)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_model_read: path is NULL");
  recur_file_bytes file;
  recur_status status = recur_read_file(path, &file);
  if (status != RECUR_OK)
    return status;
  *data = file.data;
  *size = file.size;
  return RECUR_OK;
}

void recur_model_free(void *data) {
  free(data);
}
