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

#endif
