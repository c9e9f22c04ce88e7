/* Status strings, the per-thread error detail and the version calls. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_error[1024];
static _Atomic size_t memory_limit = RECUR_DEFAULT_MEMORY_LIMIT;

unsigned recur_version_number(void) { return RECUR_VERSION_NUMBER; }
const char *recur_version_string(void) { return RECUR_VERSION_STRING; }

const char *recur_status_string(recur_status status) {
  switch (status) {
  case RECUR_OK: return "RECUR_OK: success";
  case RECUR_ERR_NULL_POINTER: return "RECUR_ERR_NULL_POINTER: a required pointer is NULL";
  case RECUR_ERR_INVALID_SIZE: return "RECUR_ERR_INVALID_SIZE: a size is zero, negative or too large";
  case RECUR_ERR_SHAPE_MISMATCH: return "RECUR_ERR_SHAPE_MISMATCH: a shape does not fit the network";
  case RECUR_ERR_INVALID_ARGUMENT: return "RECUR_ERR_INVALID_ARGUMENT: an argument is out of range";
  case RECUR_ERR_BAD_LENGTHS: return "RECUR_ERR_BAD_LENGTHS: a sequence length is outside 1..T";
  case RECUR_ERR_OUT_OF_MEMORY: return "RECUR_ERR_OUT_OF_MEMORY: out of memory";
  case RECUR_ERR_IO: return "RECUR_ERR_IO: a file could not be read or written";
  case RECUR_ERR_BAD_FILE: return "RECUR_ERR_BAD_FILE: a file is truncated or malformed";
  case RECUR_ERR_UNSUPPORTED: return "RECUR_ERR_UNSUPPORTED: valid but not supported";
  case RECUR_ERR_MISSING_TENSOR: return "RECUR_ERR_MISSING_TENSOR: a weight tensor is missing";
  case RECUR_ERR_UNEXPECTED_TENSOR: return "RECUR_ERR_UNEXPECTED_TENSOR: a tensor is not used by the network";
  case RECUR_ERR_LIMIT: return "RECUR_ERR_LIMIT: a resource limit would be exceeded";
  case RECUR_ERR_ISA_UNAVAILABLE: return "RECUR_ERR_ISA_UNAVAILABLE: instruction set not available";
  case RECUR_ERR_INTERNAL: return "RECUR_ERR_INTERNAL: internal error";
  }
  return "unknown recur_status";
}

const char *recur_last_error(void) { return last_error; }

recur_status recur_fail(recur_status status, const char *fmt, ...) {
  char detail[sizeof last_error];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  const char *line = recur_one_line(last_error, sizeof last_error, detail);
  if (line == detail) memcpy(last_error, detail, strlen(detail) + 1);
  const char *verbose = getenv("RECUR_VERBOSE");
  if (verbose && strcmp(verbose, "0") != 0)
    fprintf(stderr, "recur: %s (%s)\n", last_error, recur_status_string(status));
  return status;
}

void recur_set_memory_limit(size_t bytes) {
  atomic_store(&memory_limit, bytes ? bytes : RECUR_DEFAULT_MEMORY_LIMIT);
}

size_t recur_memory_limit(void) { return atomic_load(&memory_limit); }

recur_status recur_check_memory(const char *what, size_t bytes) {
  size_t limit = recur_memory_limit();
  if (bytes <= limit) return RECUR_OK;
  return recur_fail(RECUR_ERR_LIMIT, "%s needs %zu bytes, over the memory limit of %zu "
                    "(raise it with recur_set_memory_limit)", what, bytes, limit);
}
