/* The safetensors container: an 8-byte little-endian header length, a JSON header (parsed by
 * jansson) describing each tensor, then the data section. Every check the reference
 * implementation makes is made here, and every failure names the tensor and the numbers. */
#include "safetensors.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const struct {
  const char *name;
  size_t size;
} dtype_info[] = {
    [RECUR_ST_F64] = {"F64", 8},   [RECUR_ST_F32] = {"F32", 4},
    [RECUR_ST_F16] = {"F16", 2},   [RECUR_ST_BF16] = {"BF16", 2},
    [RECUR_ST_I64] = {"I64", 8},   [RECUR_ST_I32] = {"I32", 4},
    [RECUR_ST_I16] = {"I16", 2},   [RECUR_ST_I8] = {"I8", 1},
    [RECUR_ST_U8] = {"U8", 1},     [RECUR_ST_U16] = {"U16", 2},
    [RECUR_ST_U32] = {"U32", 4},   [RECUR_ST_U64] = {"U64", 8},
    [RECUR_ST_BOOL] = {"BOOL", 1}, [RECUR_ST_F8_E4M3] = {"F8_E4M3", 1},
    [RECUR_ST_F8_E5M2] = {"F8_E5M2", 1},
};
#define N_DTYPES (sizeof dtype_info / sizeof dtype_info[0])

/* Little-endian loads from bytes, so any alignment and host byte order work. */
static uint64_t load_le(const uint8_t *p, int nbytes) {
  uint64_t v = 0;
  for (int i = nbytes - 1; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* A JSON integer that is >= 0 and fits size_t; 0 if the value is anything else. */
static int json_to_size(const json_t *v, size_t *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0 ||
      (unsigned long long)json_integer_value(v) > SIZE_MAX)
    return 0;
  *out = (size_t)json_integer_value(v);
  return 1;
}

/* name: the tensor's, escaped (recur_escape), for messages, as in the parsers below. */
static recur_status parse_dtype(const char *name, json_t *v, recur_st_tensor *t) {
  if (!json_is_string(v))
    return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': dtype is not a string", name);
  for (size_t i = 0; i < N_DTYPES; i++) {
    if (strcmp(json_string_value(v), dtype_info[i].name) == 0) {
      t->dtype = (recur_st_dtype)i;
      return RECUR_OK;
    }
  }
  return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': unknown dtype '%s'", name,
                    recur_escape(json_string_value(v)).s);
}

static recur_status parse_shape(const char *name, json_t *v, recur_st_tensor *t) {
  if (!json_is_array(v))
    return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': shape is not an array", name);
  size_t ndim = json_array_size(v);
  if (ndim > RECUR_ST_MAX_DIMS)
    return recur_fail(RECUR_ERR_UNSUPPORTED, "tensor '%s': %zu dimensions, at most %d supported",
                      name, ndim, RECUR_ST_MAX_DIMS);
  t->ndim = (int)ndim;
  t->count = 1;
  for (size_t d = 0; d < ndim; d++) {
    json_t *dim = json_array_get(v, d);
    size_t n;
    if (!json_to_size(dim, &n))
      return json_is_integer(dim)
                 ? recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': shape[%zu] = %lld is negative",
                              name, d, (long long)json_integer_value(dim))
                 : recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': shape[%zu] is not an integer",
                              name, d);
    t->shape[d] = (int64_t)n;
    if (!recur_mul_size(t->count, n, &t->count)) {
      char shape[256];
      recur_shape_text(shape, sizeof shape, t->shape, (int)d + 1, 0);
      return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': the element count of shape %s... "
                        "overflows", name, shape);
    }
  }
  if (!recur_mul_size(t->count, dtype_info[t->dtype].size, &t->nbytes))
    return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': %zu elements of %s overflow the byte "
                      "count", name, t->count, dtype_info[t->dtype].name);
  return RECUR_OK;
}

/* data_offsets [begin, end] within the data section; sets t->data. */
static recur_status parse_offsets(const char *name, json_t *v, const uint8_t *data,
                                  size_t data_len, recur_st_tensor *t) {
  size_t begin, end;
  if (!json_is_array(v) || json_array_size(v) != 2 ||
      !json_to_size(json_array_get(v, 0), &begin) || !json_to_size(json_array_get(v, 1), &end))
    return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': data_offsets is not a pair of "
                      "non-negative integers", name);
  if (begin > end)
    return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': data_offsets [%zu, %zu] end before "
                      "they begin", name, begin, end);
  if (end > data_len)
    return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': data_offsets [%zu, %zu] go past the "
                      "end of the %zu-byte data section", name, begin, end, data_len);
  if (end - begin != t->nbytes) {
    char shape[128];
    recur_shape_text(shape, sizeof shape, t->shape, t->ndim, 0);
    return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': shape %s of %s takes %zu bytes, "
                      "data_offsets [%zu, %zu] hold %zu", name, shape,
                      dtype_info[t->dtype].name, t->nbytes, begin, end, end - begin);
  }
  t->data = data + begin;
  return RECUR_OK;
}

static recur_status parse_tensor(const char *name, json_t *entry, const uint8_t *data,
                                 size_t data_len, recur_st_tensor *t) {
  if (!*name)
    return recur_fail(RECUR_ERR_BAD_FILE, "safetensors header: empty tensor name");
  const recur_escaped shown = recur_escape(name);
  if (!json_is_object(entry))
    return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': entry is not a JSON object", shown.s);
  const char *key;
  json_t *value;
  json_object_foreach(entry, key, value) {
    if (strcmp(key, "dtype") != 0 && strcmp(key, "shape") != 0 &&
        strcmp(key, "data_offsets") != 0)
      return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': unknown field '%s'", shown.s,
                        recur_escape(key).s);
  }
  static const char *const fields[] = {"dtype", "shape", "data_offsets"};
  for (size_t i = 0; i < 3; i++)
    if (!json_object_get(entry, fields[i]))
      return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': no '%s' field", shown.s, fields[i]);

  recur_status status = parse_dtype(shown.s, json_object_get(entry, "dtype"), t);
  if (status == RECUR_OK)
    status = parse_shape(shown.s, json_object_get(entry, "shape"), t);
  if (status == RECUR_OK)
    status = parse_offsets(shown.s, json_object_get(entry, "data_offsets"), data, data_len, t);
  if (status != RECUR_OK)
    return status;
  t->name = strdup(name);
  return t->name ? RECUR_OK : recur_fail(RECUR_ERR_OUT_OF_MEMORY, "tensor '%s': out of memory",
                                         shown.s);
}

/* A copy of the string __metadata__[key] in *out (NULL when absent). */
static recur_status copy_metadata(const json_t *meta, const char *key, char **out) {
  const json_t *value = json_object_get(meta, key);
  if (value && !(*out = strdup(json_string_value(value))))
    return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "safetensors __metadata__: out of memory");
  return RECUR_OK;
}

static recur_status parse_metadata(json_t *meta, recur_st_file *out) {
  if (!json_is_object(meta))
    return recur_fail(RECUR_ERR_BAD_FILE, "safetensors __metadata__ is not a JSON object");
  const char *key;
  json_t *value;
  json_object_foreach(meta, key, value) {
    if (!json_is_string(value))
      return recur_fail(RECUR_ERR_BAD_FILE, "safetensors __metadata__['%s'] is not a string",
                        recur_escape(key).s);
  }
  recur_status status = copy_metadata(meta, "cell", &out->cell);
  return status ? status : copy_metadata(meta, "batch_first", &out->batch_first);
}

static int by_offset(const void *a, const void *b) {
  const recur_st_tensor *x = a, *y = b;
  if (x->data != y->data)
    return x->data < y->data ? -1 : 1;
  if (x->nbytes != y->nbytes)
    return x->nbytes < y->nbytes ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* Sorted by offset, the tensors must tile the data section exactly. */
static recur_status check_layout(recur_st_file *file, const uint8_t *data, size_t data_len) {
  qsort(file->tensors, file->n_tensors, sizeof *file->tensors, by_offset);
  size_t covered = 0;
  const char *prev = NULL;
  for (size_t i = 0; i < file->n_tensors; i++) {
    const recur_st_tensor *t = &file->tensors[i];
    size_t begin = (size_t)(t->data - data);
    if (begin < covered)
      return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': data_offsets [%zu, %zu] overlap "
                        "tensor '%s', which ends at %zu", recur_escape(t->name).s, begin,
                        begin + t->nbytes, recur_escape(prev).s, covered);
    if (begin > covered)
      return recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': data_offsets [%zu, %zu] leave a gap: "
                        "the bytes before cover only [0, %zu]", recur_escape(t->name).s, begin,
                        begin + t->nbytes, covered);
    covered = begin + t->nbytes;
    prev = t->name;
  }
  if (covered != data_len)
    return recur_fail(RECUR_ERR_BAD_FILE, "safetensors data section holds %zu bytes but the "
                      "tensors cover only %zu", data_len, covered);
  return RECUR_OK;
}

/* Counts the commas between the top-level object's members (outside strings and nested values)
 * up to max, so that a header of too many entries is refused before jansson builds a tree of
 * it. On malformed JSON the count is a guess, and jansson rejects the header anyway. */
static size_t count_entry_commas(const char *s, size_t len, size_t max) {
  size_t commas = 0;
  int64_t depth = 0;
  int in_string = 0;
  for (size_t i = 0; i < len && commas < max; i++) {
    if (in_string) {
      if (s[i] == '\\')
        i++;
      else if (s[i] == '"')
        in_string = 0;
    } else if (s[i] == '"') {
      in_string = 1;
    } else if (s[i] == '{' || s[i] == '[') {
      depth++;
    } else if (s[i] == '}' || s[i] == ']') {
      depth--;
    } else if (s[i] == ',' && depth == 1) {
      commas++;
    }
  }
  return commas;
}

static recur_status parse_header(json_t *root, const uint8_t *data, size_t data_len,
                                 recur_st_file *out) {
  if (!json_is_object(root))
    return recur_fail(RECUR_ERR_BAD_FILE, "safetensors header is not a JSON object");
  /* + 1: calloc(0) may return NULL */
  out->tensors = calloc(json_object_size(root) + 1, sizeof *out->tensors);
  if (!out->tensors)
    return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "safetensors header: %zu tensors: out of memory",
                      json_object_size(root));
  const char *key;
  json_t *value;
  json_object_foreach(root, key, value) {
    recur_status status;
    if (strcmp(key, "__metadata__") == 0) {
      status = parse_metadata(value, out);
    } else {
      status = parse_tensor(key, value, data, data_len, &out->tensors[out->n_tensors]);
      out->n_tensors += status == RECUR_OK;
    }
    if (status != RECUR_OK)
      return status;
  }
  return check_layout(out, data, data_len);
}

recur_status recur_st_parse(const uint8_t *buf, size_t len, recur_st_file *out) {
  if (!out)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_st_parse: out is NULL");
  memset(out, 0, sizeof *out);
  if (!buf && len)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_st_parse: buf is NULL");
  if (len < 8)
    return recur_fail(RECUR_ERR_BAD_FILE, "truncated safetensors file: %zu bytes, fewer than "
                      "the 8 of the header length", len);
  uint64_t header_len = load_le(buf, 8);
  if (header_len > len - 8)
    return recur_fail(RECUR_ERR_BAD_FILE, "truncated safetensors file: header length %llu but "
                      "only %zu bytes follow", (unsigned long long)header_len, len - 8);
  if (header_len > RECUR_ST_MAX_HEADER)
    return recur_fail(RECUR_ERR_LIMIT, "safetensors header of %llu bytes exceeds the limit of "
                      "%u", (unsigned long long)header_len, RECUR_ST_MAX_HEADER);

  if (count_entry_commas((const char *)buf + 8, (size_t)header_len, RECUR_ST_MAX_ENTRIES) ==
      RECUR_ST_MAX_ENTRIES)
    return recur_fail(RECUR_ERR_LIMIT, "safetensors header of more than %d entries (tensors "
                      "and __metadata__) exceeds the limit", RECUR_ST_MAX_ENTRIES);

  json_error_t error;
  json_t *root = json_loadb((const char *)buf + 8, (size_t)header_len, JSON_REJECT_DUPLICATES,
                            &error);
  if (!root)
    return recur_fail(RECUR_ERR_BAD_FILE, "safetensors header is not valid JSON: %s (byte %d)",
                      recur_escape(error.text).s, error.position);
  const uint8_t *data = buf + 8 + header_len;
  recur_status status = parse_header(root, data, len - 8 - (size_t)header_len, out);
  json_decref(root);
  if (status != RECUR_OK)
    recur_st_free(out);
  return status;
}

void recur_st_free(recur_st_file *file) {
  if (!file)
    return;
  for (size_t i = 0; i < file->n_tensors; i++)
    free(file->tensors[i].name);
  free(file->tensors);
  free(file->cell);
  free(file->batch_first);
  memset(file, 0, sizeof *file);
}

static float f32_from_bits(uint32_t bits) {
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) /* inf, or nan keeping its payload */
    return f32_from_bits(sign | 0x7f800000u | mantissa << 13);
  if (exponent == 0) { /* zero or subnormal: mantissa * 2^-24 is exact in fp32 */
    float magnitude = (float)mantissa * 0x1p-24f;
    return sign ? -magnitude : magnitude;
  }
  return f32_from_bits(sign | (exponent + 127 - 15) << 23 | mantissa << 13);
}

const float *recur_st_f32_view(const recur_st_tensor *t) {
  if (t->dtype != RECUR_ST_F32 || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ ||
      (uintptr_t)t->data % _Alignof(float) != 0)
    return NULL;
  return (const float *)(const void *)t->data;
}

recur_status recur_st_to_f32(const recur_st_tensor *t, float *dst) {
  const uint8_t *src = t->data;
  switch (t->dtype) {
  case RECUR_ST_F32:
    for (size_t i = 0; i < t->count; i++)
      dst[i] = f32_from_bits((uint32_t)load_le(src + 4 * i, 4));
    return RECUR_OK;
  case RECUR_ST_F16:
    for (size_t i = 0; i < t->count; i++)
      dst[i] = f16_to_f32((uint16_t)load_le(src + 2 * i, 2));
    return RECUR_OK;
  case RECUR_ST_BF16:
    for (size_t i = 0; i < t->count; i++)
      dst[i] = f32_from_bits((uint32_t)load_le(src + 2 * i, 2) << 16);
    return RECUR_OK;
  case RECUR_ST_F64:
    for (size_t i = 0; i < t->count; i++) {
      uint64_t bits = load_le(src + 8 * i, 8);
      double d;
      memcpy(&d, &bits, sizeof d);
      dst[i] = (float)d; /* rounds to nearest even */
    }
    return RECUR_OK;
  default:
    return recur_fail(RECUR_ERR_UNSUPPORTED, "tensor '%s': dtype %s is not supported (F32, F16, "
                      "BF16 or F64 only)", recur_escape(t->name).s, dtype_info[t->dtype].name);
  }
}
