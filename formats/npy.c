/* NumPy .npy files: a strict reader for the header numpy writes (its elements converted by
 * npy_convert.c), and a float32 writer.
 *
 * Layout: "\x93NUMPY", major, minor, header length (u16 LE in 1.0, u32 LE in 2.0 and 3.0),
 * then a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ending in '\n', then the raw elements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "npy_convert.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64
#define NPY_MEMORY_NAME "<memory>" /* stands for the path in messages */
#define HOST_IS_BIG (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
#define NPY_NATURAL ((recur_dtype)-1) /* a load without a wanted dtype: the file's own */

typedef struct npy_header {
  const char *descr;
  size_t descr_len;
  int fortran_order;
  int ndim;
  int64_t shape[RECUR_NPY_MAX_DIMS];
  /* decoded from descr */
  const npy_type *type;
  int swap; /* the file's byte order is not the host's */
} npy_header;

/* ---------------------------------------------------------------------------------------- */
/* The header dict                                                                           */

typedef struct cursor {
  const char *start, *p, *end;
  const char *name; /* the file, for messages */
} cursor;

static recur_status malformed(const cursor *c, const char *what) {
  return recur_fail(RECUR_ERR_BAD_FILE, "%s: malformed .npy header: %s at header byte %zu",
                    c->name, what, (size_t)(c->p - c->start));
}

static void skip_space(cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
    c->p++;
}

/* Skips spaces, then consumes ch if it comes next. */
static int accept(cursor *c, char ch) {
  skip_space(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

static int accept_word(cursor *c, const char *word) {
  size_t n = strlen(word);
  skip_space(c);
  if ((size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0) {
    c->p += n;
    return 1;
  }
  return 0;
}

/* A quoted string of printable ASCII without escapes; *s points into the header. */
static recur_status parse_string(cursor *c, const char **s, size_t *len) {
  skip_space(c);
  if (c->p == c->end || (*c->p != '\'' && *c->p != '"'))
    return malformed(c, "expected a quoted string");
  char quote = *c->p++;
  const char *begin = c->p;
  for (; c->p < c->end && *c->p != quote; c->p++) {
    if (*c->p < 0x20 || *c->p > 0x7e || *c->p == '\\')
      return malformed(c, "unexpected character in string");
  }
  if (c->p == c->end)
    return malformed(c, "unterminated string");
  *s = begin;
  *len = (size_t)(c->p - begin);
  c->p++;
  return RECUR_OK;
}

static recur_status parse_dim(cursor *c, int64_t *out) {
  int negative = accept(c, '-');
  if (c->p == c->end || *c->p < '0' || *c->p > '9')
    return malformed(c, "expected a dimension");
  int64_t v = 0;
  for (; c->p < c->end && *c->p >= '0' && *c->p <= '9'; c->p++) {
    int digit = *c->p - '0';
    if (v > (INT64_MAX - digit) / 10)
      return recur_fail(RECUR_ERR_BAD_FILE, "%s: dimension too large in shape", c->name);
    v = v * 10 + digit;
  }
  if (negative && v != 0)
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: negative dimension -%lld in shape", c->name,
                      (long long)v);
  *out = v;
  return RECUR_OK;
}

/* A Python tuple of integers: (), (5,), (2, 3) or (2, 3,). (5) is an int, not a tuple. */
static recur_status parse_shape(cursor *c, npy_header *h) {
  if (!accept(c, '('))
    return malformed(c, "shape is not a tuple");
  h->ndim = 0;
  if (accept(c, ')'))
    return RECUR_OK;
  for (;;) {
    if (h->ndim == RECUR_NPY_MAX_DIMS)
      return recur_fail(RECUR_ERR_BAD_FILE, "%s: shape has more than %d dimensions", c->name,
                        RECUR_NPY_MAX_DIMS);
    recur_status s = parse_dim(c, &h->shape[h->ndim++]);
    if (s)
      return s;
    if (accept(c, ')'))
      return h->ndim == 1 ? malformed(c, "shape (n) is not a tuple; expected (n,)") : RECUR_OK;
    if (!accept(c, ','))
      return malformed(c, "expected ',' or ')' in shape");
    if (accept(c, ')'))
      return RECUR_OK;
  }
}

enum { KEY_DESCR, KEY_FORTRAN_ORDER, KEY_SHAPE, N_KEYS };
static const char *const keys[N_KEYS] = {"descr", "fortran_order", "shape"};

static recur_status parse_value(cursor *c, const char *key, size_t key_len, npy_header *h,
                                unsigned *seen) {
  unsigned k = 0;
  while (k < N_KEYS && !(strlen(keys[k]) == key_len && memcmp(keys[k], key, key_len) == 0))
    k++;
  if (k == N_KEYS)
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: unknown key '%s' in .npy header", c->name,
                      recur_escape_n(key, key_len).s);
  if (*seen & (1u << k))
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: duplicate key '%s' in .npy header", c->name,
                      keys[k]);
  *seen |= 1u << k;
  switch (k) {
  case KEY_DESCR:
    skip_space(c);
    if (c->p < c->end && *c->p == '[')
      return recur_fail(RECUR_ERR_UNSUPPORTED, "%s: structured dtypes are not supported",
                        c->name);
    return parse_string(c, &h->descr, &h->descr_len);
  case KEY_FORTRAN_ORDER:
    if (accept_word(c, "True"))
      h->fortran_order = 1;
    else if (accept_word(c, "False"))
      h->fortran_order = 0;
    else
      return malformed(c, "fortran_order is not True or False");
    return RECUR_OK;
  default:
    return parse_shape(c, h);
  }
}

/* {key: value, ...} with each of the three keys exactly once, in any order. */
static recur_status parse_dict(cursor *c, npy_header *h) {
  unsigned seen = 0;
  if (!accept(c, '{'))
    return malformed(c, "expected '{'");
  while (!accept(c, '}')) {
    const char *key;
    size_t key_len;
    recur_status s = parse_string(c, &key, &key_len);
    if (s)
      return s;
    if (!accept(c, ':'))
      return malformed(c, "expected ':'");
    if ((s = parse_value(c, key, key_len, h, &seen)))
      return s;
    if (!accept(c, ',')) {
      if (!accept(c, '}'))
        return malformed(c, "expected ',' or '}'");
      break;
    }
  }
  skip_space(c);
  if (c->p != c->end)
    return malformed(c, "unexpected text after '}'");
  for (unsigned k = 0; k < N_KEYS; k++) {
    if (!(seen & (1u << k)))
      return recur_fail(RECUR_ERR_BAD_FILE, "%s: .npy header lacks '%s'", c->name, keys[k]);
  }
  return RECUR_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Reading                                                                                   */

/* '<' and '>' are explicit byte orders, '=' is the reader's (numpy's meaning); '|' (no order)
 * is only valid for single bytes. */
static recur_status parse_descr(npy_header *h, const char *name) {
  const char *d = h->descr;
  const npy_type *t = h->descr_len == 3 ? recur_npy_type(d[1], d[2]) : NULL;
  if (t && memchr(t->size == 1 ? "<>=|" : "<>=", d[0], t->size == 1 ? 4 : 3)) {
    h->type = t;
    h->swap = t->size > 1 && d[0] == (HOST_IS_BIG ? '<' : '>');
    return RECUR_OK;
  }
  return recur_fail(RECUR_ERR_UNSUPPORTED, "%s: dtype '%s' not supported (float16, float32, "
                    "float64, integers of 1 to 8 bytes, bool)", name,
                    recur_escape_n(d, h->descr_len).s);
}

/* The element count and byte size of a shape of non-negative dimensions; 0 on overflow. */
static int shape_size(int ndim, const int64_t *shape, size_t itemsize, size_t *count,
                      size_t *bytes) {
  size_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if ((uint64_t)shape[i] > SIZE_MAX || !recur_mul_size(n, (size_t)shape[i], &n))
      return 0;
  }
  *count = n;
  return recur_mul_size(n, itemsize, bytes);
}

/* The array of want (NPY_NATURAL: the type's own, recur_npy_natural_dtype) converted from
 * e; a wanted integer dtype takes integer types only. held is what the caller already holds
 * for the file, counted with the array against the memory limit. */
static recur_status make_array(const npy_header *h, const npy_elements *e, recur_dtype want,
                               size_t held, const char *name, recur_array **out) {
  if (want == NPY_NATURAL)
    want = recur_npy_natural_dtype(e->type);
  else if (want != RECUR_DTYPE_F32 && e->type->kind != 'i' && e->type->kind != 'u')
    return recur_fail(RECUR_ERR_UNSUPPORTED, "%s: dtype %s, expected integers", name,
                      e->type->name);
  size_t bytes, total;
  if (!recur_mul_size(e->count, want == RECUR_DTYPE_I64 ? 8 : 4, &bytes) ||
      !recur_add_size(held, bytes, &total))
    total = SIZE_MAX;
  recur_status s = recur_check_memory(name, total);
  if (s)
    return s;
  recur_array *a = calloc(1, sizeof *a);
  /* one byte for an empty array, so that data is never NULL */
  if (!a || posix_memalign(&a->data, 64, bytes ? bytes : 1) != 0) {
    free(a);
    return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "cannot allocate %zu bytes for an array", bytes);
  }
  a->dtype = want;
  a->ndim = h->ndim;
  memcpy(a->shape, h->shape, sizeof h->shape);
  a->count = e->count;
  if ((s = recur_npy_convert(e, want, a->data, name))) {
    recur_array_free(a);
    return s;
  }
  *out = a;
  return RECUR_OK;
}

static uint32_t read_le(const uint8_t *p, size_t n) {
  uint32_t v = 0;
  while (n--)
    v = v << 8 | p[n];
  return v;
}

static recur_status npy_parse(const uint8_t *buf, size_t len, recur_dtype want, size_t held,
                              const char *name, recur_array **out) {
  if (len < NPY_MAGIC_LEN || memcmp(buf, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: not a .npy file (no \\x93NUMPY magic)", name);
  if (len < NPY_MAGIC_LEN + 2)
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: truncated in the .npy preamble", name);
  unsigned major = buf[6], minor = buf[7];
  if (major < 1 || major > 3 || minor != 0)
    return recur_fail(RECUR_ERR_UNSUPPORTED, "%s: .npy format version %u.%u not supported "
                      "(1.0, 2.0 and 3.0 are)", name, major, minor);
  size_t len_size = major == 1 ? 2 : 4;
  size_t preamble = NPY_MAGIC_LEN + 2 + len_size;
  if (len < preamble)
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: truncated in the .npy preamble", name);
  size_t header_len = read_le(buf + NPY_MAGIC_LEN + 2, len_size);
  if (header_len > len - preamble)
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: .npy header length %zu runs past the end of the "
                      "file (%zu bytes)", name, header_len, len);
  const char *header = (const char *)buf + preamble;
  if (header_len == 0 || header[header_len - 1] != '\n')
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: .npy header does not end in a newline", name);

  npy_header h = {0};
  cursor c = {header, header, header + header_len - 1, name};
  recur_status s = parse_dict(&c, &h);
  if (s)
    return s;
  if ((s = parse_descr(&h, name)))
    return s;
  size_t count, bytes;
  if (!shape_size(h.ndim, h.shape, h.type->size, &count, &bytes))
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: shape is too large (its size overflows)", name);
  const uint8_t *data = buf + preamble + header_len;
  size_t data_len = len - preamble - header_len;
  if (data_len != bytes)
    return recur_fail(RECUR_ERR_BAD_FILE, "%s: %zu bytes of data, but the shape and dtype "
                      "need %zu", name, data_len, bytes);
  npy_elements e = {data, h.type, h.swap, h.fortran_order, h.ndim, h.shape, count};
  return make_array(&h, &e, want, held, name, out);
}

static recur_status load_file(const char *path, recur_dtype want, recur_array **out) {
  recur_file_bytes file;
  recur_status s = recur_read_file(path, &file);
  if (s)
    return s;
  s = npy_parse(file.data, file.size, want, file.size, path, out);
  recur_free_file(&file);
  return s;
}

/* The checks every loader makes first; want is a dtype or NPY_NATURAL. */
static recur_status check_load(const char *fn, const void *from, const char *from_name,
                               recur_dtype want, recur_array **out) {
  if (out)
    *out = NULL;
  if (!out || !from)
    return recur_fail(RECUR_ERR_NULL_POINTER, "%s: %s is NULL", fn, out ? from_name : "out");
  if (want != NPY_NATURAL && want != RECUR_DTYPE_F32 && want != RECUR_DTYPE_I32 &&
      want != RECUR_DTYPE_I64)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "%s: want %d is not a recur_dtype", fn,
                      (int)want);
  return RECUR_OK;
}

recur_status recur_npy_load(const char *path, recur_array **out) {
  recur_status s = check_load("recur_npy_load", path, "path", NPY_NATURAL, out);
  return s ? s : load_file(path, NPY_NATURAL, out);
}

recur_status recur_npy_load_as(const char *path, recur_dtype want, recur_array **out) {
  recur_status s = check_load("recur_npy_load_as", path, "path", want, out);
  return s ? s : load_file(path, want, out);
}

recur_status recur_npy_load_memory(const void *buf, size_t len, recur_array **out) {
  recur_status s = check_load("recur_npy_load_memory", buf, "buf", NPY_NATURAL, out);
  return s ? s : npy_parse(buf, len, NPY_NATURAL, 0, NPY_MEMORY_NAME, out);
}

recur_status recur_npy_load_memory_as(const void *buf, size_t len, recur_dtype want,
                                      recur_array **out) {
  recur_status s = check_load("recur_npy_load_memory_as", buf, "buf", want, out);
  return s ? s : npy_parse(buf, len, want, 0, NPY_MEMORY_NAME, out);
}

void recur_array_free(recur_array *array) {
  if (!array)
    return;
  free(array->data);
  free(array);
}

/* ---------------------------------------------------------------------------------------- */
/* Writing                                                                                   */

/* The preamble is at most 256 bytes (8 dimensions of 19 digits, then padding). */
#define NPY_HEAD_CAP 512

/* Magic, version 1.0, header length and dict, padded with spaces so that the data starts at
 * a multiple of NPY_ALIGN: byte for byte what numpy writes. (numpy also pads for shape[0] to
 * grow to 21 digits; that changes the length only for shapes too large to allocate.)
 * Returns the preamble's size. */
static size_t format_header(char *head, int ndim, const int64_t *shape) {
  char *p = head + NPY_MAGIC_LEN + 4, *end = head + NPY_HEAD_CAP;
  p += snprintf(p, (size_t)(end - p), "{'descr': '%s', 'fortran_order': False, 'shape': (",
                HOST_IS_BIG ? ">f4" : "<f4");
  for (int i = 0; i < ndim; i++)
    p += snprintf(p, (size_t)(end - p), "%s%lld", i ? ", " : "", (long long)shape[i]);
  p += snprintf(p, (size_t)(end - p), "%s), }", ndim == 1 ? "," : "");
  size_t used = (size_t)(p - head) + 1; /* + the final '\n' */
  size_t total = (used / NPY_ALIGN + 1) * NPY_ALIGN; /* numpy pads even when aligned */
  memset(p, ' ', (size_t)(head + total - 1 - p));
  head[total - 1] = '\n';

  size_t header_len = total - (NPY_MAGIC_LEN + 4);
  memcpy(head, NPY_MAGIC, NPY_MAGIC_LEN);
  head[6] = 1;
  head[7] = 0;
  head[8] = (char)(header_len & 0xff);
  head[9] = (char)(header_len >> 8);
  return total;
}

/* Checks recur_npy_save's arguments and formats the preamble into head: its length in
 * *head_len, the data's in *bytes. */
static recur_status prepare_save(const char *path, const float *data, int ndim,
                                 const int64_t *shape, char head[NPY_HEAD_CAP], size_t *head_len,
                                 size_t *bytes) {
  if (!path)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_npy_save: path is NULL");
  if (ndim < 0 || ndim > RECUR_NPY_MAX_DIMS)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "%s: ndim %d outside 0..%d", path, ndim,
                      RECUR_NPY_MAX_DIMS);
  if (ndim > 0 && !shape)
    return recur_fail(RECUR_ERR_NULL_POINTER, "%s: shape is NULL", path);
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return recur_fail(RECUR_ERR_INVALID_SIZE, "%s: dimension %d is negative (%lld)", path, i,
                        (long long)shape[i]);
  }
  size_t count;
  if (!shape_size(ndim, shape, sizeof(float), &count, bytes))
    return recur_fail(RECUR_ERR_INVALID_SIZE, "%s: shape is too large (its size overflows)",
                      path);
  if (count > 0 && !data)
    return recur_fail(RECUR_ERR_NULL_POINTER, "%s: data is NULL", path);
  *head_len = format_header(head, ndim, shape);
  return RECUR_OK;
}

recur_status recur_npy_save(const char *path, const float *data, int ndim,
                            const int64_t *shape) {
  char head[NPY_HEAD_CAP];
  size_t head_len, bytes;
  recur_status s = prepare_save(path, data, ndim, shape, head, &head_len, &bytes);
  return s ? s : recur_write_file_atomic(path, head, head_len, data, bytes);
}

recur_status recur_npy_save_check(const char *path) {
  if (!path)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_npy_save_check: path is NULL");
  recur_file_id id;
  return recur_check_output(path, &id);
}

recur_status recur_npy_stage(recur_staging *staging, const char *path, const float *data,
                             int ndim, const int64_t *shape) {
  char head[NPY_HEAD_CAP];
  size_t head_len, bytes;
  recur_status s = prepare_save(path, data, ndim, shape, head, &head_len, &bytes);
  return s ? s : recur_stage_file(staging, path, head, head_len, data, bytes);
}
