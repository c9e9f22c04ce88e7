/* The safetensors container: validation and the tensor table (no RNN knowledge here). */
#ifndef RECUR_SAFETENSORS_H
#define RECUR_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "recur.h"

#define RECUR_ST_MAX_HEADER (100u * 1000u * 1000u) /* the reference implementation's cap */
#define RECUR_ST_MAX_DIMS 8
/* Header entries (tensors, and __metadata__) at most: 40960 is the most a recur network has
 * (4096 layers, 2 directions, 5 kinds), and jansson holds about a kilobyte per entry. */
#define RECUR_ST_MAX_ENTRIES 65536

typedef enum recur_st_dtype {
  RECUR_ST_F64, RECUR_ST_F32, RECUR_ST_F16, RECUR_ST_BF16,
  RECUR_ST_I64, RECUR_ST_I32, RECUR_ST_I16, RECUR_ST_I8, RECUR_ST_U8,
  RECUR_ST_U16, RECUR_ST_U32, RECUR_ST_U64, RECUR_ST_BOOL,
  RECUR_ST_F8_E4M3, RECUR_ST_F8_E5M2
} recur_st_dtype;

typedef struct recur_st_tensor {
  char *name;
  recur_st_dtype dtype;
  int ndim;
  int64_t shape[RECUR_ST_MAX_DIMS];
  size_t count;        /* product of shape */
  const uint8_t *data; /* points into the caller's buffer */
  size_t nbytes;
} recur_st_tensor;

typedef struct recur_st_file {
  recur_st_tensor *tensors;
  size_t n_tensors;
  char *cell;        /* __metadata__["cell"], or NULL */
  char *batch_first; /* __metadata__["batch_first"], or NULL */
} recur_st_file;

/* Parses and validates a whole safetensors buffer like the reference implementation: header
 * length cap, JSON object (jansson, duplicates rejected), known dtype strings, shapes whose
 * product times the dtype size equals the byte range, data offsets contiguous from 0,
 * non-overlapping and covering the data section exactly. Tensors point into buf and come
 * sorted by offset. Malformed or truncated input is RECUR_ERR_BAD_FILE, a header over
 * RECUR_ST_MAX_HEADER bytes or RECUR_ST_MAX_ENTRIES entries RECUR_ERR_LIMIT (the entries are
 * counted before the header is parsed), more than RECUR_ST_MAX_DIMS dims
 * RECUR_ERR_UNSUPPORTED. */
recur_status recur_st_parse(const uint8_t *buf, size_t len, recur_st_file *out);
void recur_st_free(recur_st_file *file);

/* Converts a F32/F16/BF16/F64 tensor to fp32 (little-endian file data) into dst
 * (t->count floats); other dtypes are RECUR_ERR_UNSUPPORTED naming the tensor. */
recur_status recur_st_to_f32(const recur_st_tensor *t, float *dst);

/* t's data as floats when the network can use them in place (F32 on a little-endian host,
 * aligned for floats: no copy); NULL when t needs recur_st_to_f32. */
const float *recur_st_f32_view(const recur_st_tensor *t);

#endif
