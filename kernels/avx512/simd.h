/* AVX-512 vector vocabulary for kernels/body (16 floats per vector, 32 registers). */
#ifndef RECUR_SIMD_H
#define RECUR_SIMD_H
#if !defined(__AVX512F__) || !defined(__AVX512DQ__) || !defined(__FMA__)
#error "kernels/avx512 needs -mavx512f -mavx512dq -mfma"
#endif
#include <immintrin.h>
#include <stdint.h>

#define ISA avx512
#define VW 16
#define REGS 32

/* Keeps v in a register: stops the compiler from re-reading it as a memory operand of every
 * FMA that uses it (which would double the loads per FMA in the micro-kernel). */
#define VPIN(v) __asm__("" : "+v"(v))

typedef __m512 vf;
static inline vf vload(const float *p) { return _mm512_loadu_ps(p); }
static inline void vstore(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline void vstore_n(float *p, vf v, int n) {
  _mm512_mask_storeu_ps(p, (__mmask16)((1u << n) - 1), v);
}
static inline vf vset1(float x) { return _mm512_set1_ps(x); }
static inline vf vzero(void) { return _mm512_setzero_ps(); }
static inline vf vfma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vadd(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm512_div_ps(a, b); }
/* 2^n for k = 1.5 * 2^23 + n, an integer n in [-127, 128] that rounding put in k's low mantissa
 * bits: n shifted into the exponent field (2^-127 comes out as 0 and 2^128 as Inf). */
static inline vf vpow2i(vf k) {
  __m512i n = _mm512_slli_epi32(_mm512_castps_si512(k), 23);
  return _mm512_castsi512_ps(_mm512_add_epi32(n, _mm512_set1_epi32(0x3f800000)));
}
/* The larger (smaller) of a and a constant k, or a itself when a is NaN, so that relu and clamps
 * keep NaN as PyTorch does: x86's max and min return their second operand when either is NaN,
 * so a goes second. */
static inline vf vmax(vf a, vf k) { return _mm512_max_ps(k, a); }
static inline vf vmin(vf a, vf k) { return _mm512_min_ps(k, a); }

/* bf16 pairs (body/dot_bf16.h): the high or low bf16 of VW 32-bit lanes as fp32 (exact):
 * the low half's 16 bits zeroed by a mask register, or the high half's shifted out. */
static inline vf vload_bf16_high(const uint32_t *p) {
  return _mm512_castsi512_ps(_mm512_maskz_loadu_epi16((__mmask32)0xaaaaaaaau, p));
}
static inline vf vload_bf16_low(const uint32_t *p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_loadu_si512(p), 16));
}

#ifdef __AVX512BF16__
/* vdpbf16ps: acc + w.high a.high + w.low a.low per lane, in that order, each sum rounded. */
#define VDOT_PAIRS
#define VDOT_PAIRS_NAME "vdpbf16ps"
typedef __m512bh vpairs;
static inline vpairs vload_pairs(const uint32_t *p) { return (vpairs)_mm512_loadu_si512(p); }
static inline vpairs vset1_pairs(uint32_t x) { return (vpairs)_mm512_set1_epi32((int)x); }
static inline vf vdot_pairs(vf acc, vpairs w, vpairs a) { return _mm512_dpbf16_ps(acc, w, a); }
#endif

/* int8 groups (body/dot_int8.h): 32-bit lanes of four int8 each, summed in int32. */
typedef __m512i vi;
static inline vi vi_load(const void *p) { return _mm512_loadu_si512(p); }
static inline void vi_store(void *p, vi v) { _mm512_storeu_si512(p, v); }
static inline vi vi_set1(uint32_t x) { return _mm512_set1_epi32((int)x); }
static inline vi vi_zero(void) { return _mm512_setzero_si512(); }
static inline vi vi_add(vi a, vi b) { return _mm512_add_epi32(a, b); }
static inline vf vi_float(vi a) { return _mm512_cvtepi32_ps(a); }

#ifdef __AVX512VNNI__
/* vpdpbusd: acc + the four products of unsigned bytes a (the stored q + 128) and signed w. */
#define VDOT4 "vpdpbusd"
#define VDOT4_SHIFTED
#define VQ4_REGS 1
typedef vi vq4;
static inline vq4 vq4_set1(uint32_t group) { return vi_set1(group); }
/* In asm: GCC 12 copies the accumulator in and out of one register around every
 * _mm512_dpbusd_epi32 of an unrolled tile (measured: half the micro-kernel's instructions). */
static inline vi vdot4(vi acc, vi w, vq4 a) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
  return acc;
}
#else
/* Without VNNI: the group as q (the bytes xor 0x80), its magnitudes and its negative bytes;
 * vpmaddubsw of |q| (unsigned) and w negated where q < 0 gives int16 sums of two products of
 * at most 127 * 127 each, so it never saturates, and vpmaddwd adds their pairs in int32. */
#define VDOT4 "vpmaddubsw"
#define VDOT4_WIDENS
#define VQ4_REGS 1
typedef struct vq4 {
  vi magnitude;
  __mmask64 negative;
} vq4;
static inline vq4 vq4_set1(uint32_t group) {
  vi q = _mm512_set1_epi32((int)(group ^ 0x80808080u));
  return (vq4){_mm512_abs_epi8(q), _mm512_movepi8_mask(q)};
}
static inline vi vdot4(vi acc, vi w, vq4 a) {
  vi signed_w = _mm512_mask_sub_epi8(w, a.negative, _mm512_setzero_si512(), w);
  vi pairs = _mm512_maddubs_epi16(a.magnitude, signed_w);
  return _mm512_add_epi32(acc, _mm512_madd_epi16(pairs, _mm512_set1_epi16(1)));
}
#endif

#endif
