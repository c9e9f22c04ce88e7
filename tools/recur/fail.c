/* The commands' one-line error reports on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "recur.h"
#include "recur_tool.h"

/* One line on stderr, whatever bytes a path or a file's text brought into it. */
static void report(const char *text) {
  char escaped[4096];
  fprintf(stderr, "recur: %s\n", recur_one_line(escaped, sizeof escaped, text));
}

int recur_cmd_fail(const char *subject, const char *fmt, ...) {
  char text[4096];
  int n = snprintf(text, sizeof text, "%s: ", subject);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < sizeof text) vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
  va_end(ap);
  report(text);
  return RECUR_EXIT_FAILURE;
}

int recur_cmd_fail_status(const char *subject, recur_status status) {
  const char *detail = recur_last_error();
  if (!detail || !detail[0]) detail = recur_status_string(status);
  if (strstr(detail, subject)) {
    report(detail);
    return RECUR_EXIT_FAILURE;
  }
  return recur_cmd_fail(subject, "%s", detail);
}
