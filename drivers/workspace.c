/* recur_workspace: scratch a caller keeps between forward calls, so that a loop of same-shape
 * calls allocates only on its first. Held by the caller rather than cached in the network: the
 * network is immutable and shared by threads, so a cache there would need locks or per-thread
 * slots, and memory the caller could neither bound nor free. */
#include "workspace.h"

#include <stdlib.h>

#include "internal.h"

recur_status recur_workspace_create(recur_workspace **out) {
  if (!out) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_workspace_create: out is NULL");
  *out = calloc(1, sizeof **out);
  if (!*out) return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur_workspace_create: out of memory");
  return RECUR_OK;
}

void recur_workspace_free(recur_workspace *ws) {
  if (!ws) return;
  recur_workspace_release(ws);
  free(ws);
}

void recur_workspace_release(recur_workspace *ws) {
  free(ws->data);
  ws->data = NULL;
  ws->floats = 0;
}

recur_status recur_workspace_reserve(recur_workspace *ws, size_t floats, const char *who) {
  if (floats <= ws->floats) return RECUR_OK;
  recur_workspace_release(ws); /* before allocating: the limit bounds one block, not two */
  recur_status st = recur_check_memory(who, floats * sizeof(float));
  if (st) return st;
  ws->data = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
  if (!ws->data)
    return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "%s: no memory for %zu floats", who, floats);
  ws->floats = floats;
  return RECUR_OK;
}
