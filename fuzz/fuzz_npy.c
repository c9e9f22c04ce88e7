/* Fuzz target: .npy bytes through recur_npy_load_memory, then recur_npy_load_memory_as to
 * float32 and to int64 (the conversions the command line makes). An array that loads must be
 * consistent (the dtype asked for, ndim, count = product of the shape, at most one element
 * per byte of the file) and its data readable to the end. */
#include <string.h>

#include "fuzz_target.h"
#include "recur.h"

static size_t item_size(recur_dtype dtype) {
  switch (dtype) {
  case RECUR_DTYPE_F32: return 4;
  case RECUR_DTYPE_I32: return 4;
  case RECUR_DTYPE_I64: return 8;
  }
  fuzz_fail("unknown dtype %d", (int)dtype);
}

static void check_array(const recur_array *a, size_t input_size) {
  if (a->ndim < 0 || a->ndim > RECUR_NPY_MAX_DIMS)
    fuzz_fail("ndim %d", a->ndim);
  size_t count = 1;
  for (int i = 0; i < a->ndim; i++) {
    if (a->shape[i] < 0)
      fuzz_fail("negative dimension %lld", (long long)a->shape[i]);
    if (__builtin_mul_overflow(count, (size_t)a->shape[i], &count))
      fuzz_fail("the shape's element count overflows");
  }
  if (count != a->count)
    fuzz_fail("count %zu, but the shape holds %zu", a->count, count);
  if (count > input_size)
    fuzz_fail("more elements than the %zu-byte file holds", input_size);
  size_t bytes = count * item_size(a->dtype);
  if (!a->data)
    fuzz_fail("NULL data");
  /* Reads every byte, so that a short buffer is a sanitizer error. */
  unsigned sum = 0;
  for (size_t i = 0; i < bytes; i++)
    sum += ((const uint8_t *)a->data)[i];
  volatile unsigned sink = sum;
  (void)sink;
}

/* One load: as the file is (want < 0), or as want. */
static void load(const uint8_t *data, size_t size, int want) {
  recur_array *a = (recur_array *)&a;
  /* an empty input still needs a non-NULL pointer: NULL is the caller's error */
  const uint8_t *buf = size ? data : (const uint8_t *)"";
  recur_status st = want < 0 ? recur_npy_load_memory(buf, size, &a)
                             : recur_npy_load_memory_as(buf, size, (recur_dtype)want, &a);
  if (st != RECUR_OK) {
    if (a)
      fuzz_fail("failed load (%d) left an array", st);
    if (strcmp(recur_status_string(st), "unknown recur_status") == 0)
      fuzz_fail("failed load without a known status (%d)", st);
    fuzz_check_detail(recur_last_error());
    return;
  }
  if (!a)
    fuzz_fail("successful load without an array");
  if (want >= 0 && a->dtype != (recur_dtype)want)
    fuzz_fail("loaded as dtype %d, asked for %d", (int)a->dtype, want);
  check_array(a, size);
  recur_array_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  load(data, size, -1);
  load(data, size, RECUR_DTYPE_F32);
  load(data, size, RECUR_DTYPE_I64);
  return 0;
}
