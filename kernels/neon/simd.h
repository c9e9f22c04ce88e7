/* NEON (AArch64 Advanced SIMD) vector vocabulary for kernels/body (4 floats, 32 registers). */
#ifndef RECUR_SIMD_H
#define RECUR_SIMD_H
#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "kernels/neon needs an AArch64 target"
#endif
#include <arm_neon.h>
#include <stdint.h>

#define ISA neon
#define VW 4
#define REGS 32

/* Keeps v in a register: stops the compiler from re-reading it as a memory operand of every
 * FMA that uses it (which would double the loads per FMA in the micro-kernel). */
#define VPIN(v) __asm__("" : "+w"(v))

typedef float32x4_t vf;
static inline vf vload(const float *p) { return vld1q_f32(p); }
static inline void vstore(float *p, vf v) { vst1q_f32(p, v); }
/* NEON has no masked store: store the first n (< 4) lanes one by one. */
static inline void vstore_n(float *p, vf v, int n) {
  float lanes[4];
  vst1q_f32(lanes, v);
  for (int i = 0; i < n; i++) p[i] = lanes[i];
}
static inline vf vset1(float x) { return vdupq_n_f32(x); }
static inline vf vzero(void) { return vdupq_n_f32(0.0f); }
static inline vf vfma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf vadd(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vsub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vmul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vdiv(vf a, vf b) { return vdivq_f32(a, b); }
/* 2^n for k = 1.5 * 2^23 + n, an integer n in [-127, 128] that rounding put in k's low mantissa
 * bits: n shifted into the exponent field (2^-127 comes out as 0 and 2^128 as Inf). */
static inline vf vpow2i(vf k) {
  int32x4_t n = vshlq_n_s32(vreinterpretq_s32_f32(k), 23);
  return vreinterpretq_f32_s32(vaddq_s32(n, vdupq_n_s32(0x3f800000)));
}
/* The larger (smaller) of a and a constant k, or NaN when a is NaN, so that relu and clamps keep
 * NaN as PyTorch does: FMAX and FMIN return NaN when either operand is. */
static inline vf vmax(vf a, vf k) { return vmaxq_f32(a, k); }
static inline vf vmin(vf a, vf k) { return vminq_f32(a, k); }

/* bf16 pairs (body/dot_bf16.h): the high or low bf16 of VW 32-bit lanes as fp32 (exact):
 * the low half's 16 bits masked off, or the high half's shifted out. */
static inline vf vload_bf16_high(const uint32_t *p) {
  return vreinterpretq_f32_u32(vandq_u32(vld1q_u32(p), vdupq_n_u32(0xffff0000u)));
}
static inline vf vload_bf16_low(const uint32_t *p) {
  return vreinterpretq_f32_u32(vshlq_n_u32(vld1q_u32(p), 16));
}

#ifdef __ARM_FEATURE_BF16_VECTOR_ARITHMETIC
/* BFDOT (FEAT_BF16, without FEAT_EBF16's FPCR.EBF): per lane acc + (w.high a.high + w.low
 * a.low), the products exact, the pair's sum and then the accumulation each rounded to odd,
 * denormal inputs and results flushed to zero, FPCR ignored. Not the bits of two FMAs: within
 * fp32 rounding of them (tests/test_bf16.c states the bound). */
#define VDOT_PAIRS
#define VDOT_PAIRS_NAME "BFDOT"
typedef bfloat16x8_t vpairs;
static inline vpairs vload_pairs(const uint32_t *p) { return vreinterpretq_bf16_u32(vld1q_u32(p)); }
static inline vpairs vset1_pairs(uint32_t x) { return vreinterpretq_bf16_u32(vdupq_n_u32(x)); }
static inline vf vdot_pairs(vf acc, vpairs w, vpairs a) { return vbfdotq_f32(acc, w, a); }
#endif

/* int8 groups (body/dot_int8.h): 32-bit lanes of four int8 each, summed in int32. */
typedef int32x4_t vi;
static inline vi vi_load(const void *p) { return vreinterpretq_s32_u8(vld1q_u8((const uint8_t *)p)); }
static inline void vi_store(void *p, vi v) { vst1q_u8((uint8_t *)p, vreinterpretq_u8_s32(v)); }
static inline vi vi_set1(uint32_t x) { return vreinterpretq_s32_u32(vdupq_n_u32(x)); }
static inline vi vi_zero(void) { return vdupq_n_s32(0); }
static inline vi vi_add(vi a, vi b) { return vaddq_s32(a, b); }
static inline vf vi_float(vi a) { return vcvtq_f32_s32(a); }

/* The group as q: the stored bytes xor 0x80. */
#define VQ4_REGS 1
typedef int8x16_t vq4;
static inline vq4 vq4_set1(uint32_t group) {
  return vreinterpretq_s8_u32(vdupq_n_u32(group ^ 0x80808080u));
}
#ifdef __ARM_FEATURE_DOTPROD
/* SDOT (FEAT_DotProd): acc + the four products of signed bytes. */
#define VDOT4 "SDOT"
static inline vi vdot4(vi acc, vi w, vq4 a) { return vdotq_s32(acc, vreinterpretq_s8_s32(w), a); }
#else
/* Without it: SMULL's int16 products (exact), SADDLP's pairs in int32, ADDP's pairs of those:
 * lane l's four products. */
#define VDOT4 "SMULL"
#define VDOT4_WIDENS
static inline vi vdot4(vi acc, vi w, vq4 a) {
  int8x16_t ws = vreinterpretq_s8_s32(w);
  int16x8_t low = vmull_s8(vget_low_s8(ws), vget_low_s8(a)), high = vmull_high_s8(ws, a);
  return vaddq_s32(acc, vpaddq_s32(vpaddlq_s16(low), vpaddlq_s16(high)));
}
#endif

#endif
