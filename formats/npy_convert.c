/* A .npy file's elements into recur's dtypes: float16, float32 and float64, signed and
 * unsigned integers of 1 to 8 bytes and bool, from either byte order and from C or Fortran
 * order, converted as numpy's astype converts (so that the command line reads a file as the
 * Python package reads the same array). */
#include <string.h>

#include "internal.h"
#include "npy_convert.h"

static const npy_type types[] = {
    {'f', 2, "float16"}, {'f', 4, "float32"}, {'f', 8, "float64"}, {'i', 1, "int8"},
    {'i', 2, "int16"},   {'i', 4, "int32"},   {'i', 8, "int64"},   {'u', 1, "uint8"},
    {'u', 2, "uint16"},  {'u', 4, "uint32"},  {'u', 8, "uint64"},  {'b', 1, "bool"},
};

const npy_type *recur_npy_type(char kind, char size) {
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (types[i].kind == kind && types[i].size == size - '0')
      return &types[i];
  }
  return NULL;
}

recur_dtype recur_npy_natural_dtype(const npy_type *t) {
  if (t->kind == 'f')
    return RECUR_DTYPE_F32;
  int fits_int32 = t->size < 4 || (t->size == 4 && t->kind == 'i');
  return fits_int32 ? RECUR_DTYPE_I32 : RECUR_DTYPE_I64;
}

static size_t dtype_size(recur_dtype d) { return d == RECUR_DTYPE_I64 ? 8 : 4; }

static const char *dtype_name(recur_dtype d) {
  return d == RECUR_DTYPE_F32 ? "float32" : d == RECUR_DTYPE_I32 ? "int32" : "int64";
}

/* IEEE binary16 to float, exactly; NaN keeps its payload, as numpy's conversion does. */
static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | man << 13;
  } else if (exp == 0) { /* zero or subnormal: man * 2^-24, exact in float */
    float magnitude = (float)man * 0x1p-24f;
    memcpy(&bits, &magnitude, sizeof bits);
    bits |= sign;
  } else {
    bits = sign | (exp + 112) << 23 | man << 13;
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* The element at p of type t, its bytes in native order. */
typedef union element {
  uint8_t bytes[8];
  uint16_t u16;
  uint32_t u32;
  uint64_t u64;
  int8_t i8;
  int16_t i16;
  int32_t i32;
  int64_t i64;
  float f32;
  double f64;
} element;

static element load(const uint8_t *p, size_t size, int swap) {
  element e;
  for (size_t b = 0; b < size; b++)
    e.bytes[b] = p[swap ? size - 1 - b : b];
  return e;
}

/* As float, rounded to nearest (C's conversions, which numpy's astype uses). */
static float to_float(const element *e, const npy_type *t) {
  switch (t->kind) {
  case 'f':
    return t->size == 2 ? half_to_float(e->u16) : t->size == 4 ? e->f32 : (float)e->f64;
  case 'i':
    return t->size == 1 ? e->i8 : t->size == 2 ? e->i16 : t->size == 4 ? (float)e->i32 : (float)e->i64;
  case 'u':
    return t->size == 1 ? e->bytes[0] : t->size == 2 ? e->u16 : t->size == 4 ? (float)e->u32 : (float)e->u64;
  default: /* bool: any byte but 0 is True, as numpy reads it */
    return e->bytes[0] != 0;
  }
}

/* An integer or bool element as int64; 0 for a uint64 past INT64_MAX. */
static int to_int64(const element *e, const npy_type *t, int64_t *v) {
  if (t->kind == 'b') {
    *v = e->bytes[0] != 0;
    return 1;
  }
  if (t->kind == 'i') {
    *v = t->size == 1 ? e->i8 : t->size == 2 ? e->i16 : t->size == 4 ? e->i32 : e->i64;
    return 1;
  }
  *v = t->size == 1 ? e->bytes[0] : t->size == 2 ? e->u16 : t->size == 4 ? (int64_t)e->u32 : (int64_t)e->u64;
  return t->size < 8 || e->u64 <= INT64_MAX;
}

/* The C-order index of the Fortran-order element after the one at *at (index idx). */
static void fortran_step(const npy_elements *e, const size_t *stride, int64_t *idx, size_t *at) {
  for (int k = 0; k < e->ndim; k++) {
    *at += stride[k];
    if (++idx[k] < e->shape[k])
      return;
    *at -= (size_t)e->shape[k] * stride[k];
    idx[k] = 0;
  }
}

recur_status recur_npy_convert(const npy_elements *e, recur_dtype want, void *dst,
                               const char *name) {
  const npy_type *t = e->type;
  size_t size = dtype_size(want);
  int same = t->size == size && t->kind == (want == RECUR_DTYPE_F32 ? 'f' : 'i');
  if (same && !e->swap && (!e->fortran || e->ndim < 2)) { /* as it lies */
    if (e->count)
      memcpy(dst, e->data, e->count * size);
    return RECUR_OK;
  }
  size_t stride[RECUR_NPY_MAX_DIMS]; /* C order's, in elements */
  int64_t idx[RECUR_NPY_MAX_DIMS] = {0};
  for (int k = e->ndim - 1; k >= 0; k--)
    stride[k] = k == e->ndim - 1 ? 1 : stride[k + 1] * (size_t)e->shape[k + 1];
  size_t at = 0;
  for (size_t n = 0; n < e->count; n++) {
    element v = load(e->data + n * t->size, t->size, e->swap);
    int64_t i = 0;
    if (want == RECUR_DTYPE_F32) {
      ((float *)dst)[at] = to_float(&v, t);
    } else if (!to_int64(&v, t, &i) || (want == RECUR_DTYPE_I32 && (i < INT32_MIN || i > INT32_MAX))) {
      return recur_fail(RECUR_ERR_UNSUPPORTED, "%s: element %zu (C order) of dtype %s is past "
                        "%s's range", name, at, t->name, dtype_name(want));
    } else if (want == RECUR_DTYPE_I32) {
      ((int32_t *)dst)[at] = (int32_t)i;
    } else {
      ((int64_t *)dst)[at] = i;
    }
    if (e->fortran)
      fortran_step(e, stride, idx, &at);
    else
      at++;
  }
  return RECUR_OK;
}
