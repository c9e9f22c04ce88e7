/* Command-line parsing for the `recur` tool: a pure function of argv that never prints, exits
 * or allocates, so that it can be fuzzed in-process. */
#ifndef RECUR_CLI_H
#define RECUR_CLI_H

#include <stddef.h>

#include "bench_spec.h"
#include "recur.h"

/* What the command line asks for. */
enum recur_cli_command {
  RECUR_CLI_NONE = 0, /* no command could be identified (only after a usage error) */
  RECUR_CLI_RUN,
  RECUR_CLI_INFO,
  RECUR_CLI_VERSION,
  RECUR_CLI_BENCH,
  RECUR_CLI_TUNE
};

/* recur_cli_parse's result. */
enum recur_cli_status {
  RECUR_CLI_OK = 0,
  RECUR_CLI_USAGE_ERROR = 1
};

/* Parsed options. Strings point into argv; unset ones are NULL. */
struct recur_cli_opts {
  enum recur_cli_command command;
  int help; /* --help or -h: print command's usage (general usage for RECUR_CLI_NONE) */

  /* recur run */
  const char *model_path;
  const char *input_path;
  const char *y_path;       /* -o */
  const char *hn_path;      /* --hn */
  const char *cn_path;      /* --cn */
  const char *h0_path;      /* --h0 */
  const char *c0_path;      /* --c0 */
  const char *lengths_path; /* --lengths */
  const char *prefix;       /* --prefix */
  const char *isa;          /* --isa: a name recur_tool_isa_known accepts */
  int batch_first;          /* --batch-first */
  int time_first;           /* --time-first (neither: the model's layout) */
  int threads;              /* --threads (run): 1..RECUR_CLI_MAX_THREADS, 0 if not given */
  recur_precision precision; /* --precision (run, tune): fp32 if not given */

  /* recur info */
  int peak; /* --peak: also measure each available table's FMA peak */

  /* recur bench (and --isa above) */
  int thread_counts[RECUR_BENCH_MAX_THREAD_COUNTS]; /* --threads: distinct, each in
                                                      1..RECUR_CLI_MAX_THREADS */
  int n_thread_counts; /* 0: not given */
  unsigned cells; /* --cells: bit (1 << enum recur_bench_cell) per cell; 0: every cell */
  struct recur_bench_shape shapes[RECUR_BENCH_MAX_SHAPES]; /* --shapes */
  int n_shapes;    /* 0: the default shapes */
  int isa_all;     /* --isa all: every table this CPU runs (isa stays NULL) */
  int csv, json;   /* --csv, --json: the report's format (not both) */
  int quick;       /* --quick */
  int vs_onednn;   /* --vs-onednn */
  int vs_defaults; /* --vs-defaults: also time the built-in defaults, tune file or not */
  int onednn_only; /* --onednn-only: time oneDNN alone (the AVX2-capped child run) */
  recur_precision precisions[RECUR_BENCH_MAX_PRECISIONS]; /* --precision: distinct, in the
                                                            order given */
  int n_precisions; /* 0: not given (fp32) */

  /* recur tune (and --cells, --shapes, --threads, --isa, --precision above; --model is
   * model_path, with --prefix) */
  int64_t batch;      /* --batch: the model's batch size; 0 if not given */
  int64_t seq;        /* --seq: the model's sequence length; 0 if not given */
  int64_t time_limit; /* --time-limit: seconds; 0 if not given */
  const char *tune_path; /* -o */
};

#define RECUR_CLI_MAX_THREADS 1024

/* Parses argv (argv[0] is the program name). On success returns RECUR_CLI_OK with *out filled.
 * On a usage error returns RECUR_CLI_USAGE_ERROR, writes a one-line message (no trailing
 * newline) to err, and leaves in out->command the command the error belongs to, so that the
 * caller can point at the right help. A --help seen before any error wins over what follows. */
enum recur_cli_status recur_cli_parse(int argc, char **argv, struct recur_cli_opts *out,
                                      char *err, size_t errlen);

/* The usage text of a command (RECUR_CLI_NONE or RECUR_CLI_VERSION: the general one). */
const char *recur_cli_usage(enum recur_cli_command command);

/* The help hint for usage errors: "try 'recur run --help'" or "try 'recur --help'". */
const char *recur_cli_hint(enum recur_cli_command command);

#endif
