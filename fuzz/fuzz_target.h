/* The entry point every fuzz target defines: libFuzzer calls it with each input, and
 * replay.c's main() calls it with each file of a corpus. A target returns 0 and must never
 * crash, leak or hang; a broken invariant calls fuzz_fail(), which aborts. */
#ifndef RECUR_FUZZ_TARGET_H
#define RECUR_FUZZ_TARGET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reports a broken invariant and aborts, so that both libFuzzer and the replay see a crash. */
#define fuzz_fail(...)                                                              \
  do {                                                                              \
    fprintf(stderr, "%s:%d: invariant broken: ", __FILE__, __LINE__);              \
    fprintf(stderr, __VA_ARGS__);                                                   \
    fputc('\n', stderr);                                                            \
    abort();                                                                        \
  } while (0)

/* A failed call's detail: not empty, one line, no control byte (< 0x20 or 0x7f), whatever bytes
 * the input held. */
static inline void fuzz_check_detail(const char *detail) {
  if (!detail[0])
    fuzz_fail("a failure without a detail");
  for (const char *p = detail; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      fuzz_fail("byte 0x%02x at %zu of the detail \"%s\"", (unsigned char)*p,
                (size_t)(p - detail), detail);
}

#endif
