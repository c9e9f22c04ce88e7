/* Allocation counting for tests/test_alloc.c and tests/fortran/test_alloc.f90 (alloc_counter.c):
 * every malloc, calloc, realloc, memalign, aligned_alloc, posix_memalign and free call between
 * alloc_begin and alloc_end, on any thread. */
#ifndef RECUR_TESTS_ALLOC_COUNTER_H
#define RECUR_TESTS_ALLOC_COUNTER_H

/* Readies the counting (under a sanitizer: installs its allocation hooks); once, first. */
void alloc_counter_start(void);

/* How the calls are counted, for messages. */
extern const char *const alloc_counter_method;

/* Starts counting from zero. */
void alloc_begin(void);

/* Stops counting; the calls since alloc_begin. */
long alloc_end(void);

#endif
