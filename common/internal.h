/* Internal helpers shared by the core: error reporting and checked size arithmetic. */
#ifndef RECUR_INTERNAL_H
#define RECUR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "recur.h"
#include "recur_tool.h" /* the internals the command line shares */

/* Records a printf-style detail for recur_last_error() on this thread (and prints it to stderr
 * when RECUR_VERBOSE=1), then returns status, so that callers can write
 *   return recur_fail(RECUR_ERR_SHAPE_MISMATCH, "%s: shape (%lld), expected ...", name, ...);
 * A detail is one line: text from a file goes through recur_escape below, and a detail still
 * holding a control byte (a caller's path or tensor name) is escaped as a whole. */
recur_status recur_fail(recur_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Text from a file (a tensor name, a metadata value, a header's words), escaped for a message:
 * printable ASCII as is but \\ for a backslash (so that every escape reads one way), \n, \t,
 * \r, and \xHH for any other byte; cut to fit, then ending in "...". recur_escape_into writes
 * into dst (size >= 4) and returns it. recur_escape and recur_escape_n (len bytes, no NUL
 * needed) return a copy that lives until the end of the full expression, made for arguments:
 *   recur_fail(RECUR_ERR_BAD_FILE, "tensor '%s': ...", recur_escape(name).s) */
#define RECUR_ESCAPED_MAX 160
typedef struct recur_escaped {
  char s[RECUR_ESCAPED_MAX];
} recur_escaped;
char *recur_escape_into(char *dst, size_t size, const char *src, size_t len);
recur_escaped recur_escape_n(const char *src, size_t len);
recur_escaped recur_escape(const char *src);

/* Largest size accepted for any one dimension (sizes, T, B): keeps every index within int64
 * and products of a few dimensions checkable. */
#define RECUR_MAX_DIM ((int64_t)1 << 28)

/* a*b and a+b on sizes; return 0 on overflow, 1 otherwise. */
static inline int recur_mul_size(size_t a, size_t b, size_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}
static inline int recur_add_size(size_t a, size_t b, size_t *out) {
  return !__builtin_add_overflow(a, b, out);
}

/* Whether the n_a bytes at a and the n_b bytes at b share a byte (NULL or empty: never). */
static inline int recur_overlaps(const void *a, size_t n_a, const void *b, size_t n_b) {
  if (!a || !b || !n_a || !n_b) return 0;
  uintptr_t a0 = (uintptr_t)a, b0 = (uintptr_t)b;
  return a0 < b0 + n_b && b0 < a0 + n_a;
}

/* RECUR_ERR_LIMIT naming what when bytes exceed recur_memory_limit(). */
recur_status recur_check_memory(const char *what, size_t bytes);

/* A whole file's bytes, read into memory (not mapped: a mapped file that another process
 * truncates meanwhile faults with SIGBUS). The size is checked against the memory limit first.
 * An empty file is { NULL, 0 }. */
typedef struct recur_file_bytes {
  uint8_t *data;
  size_t size;
} recur_file_bytes;

recur_status recur_read_file(const char *path, recur_file_bytes *out);
/* The same for a format whose files hold at most max bytes: a larger file is RECUR_ERR_BAD_FILE,
 * refused before any of it is read, and no more than the size first seen is ever read. */
recur_status recur_read_file_at_most(const char *path, size_t max, recur_file_bytes *out);
void recur_free_file(recur_file_bytes *file);

/* The staged files (recur_tool.h) beyond the .npy ones: recur_stage_file checks path and
 * stages head then body as its new bytes. */
recur_status recur_stage_file(recur_staging *s, const char *path, const void *head,
                              size_t head_len, const void *body, size_t body_len);

/* One file staged and committed: written atomically, or on failure left untouched. */
recur_status recur_write_file_atomic(const char *path, const void *head, size_t head_len,
                                     const void *body, size_t body_len);

#endif
