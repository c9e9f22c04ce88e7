/* oneDNN's RNN primitive on `recur bench`'s cases: bench_onednn.c and bench_onednn_capped.c
 * when the build found libdnnl, bench_onednn_none.c otherwise. */
#ifndef RECUR_BENCH_ONEDNN_H
#define RECUR_BENCH_ONEDNN_H

#include <stddef.h>

#include "bench.h"
#include "cli.h"

/* oneDNN's version ("2.6.3"), or NULL if this build has no oneDNN. */
const char *recur_bench_onednn_version(void);

/* Times oneDNN in this process on case c with `threads` OpenMP threads: fp32 inference,
 * weights reordered to the primitive's preferred layout beforehand, only the primitive's
 * execution timed. Fills out and isa (oneDNN's effective ISA). Returns 0, or nonzero with a
 * message in err. */
int recur_bench_onednn_time(const struct recur_bench_case *c, int threads,
                            const struct recur_bench_budget *budget,
                            struct recur_bench_timing *out, char isa[RECUR_BENCH_NAME_LEN],
                            char *err, size_t errlen);

/* Times oneDNN capped at AVX2 on every row's case, in a child process (this program, re-run as
 * `recur bench --onednn-only --json` with DNNL_MAX_CPU_ISA=AVX2), and fills the rows'
 * RECUR_BENCH_ONEDNN_AVX2 slots. Returns 0, or nonzero with a message in err. */
int recur_bench_onednn_capped(const struct recur_cli_opts *opts, struct recur_bench_row *rows,
                              int n_rows, char *err, size_t errlen);

#endif
