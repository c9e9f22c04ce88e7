/* The packed panels' layout (pack.h). */
#include "pack.h"

size_t recur_panel_floats(int64_t G, int64_t H, int64_t K, int64_t nr) {
  return (size_t)((H + nr - 1) / nr) * (size_t)K * (size_t)G * (size_t)nr;
}

void recur_pack_panels(float *dst, const float *w, int64_t G, int64_t H, int64_t K, int64_t nr) {
  int64_t tiles = (H + nr - 1) / nr;
  for (int64_t j = 0; j < tiles; j++)
    for (int64_t k = 0; k < K; k++)
      for (int64_t g = 0; g < G; g++)
        for (int64_t lane = 0; lane < nr; lane++) {
          int64_t u = j * nr + lane;
          *dst++ = u < H ? w[(g * H + u) * K + k] : 0.0f;
        }
}

void recur_pack_gates(float *dst, const float *b, int64_t G, int64_t H, int64_t nr) {
  int64_t tiles = (H + nr - 1) / nr;
  for (int64_t j = 0; j < tiles; j++)
    for (int64_t g = 0; g < G; g++)
      for (int64_t lane = 0; lane < nr; lane++) {
        int64_t u = j * nr + lane;
        *dst++ = b && u < H ? b[g * H + u] : 0.0f;
      }
}
