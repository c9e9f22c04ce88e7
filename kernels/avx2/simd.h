/* AVX2 + FMA vector vocabulary for kernels/body (8 floats per vector, 16 registers). */
#ifndef RECUR_SIMD_H
#define RECUR_SIMD_H
#if !defined(__AVX2__) || !defined(__FMA__)
#error "kernels/avx2 needs -mavx2 -mfma"
#endif
#include <immintrin.h>
#include <stdint.h>

#define ISA avx2
#define VW 8
#define REGS 16

/* Keeps v in a register: stops the compiler from re-reading it as a memory operand of every
 * FMA that uses it (which would double the loads per FMA in the micro-kernel). */
#define VPIN(v) __asm__("" : "+x"(v))

typedef __m256 vf;
static inline vf vload(const float *p) { return _mm256_loadu_ps(p); }
static inline void vstore(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline void vstore_n(float *p, vf v, int n) {
  __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  _mm256_maskstore_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane), v);
}
static inline vf vset1(float x) { return _mm256_set1_ps(x); }
static inline vf vzero(void) { return _mm256_setzero_ps(); }
static inline vf vfma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vadd(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vsub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vmul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vdiv(vf a, vf b) { return _mm256_div_ps(a, b); }
/* 2^n for k = 1.5 * 2^23 + n, an integer n in [-127, 128] that rounding put in k's low mantissa
 * bits: n shifted into the exponent field (2^-127 comes out as 0 and 2^128 as Inf). */
static inline vf vpow2i(vf k) {
  __m256i n = _mm256_slli_epi32(_mm256_castps_si256(k), 23);
  return _mm256_castsi256_ps(_mm256_add_epi32(n, _mm256_set1_epi32(0x3f800000)));
}
/* The larger (smaller) of a and a constant k, or a itself when a is NaN, so that relu and clamps
 * keep NaN as PyTorch does: x86's max and min return their second operand when either is NaN,
 * so a goes second. */
static inline vf vmax(vf a, vf k) { return _mm256_max_ps(k, a); }
static inline vf vmin(vf a, vf k) { return _mm256_min_ps(k, a); }

/* bf16 pairs (body/dot_bf16.h): the high or low bf16 of VW 32-bit lanes as fp32 (exact):
 * the low half's 16 bits masked off, or the high half's shifted out. */
static inline vf vload_bf16_high(const uint32_t *p) {
  __m256i v = _mm256_loadu_si256((const __m256i *)p);
  return _mm256_castsi256_ps(_mm256_and_si256(v, _mm256_set1_epi32((int)0xffff0000u)));
}
static inline vf vload_bf16_low(const uint32_t *p) {
  __m256i v = _mm256_loadu_si256((const __m256i *)p);
  return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

/* int8 groups (body/dot_int8.h): 32-bit lanes of four int8 each, summed in int32. */
typedef __m256i vi;
static inline vi vi_load(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline void vi_store(void *p, vi v) { _mm256_storeu_si256((__m256i *)p, v); }
static inline vi vi_set1(uint32_t x) { return _mm256_set1_epi32((int)x); }
static inline vi vi_zero(void) { return _mm256_setzero_si256(); }
static inline vi vi_add(vi a, vi b) { return _mm256_add_epi32(a, b); }
static inline vf vi_float(vi a) { return _mm256_cvtepi32_ps(a); }

#ifdef __AVXVNNI__
/* AVX-VNNI's vpdpbusd: acc + the four products of unsigned bytes a (the stored q + 128) and
 * signed w. */
#define VDOT4 "{vex} vpdpbusd"
#define VDOT4_SHIFTED
#define VQ4_REGS 1
typedef vi vq4;
static inline vq4 vq4_set1(uint32_t group) { return vi_set1(group); }
/* In asm, as kernels/avx512/simd.h's (GCC 12 copies the accumulator around the intrinsic). */
static inline vi vdot4(vi acc, vi w, vq4 a) {
  __asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(w));
  return acc;
}
#else
/* Without VNNI: the group as q (the bytes xor 0x80) and its magnitudes; vpmaddubsw of |q|
 * (unsigned) and vpsignb(w, q) gives int16 sums of two products of at most 127 * 127 each, so
 * it never saturates, and vpmaddwd adds their pairs in int32. */
#define VDOT4 "vpmaddubsw"
#define VDOT4_WIDENS
#define VQ4_REGS 2
typedef struct vq4 {
  vi magnitude, q;
} vq4;
static inline vq4 vq4_set1(uint32_t group) {
  vi q = _mm256_set1_epi32((int)(group ^ 0x80808080u));
  return (vq4){_mm256_abs_epi8(q), q};
}
static inline vi vdot4(vi acc, vi w, vq4 a) {
  vi pairs = _mm256_maddubs_epi16(a.magnitude, _mm256_sign_epi8(w, a.q));
  return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}
#endif

#endif
