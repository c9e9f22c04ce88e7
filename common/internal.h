/* Internal helpers shared by the core: error reporting and checked size arithmetic. */
#ifndef RECUR_INTERNAL_H
#define RECUR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "recur.h"

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

/* text itself when it holds no control byte (a UTF-8 path stays readable), else its escaped
 * form in buf (size >= 4): a whole message, made one line. */
const char *recur_one_line(char *buf, size_t size, const char *text);

/* A shape for a message, "(20, 4, 16)", into buf (size >= 1; cut to fit), returned. With tuple
 * set, one axis is written as Python writes a 1-tuple, "(4,)" (NumPy's shapes); else "(4)". */
char *recur_shape_text(char *buf, size_t size, const int64_t *dims, int ndim, int tuple);

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

/* Which file a path names, to tell when two paths are one file under two spellings (or links):
 * the file's device and inode, or for a path with no file yet, its folder's and its last
 * component (name, pointing into the path). */
typedef struct recur_file_id {
  uint64_t dev, ino;
  const char *name; /* NULL: the file exists */
} recur_file_id;

/* An existing file's identity: 0 if path cannot be stat'ed. */
int recur_file_identify(const char *path, recur_file_id *id);
int recur_same_file(const recur_file_id *a, const recur_file_id *b);

/* path as a file to replace: its identity, or RECUR_ERR_IO if it cannot be one: a folder, a
 * FIFO, a device, anything but a regular file (never replaced: the system's /dev/null among
 * them), or a path whose folder does not exist. */
recur_status recur_check_output(const char *path, recur_file_id *id);

/* Files replaced together, all or none. recur_stage_file checks path (recur_check_output) and
 * writes head then body to a new temporary file beside it, "<name>.tmp.<pid>.<n>" with name
 * shortened to keep within NAME_MAX, fsynced. recur_commit_staged then moves every temporary
 * over its path; if one cannot be moved, those already moved are put back (where the file
 * system can exchange two names) and failed names the path. recur_discard_staged must follow
 * either: it removes the temporaries left. Paths are borrowed until then. A process killed
 * meanwhile leaves each path old or new, and may leave temporaries. */
#define RECUR_STAGED_MAX 3 /* y, h_n and c_n */
typedef struct recur_staged_file {
  const char *path;
  char *tmp;
  int state; /* fileio.c's */
} recur_staged_file;
typedef struct recur_staging {
  int n;
  recur_staged_file files[RECUR_STAGED_MAX];
  const char *failed;
} recur_staging;

recur_status recur_stage_file(recur_staging *s, const char *path, const void *head,
                              size_t head_len, const void *body, size_t body_len);
recur_status recur_commit_staged(recur_staging *s);
void recur_discard_staged(recur_staging *s);

/* One file staged and committed: written atomically, or on failure left untouched. */
recur_status recur_write_file_atomic(const char *path, const void *head, size_t head_len,
                                     const void *body, size_t body_len);

#endif
