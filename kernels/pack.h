/* Packed panels (kernels/tile.h): their size and each precision's packing. */
#ifndef RECUR_PACK_H
#define RECUR_PACK_H

#include <stddef.h>
#include <stdint.h>

/* Weights in a packed (G*H x K) matrix in tiles of nr units: ceil(H/nr) * K * G * nr; K here
 * is the precision's padded K (precision.h's recur_padded_k). */
size_t recur_panel_weights(int64_t G, int64_t H, int64_t K, int64_t nr);

/* Each precision's packing (its descriptor's pack and convert_a, precision.h): dst[tile j]
 * [k / k_pack][gate g][lane][k % k_pack] = w[g*H + j*nr + lane][k], zero past H and past K.
 * bf16 (RNE, bf16.h) is read by the kernels in pairs of K: a panel row is the pair (k = 2p low
 * half, 2p + 1 high half) of each gate and lane, and its input rows are bf16 too. */
void recur_pack_fp32(void *dst, const float *w, int64_t G, int64_t H, int64_t K, int64_t nr);
void recur_pack_bf16(void *dst, const float *w, int64_t G, int64_t H, int64_t K, int64_t nr);
void recur_convert_a_bf16(void *dst, const float *src, int64_t K);

/* A (G*H) vector packed like one panel row: dst[tile j][gate g][lane]; b NULL packs zeros. */
void recur_pack_gates(float *dst, const float *b, int64_t G, int64_t H, int64_t nr);

#endif
