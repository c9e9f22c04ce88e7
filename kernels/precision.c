/* The precisions' descriptors (precision.h) and their names, public through recur.h. */
#include "precision.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "pack.h"

const recur_precision_desc recur_precision_fp32 = {
  .id = RECUR_PRECISION_FP32, .name = "fp32", .rounding = "no rounding: weights, inputs and sums fp32",
  .bytes = sizeof(float), .k_pack = 1, .a_bytes = sizeof(float), .round_weights = recur_round_fp32,
  .pack = recur_pack_fp32};

/* Its panels hold pairs of K (pack.h). */
const recur_precision_desc recur_precision_bf16 = {
  .id = RECUR_PRECISION_BF16, .name = "bf16",
  .rounding = "weights and dot-product inputs rounded to bf16 (RNE), sums fp32",
  .bytes = sizeof(uint16_t), .k_pack = 2, .a_bytes = sizeof(uint16_t),
  .round_weights = recur_round_bf16, .pack = recur_pack_bf16, .convert_a = recur_convert_a_bf16};

/* Its panels hold groups of four K, each tile a scale and a correction per lane (pack.h); an
 * input row is its scale and then its bytes. */
const recur_precision_desc recur_precision_int8 = {
  .id = RECUR_PRECISION_INT8, .name = "int8",
  .rounding = "weights int8 with a scale per output row (at creation), dot-product inputs int8 "
              "with a scale per batch row (each step), exact int32 sums, fp32 gates and states",
  .bytes = sizeof(int8_t), .k_pack = 4, .tile_extra = sizeof(float) + sizeof(int32_t),
  .a_bytes = sizeof(uint8_t), .a_header = sizeof(float), .round_weights = recur_round_int8,
  .pack = recur_pack_int8, .convert_a = recur_convert_a_int8};

#define RECUR_PRECISION_ENTRY(ID, name) [RECUR_PRECISION_##ID] = &recur_precision_##name,
static const recur_precision_desc *const precisions[] = {RECUR_PRECISIONS(RECUR_PRECISION_ENTRY)};
#define N_PRECISIONS (sizeof precisions / sizeof *precisions)

const recur_precision_desc *recur_precision_get(recur_precision p) {
  return (unsigned)p < N_PRECISIONS ? precisions[p] : NULL;
}

int recur_precision_named(const char *s, size_t len, recur_precision *out) {
  for (size_t i = 0; i < N_PRECISIONS; i++)
    if (strlen(precisions[i]->name) == len && memcmp(s, precisions[i]->name, len) == 0)
      return *out = precisions[i]->id, 1;
  return 0;
}

const char *recur_precision_names(void) {
#define RECUR_PRECISION_NAME(ID, name) ", " #name
  static const char list[] = RECUR_PRECISIONS(RECUR_PRECISION_NAME);
#undef RECUR_PRECISION_NAME
  return list + 2;
}

const char *recur_precision_name(recur_precision precision) {
  const recur_precision_desc *d = recur_precision_get(precision);
  return d ? d->name : NULL;
}

recur_status recur_precision_from_name(const char *name, size_t len, recur_precision *out) {
  if (!name || !out)
    return recur_fail(RECUR_ERR_NULL_POINTER, "recur_precision_from_name: NULL argument");
  if (recur_precision_named(name, len, out)) return RECUR_OK;
  return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "unknown precision '%.*s' (expected %s)",
                    (int)(len < 64 ? len : 64), name, recur_precision_names());
}

const char *recur_tool_precision_names(void) { return recur_precision_names(); }

const char *recur_tool_precision_rounding(recur_precision precision) {
  const recur_precision_desc *d = recur_precision_get(precision);
  return d ? d->rounding : NULL;
}
