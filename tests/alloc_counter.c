/* Allocation counting (alloc_counter.h), linked into tests/test_alloc.c's and
 * tests/fortran/test_alloc.f90's programs.
 *
 * This file defines the allocation functions, so that every call from the program, librecur,
 * libgomp and the Fortran runtime lands here, and forwards them to glibc's own (__libc_malloc,
 * ...: not dlsym, which itself allocates). Under AddressSanitizer (or another sanitizer whose
 * allocator replaces these), it counts through the sanitizer's allocation hooks instead. Under
 * valgrind, run the program with --soname-synonyms=somalloc=nouserintercepts, so that valgrind
 * replaces glibc's functions and not these (tests/meson.build). */
#include "alloc_counter.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

static atomic_int counting;
static atomic_long calls;

static void count(void) {
  if (atomic_load_explicit(&counting, memory_order_relaxed))
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
}

/* Sanitizers whose own allocator replaces malloc (GCC's macros, clang's __has_feature). */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define COUNT_BY_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define COUNT_BY_HOOKS 1
#endif
#endif

#ifdef COUNT_BY_HOOKS
/* from sanitizer/allocator_interface.h, which GCC does not install */
int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *, size_t),
                                              void (*)(const volatile void *));
static void on_malloc(const volatile void *p, size_t n) { (void)p, (void)n, count(); }
static void on_free(const volatile void *p) { (void)p, count(); }
void alloc_counter_start(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
const char *const alloc_counter_method = "the sanitizer's allocation hooks";
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

/* exported (the build hides symbols by default), so that libgomp's calls land here too */
#define EXPORT __attribute__((visibility("default")))
EXPORT void *malloc(size_t n) { count(); return __libc_malloc(n); }
EXPORT void *calloc(size_t n, size_t size) { count(); return __libc_calloc(n, size); }
EXPORT void *realloc(void *p, size_t n) { count(); return __libc_realloc(p, n); }
EXPORT void *memalign(size_t align, size_t n) { count(); return __libc_memalign(align, n); }
EXPORT void *aligned_alloc(size_t align, size_t n) { count(); return __libc_memalign(align, n); }
EXPORT int posix_memalign(void **out, size_t align, size_t n) {
  count();
  void *p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
EXPORT void free(void *p) {
  if (p) count();
  __libc_free(p);
}
void alloc_counter_start(void) {}
const char *const alloc_counter_method =
    "this program's malloc, calloc, realloc, memalign, aligned_alloc, posix_memalign, free";
#endif

void alloc_begin(void) {
  atomic_store(&calls, 0);
  atomic_store(&counting, 1);
}

long alloc_end(void) {
  atomic_store(&counting, 0);
  return atomic_load(&calls);
}
