/* `recur bench`: what one run measured, shared by the command, its reports and the oneDNN
 * comparison. */
#ifndef RECUR_BENCH_H
#define RECUR_BENCH_H

#include "bench_spec.h"
#include "recur_tool.h"

/* oneDNN's two configurations: as it chooses, and capped at AVX2 (DNNL_MAX_CPU_ISA=AVX2, which
 * only takes effect in a fresh process). */
enum { RECUR_BENCH_ONEDNN_DEFAULT, RECUR_BENCH_ONEDNN_AVX2, RECUR_BENCH_ONEDNN_N };

#define RECUR_BENCH_NAME_LEN 32
/* Room for why a oneDNN configuration has no time for a row ("oneDNN 2.6.3 has no bf16 rnn
 * on avx2"). */
#define RECUR_BENCH_REASON_LEN 96

/* Timed together (recur_bench_time): recur, recur with its built-in defaults and oneDNN at up
 * to RECUR_BENCH_MAX_THREAD_COUNTS thread counts each. */
#define RECUR_BENCH_MAX_CONTENDERS (3 * RECUR_BENCH_MAX_THREAD_COUNTS)

/* A row ran with the built-in defaults, with a tuned packing only (the tune file has the
 * network's shape at another batch or thread count), or with its own tune entry. */
enum { RECUR_BENCH_DEFAULTS, RECUR_BENCH_TUNED_PACKING, RECUR_BENCH_TUNED };

/* One case at one thread count and precision on one of recur's kernel tables, with oneDNN's
 * times for the same case, thread count and precision. */
struct recur_bench_row {
  struct recur_bench_case c;
  recur_precision precision; /* recur's networks and oneDNN's data types */
  int threads;
  int cores;          /* the cores those threads can use: at most the process's CPUs */
  const char *isa;    /* recur's kernels; NULL when only oneDNN was measured */
  double peak_gflops; /* peak of isa at this precision on those cores; 0 if unknown */
  const char *peak_table, *peak_instruction; /* what that peak timed: the table the precision
                                                runs on and its dot product's instruction */
  int tuned;          /* RECUR_BENCH_TUNED_*: what the tune file gave this row */
  struct recur_bench_timing recur;
  struct recur_bench_timing defaults; /* --vs-defaults: the built-in choices; runs 0: not */
  struct recur_bench_timing onednn[RECUR_BENCH_ONEDNN_N]; /* runs 0: not measured */
  char onednn_isa[RECUR_BENCH_ONEDNN_N][RECUR_BENCH_NAME_LEN];
  /* Why a configuration oneDNN was asked for has no time: it has no implementation of the case
   * at this precision ("": it was timed, or not asked for). */
  char onednn_unsupported[RECUR_BENCH_ONEDNN_N][RECUR_BENCH_REASON_LEN];
};

/* A whole run: n_tables blocks of n_cases * n_threads rows, one block per precision and kernel
 * table, precision by precision in the order asked for, tables_per_precision blocks each (one
 * block with isa NULL per precision in a oneDNN-only run), the cases in the same order in each,
 * each case at every thread count in turn. Scaling is measured from the first thread count.
 * oneDNN is timed with the first block of each precision; the other blocks of that precision
 * get a copy. */
struct recur_bench_run {
  const char *cpu_model;
  const int *threads;
  int n_threads;
  int quick;
  const char *onednn_version; /* NULL: oneDNN is not part of this run */
  int vs_defaults;            /* recur is also timed with its built-in defaults */
  struct recur_bench_row *rows;
  int n_tables, n_cases;
  int tables_per_precision;
  double load; /* the 1-minute load average at the start, on cpus CPUs (0: unknown) */
  int cpus;
};

/* The faster of oneDNN's measured configurations, or -1 if none was measured. */
int recur_bench_onednn_best(const struct recur_bench_row *row);

/* The reports, on stdout. The JSON one returns nonzero if it could not be built. */
void recur_bench_print_table(const struct recur_bench_run *run);
void recur_bench_print_csv(const struct recur_bench_run *run);
int recur_bench_print_json(const struct recur_bench_run *run);

#endif
