/* CPU feature detection and identity. */
#ifndef RECUR_CPU_H
#define RECUR_CPU_H

#include <stddef.h>
#include <stdint.h>

#include "recur_tool.h"

/* CPU features (a kernel table lists those it needs). */
enum {
  RECUR_CPU_AVX2 = 1u << 0,
  RECUR_CPU_FMA = 1u << 1,
  RECUR_CPU_AVX512F = 1u << 2,
  RECUR_CPU_AVX512DQ = 1u << 3,
  RECUR_CPU_AVX512BW = 1u << 4,
  RECUR_CPU_AVX512VL = 1u << 5,
  RECUR_CPU_NEON = 1u << 6,
  RECUR_CPU_AVX512BF16 = 1u << 7, /* vdpbf16ps: the bf16 pair dot product */
  RECUR_CPU_BF16 = 1u << 8,       /* AArch64 FEAT_BF16: BFDOT, the bf16 pair dot product */
  RECUR_CPU_AVX512VNNI = 1u << 9, /* vpdpbusd on 512-bit vectors: the int8 dot product */
  RECUR_CPU_AVXVNNI = 1u << 10,   /* vpdpbusd VEX-encoded, on AVX2's 256-bit vectors */
  RECUR_CPU_DOTPROD = 1u << 11,   /* AArch64 FEAT_DotProd: SDOT, the int8 dot product */
};

/* The features the compiler may use in the file being compiled, read from its predefined
 * macros (what -mavx512vl and the like enable). A kernel table requires at least these
 * (RECUR_DEFINE_TABLE adds them), so no compile flag can let the compiler emit an instruction
 * the CPU was not checked for. A flag enabling an instruction set recur does not detect fails
 * test_kernels's tables_require_their_compile_flags. */
#ifdef __AVX2__
#define RECUR_CPU_TARGET_AVX2_ RECUR_CPU_AVX2
#else
#define RECUR_CPU_TARGET_AVX2_ 0
#endif
#ifdef __FMA__
#define RECUR_CPU_TARGET_FMA_ RECUR_CPU_FMA
#else
#define RECUR_CPU_TARGET_FMA_ 0
#endif
#ifdef __AVX512F__
#define RECUR_CPU_TARGET_AVX512F_ RECUR_CPU_AVX512F
#else
#define RECUR_CPU_TARGET_AVX512F_ 0
#endif
#ifdef __AVX512DQ__
#define RECUR_CPU_TARGET_AVX512DQ_ RECUR_CPU_AVX512DQ
#else
#define RECUR_CPU_TARGET_AVX512DQ_ 0
#endif
#ifdef __AVX512BW__
#define RECUR_CPU_TARGET_AVX512BW_ RECUR_CPU_AVX512BW
#else
#define RECUR_CPU_TARGET_AVX512BW_ 0
#endif
#ifdef __AVX512VL__
#define RECUR_CPU_TARGET_AVX512VL_ RECUR_CPU_AVX512VL
#else
#define RECUR_CPU_TARGET_AVX512VL_ 0
#endif
#ifdef __AVX512BF16__
#define RECUR_CPU_TARGET_AVX512BF16_ RECUR_CPU_AVX512BF16
#else
#define RECUR_CPU_TARGET_AVX512BF16_ 0
#endif
#ifdef __ARM_NEON
#define RECUR_CPU_TARGET_NEON_ RECUR_CPU_NEON
#else
#define RECUR_CPU_TARGET_NEON_ 0
#endif
#ifdef __ARM_FEATURE_BF16_VECTOR_ARITHMETIC
#define RECUR_CPU_TARGET_BF16_ RECUR_CPU_BF16
#else
#define RECUR_CPU_TARGET_BF16_ 0
#endif
#ifdef __AVX512VNNI__
#define RECUR_CPU_TARGET_AVX512VNNI_ RECUR_CPU_AVX512VNNI
#else
#define RECUR_CPU_TARGET_AVX512VNNI_ 0
#endif
#ifdef __AVXVNNI__
#define RECUR_CPU_TARGET_AVXVNNI_ RECUR_CPU_AVXVNNI
#else
#define RECUR_CPU_TARGET_AVXVNNI_ 0
#endif
#ifdef __ARM_FEATURE_DOTPROD
#define RECUR_CPU_TARGET_DOTPROD_ RECUR_CPU_DOTPROD
#else
#define RECUR_CPU_TARGET_DOTPROD_ 0
#endif
#define RECUR_CPU_TARGET                                                                    \
  ((unsigned)(RECUR_CPU_TARGET_AVX2_ | RECUR_CPU_TARGET_FMA_ | RECUR_CPU_TARGET_AVX512F_ |  \
              RECUR_CPU_TARGET_AVX512DQ_ | RECUR_CPU_TARGET_AVX512BW_ |                      \
              RECUR_CPU_TARGET_AVX512VL_ | RECUR_CPU_TARGET_AVX512BF16_ | RECUR_CPU_TARGET_NEON_ |  \
              RECUR_CPU_TARGET_BF16_ | RECUR_CPU_TARGET_AVX512VNNI_ | RECUR_CPU_TARGET_AVXVNNI_ |  \
              RECUR_CPU_TARGET_DOTPROD_))

unsigned recur_cpu_detect(void);

/* recur_cpu_id and recur_cpu_identify are shared with the command line: recur_tool.h. */

/* This CPU's identity, identified once (thread-safe). */
const recur_cpu_id *recur_cpu_this(void);

/* "avx2 fma avx512f ..." */
void recur_cpu_feature_names(unsigned features, char *buf, size_t n);

#endif
