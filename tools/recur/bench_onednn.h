/* oneDNN's RNN primitive on `recur bench`'s cases: bench_onednn.c and bench_onednn_capped.c in
 * bench/recur_onednn (and bench_onednn.c in bench/stream_latency), bench_onednn_none.c in the
 * recur that is installed, which never links oneDNN. */
#ifndef RECUR_BENCH_ONEDNN_H
#define RECUR_BENCH_ONEDNN_H

#include <stddef.h>

#include "bench.h"
#include "cli.h"

/* oneDNN's version ("2.6.3"), or NULL in a recur without oneDNN. */
const char *recur_bench_onednn_version(void);

/* One case ready to run in this process: inference at a precision with `threads` OpenMP
 * threads, the weights already reordered to the primitive's preferred layout. fp32: every
 * tensor fp32; bf16: oneDNN's own bf16 path, bf16 weights, input and output with fp32 biases
 * (as its bf16 RNN takes them). Without states, the initial states are zero and the final
 * ones not wanted (recur bench's runs); with states, each run reads initial states (an LSTM's
 * c too) and writes final ones, as a stream's frame does (bench/stream_latency). Each open one
 * sets the caller's OpenMP thread count (for itself, before each run), and restores it on
 * close: with several open, close them in the reverse order. */
struct recur_bench_onednn;

/* NULL with a message in err: on failure, or, with *unsupported set, when oneDNN has no
 * implementation of the case at that precision on this CPU (or under its ISA cap), which is
 * not a failure: the message says what is missing, and the case goes untimed. */
struct recur_bench_onednn *recur_bench_onednn_open(const struct recur_bench_case *c,
                                                   recur_precision precision, int threads,
                                                   int states, int *unsupported, char *err,
                                                   size_t errlen);

/* One execution (a recur_bench_fn): 0, or nonzero with the reason in
 * recur_bench_onednn_error. */
int recur_bench_onednn_run(void *job);
const char *recur_bench_onednn_error(struct recur_bench_onednn *job);

/* The ISA oneDNN dispatched to ("avx512_core", ...). */
const char *recur_bench_onednn_isa(void);

void recur_bench_onednn_close(struct recur_bench_onednn *job);

/* Times oneDNN capped at AVX2 on every case of the run at each of its thread counts and
 * precisions, in a child process (this program, re-run as `recur bench --onednn-only --json`
 * with DNNL_MAX_CPU_ISA=AVX2), and fills the RECUR_BENCH_ONEDNN_AVX2 slots (a time, or why
 * there is none) of the first block of rows of each precision. Returns 0, or nonzero with a
 * message in err. */
int recur_bench_onednn_capped(const struct recur_cli_opts *opts, struct recur_bench_run *run,
                              char *err, size_t errlen);

#endif
