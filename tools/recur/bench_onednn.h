/* oneDNN's RNN primitive on `recur bench`'s cases: bench_onednn.c and bench_onednn_capped.c
 * when the build found libdnnl, bench_onednn_none.c otherwise. */
#ifndef RECUR_BENCH_ONEDNN_H
#define RECUR_BENCH_ONEDNN_H

#include <stddef.h>

#include "bench.h"
#include "cli.h"

/* oneDNN's version ("2.6.3"), or NULL if this build has no oneDNN. */
const char *recur_bench_onednn_version(void);

/* One case ready to run in this process: fp32 inference with `threads` OpenMP threads, the
 * weights already reordered to the primitive's preferred layout. Each open one sets the
 * caller's OpenMP thread count (for itself, before each run), and restores it on close: with
 * several open, close them in the reverse order. */
struct recur_bench_onednn;

/* NULL on failure, with a message in err. */
struct recur_bench_onednn *recur_bench_onednn_open(const struct recur_bench_case *c,
                                                   int threads, char *err, size_t errlen);

/* One execution (a recur_bench_fn): 0, or nonzero with the reason in
 * recur_bench_onednn_error. */
int recur_bench_onednn_run(void *job);
const char *recur_bench_onednn_error(struct recur_bench_onednn *job);

/* The ISA oneDNN dispatched to ("avx512_core", ...). */
const char *recur_bench_onednn_isa(void);

void recur_bench_onednn_close(struct recur_bench_onednn *job);

/* Times oneDNN capped at AVX2 on every case of the run at each of its thread counts, in a child
 * process (this program, re-run as `recur bench --onednn-only --json` with
 * DNNL_MAX_CPU_ISA=AVX2), and fills the RECUR_BENCH_ONEDNN_AVX2 slots of the run's first block
 * of rows. Returns 0, or nonzero with a message in err. */
int recur_bench_onednn_capped(const struct recur_cli_opts *opts, struct recur_bench_run *run,
                              char *err, size_t errlen);

#endif
