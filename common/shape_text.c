/* Shapes in messages, written one way everywhere: "(20, 4, 16)". */
#include <stdio.h>

#include "internal.h"

char *recur_shape_text(char *buf, size_t size, const int64_t *dims, int ndim, int tuple) {
  size_t used = (size_t)snprintf(buf, size, "(");
  for (int d = 0; d < ndim && used < size; d++)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld", d ? ", " : "", (long long)dims[d]);
  if (used < size) snprintf(buf + used, size - used, "%s", tuple && ndim == 1 ? ",)" : ")");
  return buf;
}
