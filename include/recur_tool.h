/* recur_tool.h: what recur's own tools (the `recur` command line) use of librecur beyond the
 * public API in recur.h: the tuner, the benchmark's timing and random networks, the CPU's
 * identity, and the all-or-nothing output files.
 *
 * For recur's own tools only. It is not installed, and it makes no stability promise: any
 * minor version may change it. A tool built against it checks recur_tool_api_version() against
 * RECUR_TOOL_API_VERSION at start, so that it refuses a librecur.so from another version
 * rather than misreading its structs. Programs outside recur use recur.h alone.
 *
 * Conventions are recur.h's (recur_status results, recur_last_error details, no printing). */
#ifndef RECUR_TOOL_H
#define RECUR_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include "recur.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Raised whenever anything below changes. */
#define RECUR_TOOL_API_VERSION 4

#if defined(RECUR_BUILDING) && defined(__GNUC__)
#define RECUR_TOOL_API __attribute__((visibility("default")))
#else
#define RECUR_TOOL_API
#endif

/* RECUR_TOOL_API_VERSION of the loaded library. */
RECUR_TOOL_API int recur_tool_api_version(void);

/* Whether name is a kernel table recur knows ("scalar", "avx2", "avx512", "neon"), whether or
 * not this build or CPU has it (recur_isa_list: those it has). */
RECUR_TOOL_API int recur_tool_isa_known(const char *name);

/* Every ISA recur knows, best first, and every precision, as help texts and messages list them
 * ("avx512, avx2, neon, scalar"; "fp32, bf16"): from the library's one list of each. */
RECUR_TOOL_API const char *recur_tool_isa_names(void);
RECUR_TOOL_API const char *recur_tool_precision_names(void);

/* How a precision rounds weights and dot-product inputs, one short line for help texts; NULL
 * for an unknown value. */
RECUR_TOOL_API const char *recur_tool_precision_rounding(recur_precision precision);

/* What recur_isa_peak_gflops_at times for the named table (NULL: the active one) and a
 * precision: the kernel table the precision runs on there ("avx512_bf16") and the instruction
 * its dot product is made of ("vdpbf16ps", "fp32 FMA"). RECUR_ERR_UNSUPPORTED for the scalar
 * table, which has none. */
RECUR_TOOL_API recur_status recur_tool_peak_instruction(const char *name, recur_precision precision,
                                                        const char **table,
                                                        const char **instruction);

/* ---------------------------------------------------------------------------------------- */
/* Tuning                                                                                    */

/* One shape to tune: a network description, the call's T and B, its thread count, and the
 * precision its networks compute in (the tune file keys entries by it). */
typedef struct recur_tool_tune_case {
  recur_desc desc;
  int64_t T, B;
  int threads;
  recur_precision precision;
} recur_tool_tune_case;

/* Called after every measurement: the fraction of the time limit used or work done. */
typedef void (*recur_tool_tune_progress_fn)(void *ctx, double fraction,
                                            const recur_tool_tune_case *now);

typedef struct recur_tool_tune_opts {
  double seconds;                       /* the whole search's time limit */
  recur_tool_tune_progress_fn progress; /* or NULL */
  void *ctx;
} recur_tool_tune_opts;

/* What tuning one case gave. */
typedef struct recur_tool_tune_result {
  int measured; /* 0: the time limit came first; nothing below is set */
  int compared; /* 1: the search found something faster and compared it with the defaults at
                   the end; 0: the defaults won every step */
  int improved; /* 1: the winner beat the defaults by enough to be kept: at least
                   RECUR_TOOL_TUNE_MIN_GAIN, and more than the noise */
  double default_ms, tuned_ms; /* tuned_ms is default_ms when not improved */
  double gain, noise; /* compared: 1 - the winner's time over the defaults' (the median of
                         rounds run in turn), and the noise of that ratio (half its
                         interquartile range); a gain within the noise is not kept */
  double spread; /* the run-to-run spread of the final times (interquartile range over the
                    median): a figure to distrust when large (RECUR_BENCH_NOISY) */
} recur_tool_tune_result;

/* The least gain a tuned entry is kept for. */
#define RECUR_TOOL_TUNE_MIN_GAIN 0.03

/* Tunes n cases on the active kernel table (recur_isa_force picks it), from the built-in
 * defaults whatever tune file is in use, then merges what was measured into the tune file at
 * path (under a lock, replaced atomically). out[i] is case i's result. An existing file that
 * is malformed or from another CPU or version is replaced; replaced_why says why ("" if not). */
RECUR_TOOL_API recur_status recur_tool_tune(const char *path, const recur_tool_tune_case *cases,
                                            int n, const recur_tool_tune_opts *opts,
                                            recur_tool_tune_result *out, char *replaced_why,
                                            size_t why_len);

/* Whether recur_tool_tune could write path (its folder is made, its lock file created), so
 * that a long search does not end in an unwritable location. */
RECUR_TOOL_API recur_status recur_tune_check_writable(const char *path);

/* The tune file the library reads when RECUR_TUNE_FILE is unset ($XDG_CONFIG_HOME/recur/
 * tune.conf, else ~/.config/recur/tune.conf), or RECUR_TUNE_FILE itself: 0 if none is known. */
RECUR_TOOL_API int recur_tool_tune_default_path(char *buf, size_t len);

/* ---------------------------------------------------------------------------------------- */
/* Benchmarking                                                                              */

/* How a random network is packed: as recur_net_create packs it (with the tune file's choices
 * if it has the shape), or with the built-in defaults. */
typedef enum recur_tool_packing {
  RECUR_TOOL_PACKING_TUNED,
  RECUR_TOOL_PACKING_BUILTIN
} recur_tool_packing;

/* A network of description desc with random weights in PyTorch's initial range, computing
 * in precision: only the shapes matter to the speed, so any model's shape can be timed
 * without its weights. */
RECUR_TOOL_API recur_status recur_tool_random_net(recur_net **out, const recur_desc *desc,
                                                  recur_tool_packing packing,
                                                  recur_precision precision);

/* recur_forward with the built-in per-call choices (threads, split, tiles), whatever the tune
 * file says. */
RECUR_TOOL_API recur_status recur_tool_forward_builtin(const recur_net *net,
                                                       const recur_forward_args *args);

/* Fills p with uniform floats in [-scale, scale) from a xorshift32 state. */
RECUR_TOOL_API void recur_bench_fill_random(float *p, size_t n, float scale, unsigned *state);

/* Timing: warm up, repeat until a time box is filled, take the median. Two or more contenders
 * run in turn, so that a busy stretch of a shared machine slows them alike.
 *
 * How long to measure one contender. After one warm-up run, it runs until it has min_runs runs
 * and min_seconds of run time, or max_seconds of run time; a warm-up run longer than
 * max_seconds is its only sample (warming up matters little for runs that long). */
struct recur_bench_budget {
  int min_runs;
  double min_seconds;
  double max_seconds;
};

struct recur_bench_timing {
  int runs; /* 0: not measured */
  double median_ms, min_ms;
  double spread; /* the runs' interquartile range over their median: run-to-run noise */
  /* Round by round, this contender's time over the first contender's in the same round: the
   * median of those ratios and half their interquartile range, the noise a difference
   * between the two must beat to be real (0 for the first contender). */
  double ratio, ratio_noise;
};

/* One run of the code being timed: 0 on success, else nonzero (timing stops). */
typedef int (*recur_bench_fn)(void *ctx);

struct recur_bench_contender {
  recur_bench_fn fn;
  void *ctx;
  struct recur_bench_timing timing; /* the result */
  int status;                       /* fn's nonzero result, if it failed */
};

/* Times n contenders, one run of each in turn, until every
 * one has filled its budget. Returns 0, or nonzero if a run failed (see the statuses). Each
 * round runs every contender once (a warm-up that filled the budget alone stays the only
 * sample), so the rounds pair the contenders' runs. */
RECUR_TOOL_API int recur_bench_time(struct recur_bench_contender *contenders, int n,
                                    const struct recur_bench_budget *budget);

/* Monotonic seconds. */
RECUR_TOOL_API double recur_bench_now(void);

/* A timing whose runs spread more than this (recur_bench_timing's spread) is unreliable:
 * `recur bench` and `recur tune` warn of it (about three times the least gain a tune entry is
 * kept for, RECUR_TOOL_TUNE_MIN_GAIN). */
#define RECUR_BENCH_NOISY 0.10

/* The 1-minute load average (/proc/loadavg) and the CPUs online: 0 if either is unknown. */
RECUR_TOOL_API int recur_bench_load(double *load, int *cpus);

/* Whether that load leaves a run of `threads` threads short of free CPUs by more than
 * RECUR_BENCH_LOAD_SLACK (half a CPU, for the system's own work): its timings are then
 * unreliable (other work shares its cores), and what is tuned then may not hold on a quiet
 * machine. */
#define RECUR_BENCH_LOAD_SLACK 0.5
RECUR_TOOL_API int recur_bench_busy(double load, int cpus, int threads);

/* The budget for a run: normal (>= 5 runs and >= 0.3 s), quick, or capped for a slow ISA. */
RECUR_TOOL_API struct recur_bench_budget recur_bench_budget_for(int quick, int slow);

/* What identifies a CPU for the tune file: not the brand string, which a VM may report
 * generically, but the vendor, family/model/stepping (x86 CPUID; arm: MIDR implementer, part,
 * variant/revision), recur's feature mask (recur_cpu_features() names the features) and the
 * data cache sizes (bytes, 0 if unknown). */
typedef struct recur_cpu_id {
  char vendor[16];
  int family, model, stepping;
  unsigned features;
  int64_t l1d, l2, l3;
} recur_cpu_id;

RECUR_TOOL_API void recur_cpu_identify(recur_cpu_id *id);

/* ---------------------------------------------------------------------------------------- */
/* Output files and messages                                                                 */

/* text itself when it holds no control byte (a UTF-8 path stays readable), else its escaped
 * form in buf (size >= 4): a whole message, made one line. */
RECUR_TOOL_API const char *recur_one_line(char *buf, size_t size, const char *text);

/* A shape for a message, "(20, 4, 16)", into buf (size >= 1; cut to fit), returned. With tuple
 * set, one axis is written as Python writes a 1-tuple, "(4,)" (NumPy's shapes); else "(4)". */
RECUR_TOOL_API char *recur_shape_text(char *buf, size_t size, const int64_t *dims, int ndim, int tuple);

/* Which file a path names, to tell when two paths are one file under two spellings (or links):
 * the file's device and inode, or for a path with no file yet, its folder's and its last
 * component (name, pointing into the path). */
typedef struct recur_file_id {
  uint64_t dev, ino;
  const char *name; /* NULL: the file exists */
} recur_file_id;

/* An existing file's identity: 0 if path cannot be stat'ed. */
RECUR_TOOL_API int recur_file_identify(const char *path, recur_file_id *id);
RECUR_TOOL_API int recur_same_file(const recur_file_id *a, const recur_file_id *b);

/* path as a file to replace: its identity, or RECUR_ERR_IO if it cannot be one: a folder, a
 * FIFO, a device, anything but a regular file (never replaced: the system's /dev/null among
 * them), or a path whose folder does not exist, is not a folder, or is one this process may
 * not write to (permissions, a read-only file system). */
RECUR_TOOL_API recur_status recur_check_output(const char *path, recur_file_id *id);

/* Files replaced together, all or none. Each is staged: checked (recur_check_output) and
 * written to a new temporary file beside its path, "<name>.tmp.<pid>.<n>" with name shortened
 * to keep within NAME_MAX, fsynced. recur_commit_staged then moves every temporary over its
 * path; if one cannot be moved, those already moved are put back (where the file system can
 * exchange two names) and failed names the path. recur_discard_staged must follow either: it
 * removes the temporaries left. Paths are borrowed until then. A process killed meanwhile
 * leaves each path old or new, and may leave temporaries. */
#define RECUR_STAGED_MAX 3 /* y, h_n and c_n */
typedef struct recur_staged_file {
  const char *path;
  char *tmp;
  int state; /* the library's */
} recur_staged_file;
typedef struct recur_staging {
  int n;
  recur_staged_file files[RECUR_STAGED_MAX];
  const char *failed;
} recur_staging;

/* recur_npy_save's bytes (recur.h), staged. */
RECUR_TOOL_API recur_status recur_npy_stage(recur_staging *s, const char *path,
                                            const float *data, int ndim, const int64_t *shape);
RECUR_TOOL_API recur_status recur_commit_staged(recur_staging *s);
RECUR_TOOL_API void recur_discard_staged(recur_staging *s);

#ifdef __cplusplus
}
#endif
#endif /* RECUR_TOOL_H */
