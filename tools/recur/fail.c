/* The commands' one-line error reports on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "recur.h"

int recur_cmd_fail(const char *subject, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "recur: %s: ", subject);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  return RECUR_EXIT_FAILURE;
}

int recur_cmd_fail_status(const char *subject, recur_status status) {
  const char *detail = recur_last_error();
  if (!detail || !detail[0]) detail = recur_status_string(status);
  if (strstr(detail, subject)) {
    fprintf(stderr, "recur: %s\n", detail);
    return RECUR_EXIT_FAILURE;
  }
  return recur_cmd_fail(subject, "%s", detail);
}
