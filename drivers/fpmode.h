/* Denormals flushed to zero for the duration of a forward call (x86: MXCSR FTZ and DAZ;
 * aarch64: FPCR.FZ), then the caller's mode restored. Denormal operands make x86 FMAs tens of
 * times slower; flushing them is part of recur's numbers. */
#ifndef RECUR_FPMODE_H
#define RECUR_FPMODE_H

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
static inline unsigned recur_flush_denormals_begin(void) {
  unsigned saved = _mm_getcsr();
  _mm_setcsr(saved | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
  return saved;
}
static inline void recur_flush_denormals_end(unsigned saved) { _mm_setcsr(saved); }
#elif defined(__aarch64__)
#include <stdint.h>
static inline unsigned recur_flush_denormals_begin(void) {
  uint64_t fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1u << 24)));
  return (unsigned)fpcr;
}
static inline void recur_flush_denormals_end(unsigned saved) {
  __asm__ volatile("msr fpcr, %0" : : "r"((uint64_t)saved));
}
#else
static inline unsigned recur_flush_denormals_begin(void) { return 0; }
static inline void recur_flush_denormals_end(unsigned saved) { (void)saved; }
#endif

#endif
