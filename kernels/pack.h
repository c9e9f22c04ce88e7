/* Packed panels (kernels/tile.h): their size and each precision's packing. */
#ifndef RECUR_PACK_H
#define RECUR_PACK_H

#include <stddef.h>
#include <stdint.h>

/* Weights in a packed (G*H x K) matrix in tiles of nr units: ceil(H/nr) * K * G * nr; K here
 * is the precision's padded K (precision.h's recur_padded_k). */
size_t recur_panel_weights(int64_t G, int64_t H, int64_t K, int64_t nr);

/* Each precision's weights and packing (its descriptor's round_weights, pack and convert_a,
 * precision.h): dst[tile j][k / k_pack][gate g][lane][k % k_pack] = w[g*H + j*nr + lane][k],
 * zero past H and past K.
 * bf16 (RNE, bf16.h) is read by the kernels in pairs of K: a panel row is the pair (k = 2p low
 * half, 2p + 1 high half) of each gate and lane, and its input rows are bf16 too.
 * int8 (int8.h) is read in groups of four K: a panel row is the four int8 of each gate and
 * lane, and each tile ends with its lanes' row scales (float) and then -128 times their
 * weights' sums (int32); its input rows are the row's scale (float) and then q + 128 per
 * element (uint8), padded with 128 (q = 0). */
void recur_round_fp32(float *dst, float *row_scale, const float *w, int64_t rows, int64_t cols);
void recur_round_bf16(float *dst, float *row_scale, const float *w, int64_t rows, int64_t cols);
void recur_round_int8(float *dst, float *row_scale, const float *w, int64_t rows, int64_t cols);
void recur_pack_fp32(void *dst, const float *w, const float *row_scale, int64_t G, int64_t H,
                     int64_t K, int64_t nr);
void recur_pack_bf16(void *dst, const float *w, const float *row_scale, int64_t G, int64_t H,
                     int64_t K, int64_t nr);
void recur_pack_int8(void *dst, const float *w, const float *row_scale, int64_t G, int64_t H,
                     int64_t K, int64_t nr);
void recur_convert_a_bf16(void *dst, const float *src, int64_t K);
void recur_convert_a_int8(void *dst, const float *src, int64_t K);

/* A (G*H) vector packed like one panel row: dst[tile j][gate g][lane]; b NULL packs zeros. */
void recur_pack_gates(float *dst, const float *b, int64_t G, int64_t H, int64_t nr);

#endif
