/* A caller-held workspace (recur_workspace, recur.h): one 64-byte aligned block that only grows. */
#ifndef RECUR_WORKSPACE_H
#define RECUR_WORKSPACE_H

#include <stddef.h>

#include "recur.h"

struct recur_workspace {
  float *data;
  size_t floats;
};

/* Makes ws hold at least `floats` floats: nothing happens when it does; else the old block is
 * freed and a larger one allocated, checked first against the memory limit (`who` names the
 * caller in the error). On failure ws is left empty. */
recur_status recur_workspace_reserve(recur_workspace *ws, size_t floats, const char *who);

/* Frees the block, leaving ws empty. */
void recur_workspace_release(recur_workspace *ws);

#endif
