/* Test helper: outputs are filled before every call with a value recur never writes, so that an
 * element it fails to write shows. Zeros would not (a fresh allocation's zeros pass for the
 * zeros PyTorch writes past a row's length), nor would a NaN where a NaN is wanted. Where two
 * runs are compared, each side is filled with its own value (WANT_POISON, OUT_POISON), so that
 * an element that both fail to write differs too. */
#ifndef RECUR_TEST_POISON_H
#define RECUR_TEST_POISON_H

#include <stddef.h>

#define OUT_POISON (-0x1.2345p100f)
#define WANT_POISON (0x1.6789p101f)

/* Fills n floats of p (NULL: none) with value. */
static inline void poison_outputs(float *p, size_t n, float value) {
  for (size_t i = 0; p && i < n; i++) p[i] = value;
}

#endif
