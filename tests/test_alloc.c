/* No allocation after creation: a stream's steps (every table this CPU runs, 1 to 3 threads,
 * calls of 1 step, of several and longer than a chunk, and from the threads of the caller's
 * own parallel region) and a loop of same-shape recur_forward calls with a workspace after
 * its first call make no malloc, calloc, realloc, aligned_alloc, posix_memalign, memalign or
 * free call, on any thread, nor does the first call after one that the memory limit refused
 * (the workspace keeps its block).
 *
 * Counting: alloc_counter.c, linked in, defines the allocation functions and forwards them to
 * glibc's own, or under a sanitizer counts through its allocation hooks; under valgrind, run it
 * with --soname-synonyms=somalloc=nouserintercepts (tests/meson.build). Either way the count is
 * first shown to work: a plain malloc and a forward call without a workspace and libgomp
 * starting a team of a new size must be counted, or the test fails.
 * Plain C, not Criterion: one process, no allocations of a test framework's own.
 * `test_alloc --best-table` runs the best kernel table only (for memcheck). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_counter.h"
#include "randnet.h"
#include "recur.h"

static int failures;

#define CHECK(cond, ...)                                  \
  do {                                                    \
    if (!(cond)) {                                        \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                       \
      fprintf(stderr, "\n");                              \
      failures++;                                         \
    }                                                     \
  } while (0)

#define OK(call) CHECK((call) == RECUR_OK, "%s: %s", #call, recur_last_error())

static recur_net *make_net(recur_cell cell, int64_t I, int64_t H, int64_t L, int64_t P) {
  recur_desc d = {cell, I, H, L, 0, P, 1, 0};
  randnet_tensors w;
  randnet_make(&d, 7, &w);
  recur_net *net = NULL;
  OK(recur_net_create(&net, &d, w.t, w.n));
  randnet_free(&w);
  return net;
}

static float *floats(size_t n) {
  float *p = malloc(n * sizeof *p);
  for (size_t i = 0; i < n; i++) p[i] = (float)((i * 31 % 17) - 8) / 8.0f;
  return p;
}

/* A parallel region of a team size no plan here has, so that libgomp's cached team is not the
 * next call's. */
static void other_team(int n) {
  volatile int ran = 0;
#pragma omp parallel num_threads(n)
  ran = 1;
  (void)ran;
}

/* A stream's steps after its creation: calls of 1 step, of 7, and one longer than a chunk. */
static void stream_steps(const char *isa, recur_net *net, int64_t B, int64_t I, int64_t Ho, int threads) {
  const int64_t long_call = 300; /* several chunks of these networks */
  float *x = floats((size_t)(long_call * B * I)), *y = malloc((size_t)(long_call * B * Ho) * sizeof *y);
  recur_stream *s = NULL;
  other_team(5);
  OK(recur_stream_create(&s, net, B, threads));
  if (!s) return;
  alloc_begin();
  for (int i = 0; i < 20; i++) OK(recur_stream_step(s, x, 1, y));
  for (int i = 0; i < 3; i++) OK(recur_stream_step(s, x, 7, y));
  OK(recur_stream_reset(s, 0));
  OK(recur_stream_step(s, x, long_call, y));
  long n = alloc_end();
  CHECK(n == 0, "%s, B=%lld, %d threads: %ld allocation calls in a stream's steps", isa,
        (long long)B, threads, n);
  recur_stream_free(s);
  free(x), free(y);
}

/* recur_forward calls of one shape sharing a workspace, after the first. */
static void forward_loop(const char *isa, recur_net *net, int64_t B, int64_t I, int64_t Ho, int threads) {
  const int64_t T = 9;
  float *x = floats((size_t)(T * B * I)), *y = malloc((size_t)(T * B * Ho) * sizeof *y);
  recur_workspace *ws = NULL;
  OK(recur_workspace_create(&ws));
  recur_forward_args a = {.seq_len = T, .batch = B, .input_size = I, .x = x, .y = y,
                          .num_threads = threads, .workspace = ws};
  other_team(5);
  OK(recur_forward(net, &a));
  alloc_begin();
  for (int i = 0; i < 10; i++) OK(recur_forward(net, &a));
  long n = alloc_end();
  CHECK(n == 0, "%s, B=%lld, %d threads: %ld allocation calls in forward calls with a workspace",
        isa, (long long)B, threads, n);
  /* a call the memory limit refuses changes nothing: the workspace keeps its block */
  recur_set_memory_limit(1);
  CHECK(recur_forward(net, &a) == RECUR_ERR_LIMIT, "a 1-byte memory limit: %s", recur_last_error());
  recur_set_memory_limit(0);
  alloc_begin();
  OK(recur_forward(net, &a));
  n = alloc_end();
  CHECK(n == 0, "%s, B=%lld, %d threads: %ld allocation calls after a call over the memory limit",
        isa, (long long)B, threads, n);
  recur_workspace_free(ws);
  free(x), free(y);
}

/* Streams planned for 2 threads, stepped at once by the threads of the caller's own parallel
 * region (each step then runs on its thread alone). */
static void streams_in_a_region(void) {
  enum { N = 2, B = 9, I = 16, H = 200 };
  recur_net *net = make_net(RECUR_CELL_GRU, I, H, 1, 0);
  float *x = floats(B * I), *y[N];
  recur_stream *s[N] = {NULL};
  for (int i = 0; i < N; i++) {
    y[i] = malloc(B * H * sizeof(float));
    OK(recur_stream_create(&s[i], net, B, 2));
  }
  int failed = 0;
  for (int pass = 0; pass < 2; pass++) { /* the first starts the caller's team */
    if (pass) alloc_begin();
#pragma omp parallel for num_threads(N) schedule(static, 1) reduction(+ : failed)
    for (int i = 0; i < N; i++)
      for (int k = 0; k < 10; k++) failed += s[i] && recur_stream_step(s[i], x, 1, y[i]) != RECUR_OK;
  }
  long n = alloc_end();
  CHECK(!failed, "steps inside a parallel region failed");
  CHECK(n == 0, "%ld allocation calls in streams stepped inside the caller's parallel region", n);
  for (int i = 0; i < N; i++) recur_stream_free(s[i]), free(y[i]);
  free(x);
  recur_net_free(net);
}

int main(int argc, char **argv) {
  /* --best-table: the best table only (memcheck runs the scalar one at a crawl) */
  int best_only = argc > 1 && strcmp(argv[1], "--best-table") == 0;
  alloc_counter_start();
  /* the count works: a malloc here and one in the library are seen */
  void *(*volatile alloc)(size_t) = malloc;
  alloc_begin();
  free(alloc(16));
  long n = alloc_end();
  CHECK(n == 2, "a malloc and a free counted %ld calls (%s)", n, alloc_counter_method);
  recur_net *probe = make_net(RECUR_CELL_GRU, 4, 8, 1, 0);
  float x[4] = {1, 2, 3, 4}, y[8];
  recur_forward_args a = {.seq_len = 1, .batch = 1, .input_size = 4, .x = x, .y = y, .num_threads = 1};
  alloc_begin();
  OK(recur_forward(probe, &a));
  n = alloc_end();
  CHECK(n >= 2, "a forward call without a workspace counted %ld allocation calls: the library's "
                "allocations are not seen (%s)", n, alloc_counter_method);
  recur_net_free(probe);
  other_team(3); /* a new team size: libgomp allocates its team */
  alloc_begin();
  other_team(5);
  n = alloc_end();
  CHECK(n >= 1, "a parallel region of a new team size counted %ld calls: libgomp's allocations "
                "are not seen (%s)", n, alloc_counter_method);

  unsigned teams = 0; /* the team sizes the plans had */
  char list[128], *save = NULL;
  snprintf(list, sizeof list, "%s", recur_isa_list());
  for (char *isa = strtok_r(list, " ", &save); isa; isa = best_only ? NULL : strtok_r(NULL, " ", &save)) {
    OK(recur_isa_force(isa));
    struct { recur_cell cell; int64_t I, H, L, P, B; } nets[] = {
      {RECUR_CELL_LSTM, 24, 96, 2, 40, 3}, {RECUR_CELL_GRU, 16, 200, 1, 0, 9},
      {RECUR_CELL_RNN_TANH, 8, 64, 3, 0, 1},
    };
    for (size_t k = 0; k < sizeof nets / sizeof *nets; k++) {
      recur_net *net = make_net(nets[k].cell, nets[k].I, nets[k].H, nets[k].L, nets[k].P);
      int64_t Ho = nets[k].P ? nets[k].P : nets[k].H;
      for (int threads = 1; threads <= 3; threads++) {
        recur_plan plan;
        OK(recur_net_plan(net, nets[k].B, threads, &plan));
        teams |= 1u << plan.threads;
        stream_steps(isa, net, nets[k].B, nets[k].I, Ho, threads);
        forward_loop(isa, net, nets[k].B, nets[k].I, Ho, threads);
      }
      recur_net_free(net);
    }
  }
  streams_in_a_region();
  CHECK((teams & 0xe) == 0xe, "the plans' teams (mask %#x) missed 1, 2 or 3 threads", teams);
  printf("%s: counted by %s\n", failures ? "FAIL" : "ok", alloc_counter_method);
  return failures != 0;
}
