/* Repacking PyTorch's row-major gate matrices into the kernels' panels (kernels/tile.h). */
#ifndef RECUR_PACK_H
#define RECUR_PACK_H

#include <stddef.h>
#include <stdint.h>

/* Floats of a packed (G*H x K) matrix in tiles of nr units: ceil(H/nr) * K * G * nr. */
size_t recur_panel_floats(int64_t G, int64_t H, int64_t K, int64_t nr);

/* dst[tile j][k][gate g][lane] = w[g*H + j*nr + lane][k], zero past H. */
void recur_pack_panels(float *dst, const float *w, int64_t G, int64_t H, int64_t K, int64_t nr);

/* The same for a (G*H) vector: dst[tile j][gate g][lane]; b NULL packs zeros. */
void recur_pack_gates(float *dst, const float *b, int64_t G, int64_t H, int64_t nr);

#endif
