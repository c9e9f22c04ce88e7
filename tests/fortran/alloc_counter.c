/* Allocation counting for test_alloc.f90: this program defines the allocation functions, so
 * that every call from the Fortran runtime, librecur and libgomp lands here, and forwards them
 * to glibc's own (__libc_malloc, ...), as tests/test_alloc.c does. Not for sanitizer builds,
 * whose allocators replace these (tests/meson.build builds it only without). */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

static atomic_int counting;
static atomic_long calls;

static void count(void) {
  if (atomic_load_explicit(&counting, memory_order_relaxed))
    atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
}

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

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

/* Starts counting from zero. */
void alloc_begin(void) {
  atomic_store(&calls, 0);
  atomic_store(&counting, 1);
}

/* Stops counting; the calls since alloc_begin. */
long alloc_end(void) {
  atomic_store(&counting, 0);
  return atomic_load(&calls);
}
