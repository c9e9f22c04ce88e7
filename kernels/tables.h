/* Every kernel table, listed once, best first: X(name, isa, precision) is recur_kernels_<name>
 * (its name "<name>"), the instruction set it runs (RECUR_ISA's and the tune key's name) and
 * the recur_precision its panels store, RECUR_PRECISION_<precision>. Of the tables of one ISA
 * and precision, the first this CPU runs is the one networks get (recur_kernels_for); the
 * others are tested as fallbacks: a bf16 table "<isa>_bf16" takes the pair dot product with the
 * ISA's bf16 instruction (vdpbf16ps: the same bits as "<isa>_bf16fma", which widens to fp32
 * FMAs; BFDOT: within fp32 rounding of them, neon/simd.h); an int8 table "<isa>_int8" takes
 * the ISA's int8 dot product (vpdpbusd, SDOT), "<isa>_int8madd" widening multiply-adds, the
 * same int32 sums (body/dot_int8.h). The scalar table (ref/ref.c) runs
 * every precision: its reference steps round as the layer's precision says.
 *
 * meson.build compiles each table but scalar from kernels/<isa>/table.c with its flags
 * (kernel_tables); test_kernels checks that its list and RECUR_TABLES_BUILT agree. */
#ifndef RECUR_TABLES_H
#define RECUR_TABLES_H

#define RECUR_TABLES_X86(X)            \
  X(avx512, avx512, FP32)              \
  X(avx512_bf16, avx512, BF16)         \
  X(avx512_bf16fma, avx512, BF16)      \
  X(avx512_int8, avx512, INT8)         \
  X(avx512_int8madd, avx512, INT8)     \
  X(avx2, avx2, FP32)                  \
  X(avx2_bf16fma, avx2, BF16)          \
  X(avx2_int8, avx2, INT8)             \
  X(avx2_int8madd, avx2, INT8)
#define RECUR_TABLES_ARM(X)            \
  X(neon, neon, FP32)                  \
  X(neon_bf16, neon, BF16)             \
  X(neon_bf16fma, neon, BF16)          \
  X(neon_int8, neon, INT8)             \
  X(neon_int8madd, neon, INT8)
#define RECUR_TABLES_PORTABLE(X) X(scalar, scalar, FP32)

/* All of them, whether or not this build has them: the ISA names recur knows. */
#define RECUR_TABLES_ALL(X) RECUR_TABLES_X86(X) RECUR_TABLES_ARM(X) RECUR_TABLES_PORTABLE(X)

/* Those this build has: meson.build compiles a CPU family's tables for that family. */
#if defined(__x86_64__)
#define RECUR_TABLES_BUILT(X) RECUR_TABLES_X86(X) RECUR_TABLES_PORTABLE(X)
#elif defined(__aarch64__)
#define RECUR_TABLES_BUILT(X) RECUR_TABLES_ARM(X) RECUR_TABLES_PORTABLE(X)
#else
#define RECUR_TABLES_BUILT(X) RECUR_TABLES_PORTABLE(X)
#endif

#endif
