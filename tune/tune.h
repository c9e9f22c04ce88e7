/* The autotuner: measures tile sizes and schedules on this CPU and records the winners in the
 * tune file (net/tunefile.h). The `recur tune` command drives it through recur_tool_tune. */
#ifndef RECUR_TUNE_H
#define RECUR_TUNE_H

#include <stdint.h>

#include "kernels.h"
#include "net.h"
#include "recur_tool.h"
#include "tunefile.h"

/* One shape to tune, and the search's options: the command line's (recur_tool.h). */
typedef recur_tool_tune_case recur_tune_case;
typedef recur_tool_tune_opts recur_tune_opts;

typedef struct recur_tune_outcome {
  int measured;          /* 0: the time limit came first; nothing below is set */
  int compared;          /* 1: the search found something faster and compared it with the
                            defaults at the end; 0: the defaults won every step */
  int improved;          /* 1: the winner beat the default by RECUR_TOOL_TUNE_MIN_GAIN and more
                            than the noise in the final alternating measurement; 0: the
                            defaults stay */
  double gain, noise;    /* compared: 1 - the winner's time over the default's (the median of
                            the rounds), and that ratio's noise (half its interquartile range) */
  double spread;         /* the default's run-to-run spread (recur_bench_timing) */
  recur_tune_entry entry; /* the winner's choices, or the defaults' (spelled out, so that the
                             case's own entry, not a neighbour's at another B, applies to it) */
} recur_tune_outcome;

/* A clock in seconds: the monotonic one, or a test's. */
struct recur_bench_clock {
  double (*now)(void *ctx);
  void *ctx;
};

/* recur_bench_now as a clock's now. */
double recur_bench_monotonic(void *unused);

/* recur_bench_time on a given clock. */
int recur_bench_time_on(struct recur_bench_contender *contenders, int n,
                        const struct recur_bench_budget *budget,
                        const struct recur_bench_clock *clock);

/* What the search times with: a clock, and one run of a trial (nonzero: it failed). The real
 * ones are the monotonic clock and recur_forward_with; a test's fakes make the times, and so
 * the search's choices, known in advance. */
typedef struct recur_tune_timer {
  struct recur_bench_clock clock;
  int (*run)(void *ctx, const recur_net *net, const recur_forward_args *args,
             const recur_call_choices *choices);
  void *ctx;
} recur_tune_timer;

/* Tunes n cases on table k, timed by timer (NULL: the real one). Cases of one network shape
 * (cell, I, H, P, layers, directions, precision) share the network-level choices, so they are
 * searched together. out[i] is case i's result. Ignores any tune file already in use: the
 * search starts from the built-in defaults. */
recur_status recur_tune_search(const recur_kernels *k, const recur_tune_case *cases, int n,
                               const recur_tune_opts *opts, const recur_tune_timer *timer,
                               recur_tune_outcome *out);

/* A network of description d with random weights in PyTorch's initial range, packed for k
 * as p says (NULL: as recur_net_create; &recur_packing_builtin: the defaults), created with
 * options (NULL: fp32). */
recur_status recur_tune_random_net(const recur_desc *d, const recur_kernels *k,
                                   const recur_packing *p, const recur_net_options *options,
                                   recur_net **out);

/* Merges the measured outcomes' entries into the tune file at path under an exclusive lock
 * (path.lock), so that concurrent writers both land, and replaces it atomically. An existing
 * file that is malformed or from another CPU or version is replaced; replaced_why says why (""
 * if not). */
recur_status recur_tune_store(const char *path, const recur_tune_outcome *outcomes, int n,
                              char *replaced_why, size_t why_len);

#endif
