/* What `recur bench` measures: the cells, the shapes, the cases they make and their FLOP counts.
 * Pure functions: the command-line parser (which is fuzzed) uses them to check --cells and
 * --shapes. */
#ifndef RECUR_BENCH_SPEC_H
#define RECUR_BENCH_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "recur.h"

/* The cells --cells names; bit (1 << cell) in a cell mask. */
enum recur_bench_cell {
  RECUR_BENCH_RNN,    /* nn.RNN, tanh */
  RECUR_BENCH_LSTM,
  RECUR_BENCH_GRU,
  RECUR_BENCH_BILSTM, /* bidirectional LSTM */
  RECUR_BENCH_N_CELLS
};

struct recur_bench_cell_info {
  const char *name; /* as --cells spells it */
  recur_cell cell;
  int gates;        /* G: 1 RNN, 3 GRU, 4 LSTM */
  int directions;
};

const struct recur_bench_cell_info *recur_bench_cell_info(enum recur_bench_cell cell);

/* One shape: T steps, batch B, input size I, hidden size H, LSTM projection P (0: none). */
struct recur_bench_shape {
  int64_t T, B, I, H, P;
};

#define RECUR_BENCH_MAX_SHAPES 16
#define RECUR_BENCH_MAX_DIM 100000
#define RECUR_BENCH_MAX_CASES (RECUR_BENCH_N_CELLS * RECUR_BENCH_MAX_SHAPES)
/* How many thread counts --threads may list: every case runs at each. */
#define RECUR_BENCH_MAX_THREAD_COUNTS 8
/* How many precisions --precision may list: each of recur_precision once (room for more). */
#define RECUR_BENCH_MAX_PRECISIONS 8

/* "rnn,lstm,gru,bilstm" (any non-empty subset, any order, no repeats) into a cell mask.
 * Returns 1, or 0 with a message in err. */
int recur_bench_parse_cells(const char *s, unsigned *mask, char *err, size_t errlen);

/* "T,B,I[,H[,P]];..." (H defaults to I; P, LSTM only, to none) into up to
 * RECUR_BENCH_MAX_SHAPES shapes, each size in 1..RECUR_BENCH_MAX_DIM and P < H.
 * Returns 1, or 0 with a message in err. */
int recur_bench_parse_shapes(const char *s, struct recur_bench_shape *shapes, int *n_shapes,
                             char *err, size_t errlen);

/* The projection is LSTM only: 0 with a message in err if a shape has P and the mask (0: every
 * cell) has a cell other than lstm and bilstm. */
int recur_bench_check(unsigned mask, const struct recur_bench_shape *shapes, int n_shapes,
                      char *err, size_t errlen);

/* The inverse of the two parsers (for handing a run to a child process). Returns 1, or 0 if
 * buf is too small. */
int recur_bench_format_cells(unsigned mask, char *buf, size_t len);
int recur_bench_format_shapes(const struct recur_bench_shape *shapes, int n_shapes, char *buf,
                              size_t len);
/* Thread counts as --threads takes them ("1,2"); fits in RECUR_BENCH_THREADS_TEXT_LEN. */
#define RECUR_BENCH_THREADS_TEXT_LEN (RECUR_BENCH_MAX_THREAD_COUNTS * 12)
void recur_bench_format_threads(const int *threads, int n_threads,
                                char buf[RECUR_BENCH_THREADS_TEXT_LEN]);

/* One measurement: a cell on a shape. */
struct recur_bench_case {
  enum recur_bench_cell cell;
  struct recur_bench_shape shape;
};

/* The cases a run measures, cells in enum order, then shapes in order. A mask of 0 means every
 * cell. Without shapes (n_shapes 0), the DeepBench inference shapes for RNN, LSTM and GRU and
 * (50,16,512) for the bidirectional LSTM. Returns the number of cases (at most
 * RECUR_BENCH_MAX_CASES). */
int recur_bench_cases(unsigned mask, const struct recur_bench_shape *shapes, int n_shapes,
                      struct recur_bench_case *out);

/* Floating-point operations of one forward pass: 2·T·B·(G·H·(I+P) + P·H) per direction, where
 * P = H without projection and the P·H term only with it. */
double recur_bench_flops(const struct recur_bench_case *c);

#endif
