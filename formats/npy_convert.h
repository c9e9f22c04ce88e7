/* A .npy file's elements into a recur_array: the element types the reader knows, and their
 * conversion to recur's dtypes, from either byte order and from C or Fortran order. */
#ifndef RECUR_NPY_CONVERT_H
#define RECUR_NPY_CONVERT_H

#include <stddef.h>
#include <stdint.h>

#include "recur.h"

/* An element type by numpy's kind letter and size: 'f' float, 'i' signed and 'u' unsigned
 * integer, 'b' bool. */
typedef struct npy_type {
  char kind;
  unsigned char size;
  const char *name; /* numpy's name, for messages: "float64" */
} npy_type;

/* The type of descr's kind letter and size digit ("f8": float64), or NULL if the reader has
 * none such. */
const npy_type *recur_npy_type(char kind, char size);

/* What recur_npy_load makes of a type: float32 for floats, int32 for bool and the integers
 * that fit it, int64 for the others. */
recur_dtype recur_npy_natural_dtype(const npy_type *t);

/* A file's elements as they lie: count of type t, byte-swapped if swap, in Fortran order
 * (first axis fastest) if fortran. */
typedef struct npy_elements {
  const uint8_t *data;
  const npy_type *type;
  int swap, fortran;
  int ndim;
  const int64_t *shape;
  size_t count;
} npy_elements;

/* Converts e into dst, count elements of want in C order and native byte order, as numpy's
 * astype does: floats rounded to nearest, integers to float32 rounded beyond 2^24, bool as 0
 * and 1. An integer want takes integers and bool (not floats), each value within its range.
 * name is the file, for messages. */
recur_status recur_npy_convert(const npy_elements *e, recur_dtype want, void *dst,
                               const char *name);

#endif
