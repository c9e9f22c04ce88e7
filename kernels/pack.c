/* The packed panels' layout (pack.h). */
#include "pack.h"

#include "bf16.h"

size_t recur_panel_weights(int64_t G, int64_t H, int64_t K, int64_t nr) {
  return (size_t)((H + nr - 1) / nr) * (size_t)K * (size_t)G * (size_t)nr;
}

static void pack_fp32(void *dst, const float *w, int64_t G, int64_t H, int64_t K, int64_t nr) {
  float *d = dst;
  int64_t tiles = (H + nr - 1) / nr;
  for (int64_t j = 0; j < tiles; j++)
    for (int64_t k = 0; k < K; k++)
      for (int64_t g = 0; g < G; g++)
        for (int64_t lane = 0; lane < nr; lane++) {
          int64_t u = j * nr + lane;
          *d++ = u < H ? w[(g * H + u) * K + k] : 0.0f;
        }
}

const recur_weight_format recur_format_fp32 = {
  .name = "fp32", .bytes = sizeof(float), .k_pack = 1, .a_bytes = sizeof(float), .pack = pack_fp32};

static void round_row_bf16(void *dst, const float *src, int64_t K) {
  recur_bf16_round_array(dst, src, (size_t)K);
}

/* The weights arrive rounded to bf16 (net creation), so the panels are fp32's. */
const recur_weight_format recur_format_fp32_bf16in = {
  .name = "fp32_bf16in", .bytes = sizeof(float), .k_pack = 1, .a_bytes = sizeof(float),
  .pack = pack_fp32, .convert_a = round_row_bf16};

void recur_pack_gates(float *dst, const float *b, int64_t G, int64_t H, int64_t nr) {
  int64_t tiles = (H + nr - 1) / nr;
  for (int64_t j = 0; j < tiles; j++)
    for (int64_t g = 0; g < G; g++)
      for (int64_t lane = 0; lane < nr; lane++) {
        int64_t u = j * nr + lane;
        *dst++ = b && u < H ? b[g * H + u] : 0.0f;
      }
}
