/* recur_tool.h's entries into the tuner and the layers below it: what the command line needs
 * without seeing the library's structs (tune entries, tilings, per-call choices). */
#include <stdlib.h>

#include "forward.h"
#include "recur_tool.h"
#include "tune.h"

int recur_tool_api_version(void) { return RECUR_TOOL_API_VERSION; }

int recur_tool_tune_default_path(char *buf, size_t len) {
  return recur_tune_default_path(buf, len);
}

recur_status recur_tool_random_net(recur_net **out, const recur_desc *desc,
                                   recur_tool_packing packing, recur_precision precision) {
  recur_net_options options = {precision};
  return recur_tune_random_net(desc, NULL,
                               packing == RECUR_TOOL_PACKING_BUILTIN ? &recur_packing_builtin : NULL,
                               &options, out);
}

recur_status recur_tool_forward_builtin(const recur_net *net, const recur_forward_args *args) {
  static const recur_call_choices builtin; /* all zero: the heuristic's choices */
  return recur_forward_with(net, args, &builtin);
}

recur_status recur_tool_tune(const char *path, const recur_tool_tune_case *cases, int n,
                             const recur_tool_tune_opts *opts, recur_tool_tune_result *out,
                             char *replaced_why, size_t why_len) {
  const recur_kernels *k = recur_kernels_active();
  if (!k) return RECUR_ERR_ISA_UNAVAILABLE; /* RECUR_ISA names a table this CPU lacks: said why */
  recur_tune_outcome *outcomes = calloc((size_t)n, sizeof *outcomes);
  if (!outcomes) return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur tune: out of memory");
  recur_status st = recur_tune_search(k, cases, n, opts, NULL, outcomes);
  if (!st) st = recur_tune_store(path, outcomes, n, replaced_why, why_len);
  for (int i = 0; i < n && !st; i++) {
    const recur_tune_outcome *o = &outcomes[i];
    out[i] = (recur_tool_tune_result){o->measured, o->compared, o->improved, o->entry.default_ms,
                                      o->improved ? o->entry.tuned_ms : o->entry.default_ms,
                                      o->gain, o->noise, o->spread};
  }
  free(outcomes);
  return st;
}
