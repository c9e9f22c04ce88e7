/* Concurrency: one network shared by many threads gives, bit for bit, what sequential runs give
 * (some calls updating their state in place); so does a forward called from inside the caller's own OpenMP parallel region, and one running
 * while other threads create, load and free networks and fail calls of their own.
 *
 * Plain C with its own main() rather than Criterion, because it is meant for ThreadSanitizer
 * (tools/test.sh's build-tsan) and Criterion does not start under TSan (its inheritable arena
 * cannot be mapped: Snaipe/Criterion#274). Exit status 0 only if every check passed. */
#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "golden.h"
#include "randnet.h"
#include "schedule.h"

#define N_JOBS 12
#define N_SHARED_THREADS 8
#define SHARED_SECONDS 3.0
#define CHURN_SECONDS 1.5
#define MIN_ROUNDS 3 /* per thread, however slow the build (sanitizers) */

static int failed_checks;

/* Counts and reports a failed check; the test goes on. */
#define CHECK(cond, ...)                                                    \
  do {                                                                      \
    if (!(cond)) {                                                          \
      failed_checks++;                                                      \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
    }                                                                       \
  } while (0)

/* A check the rest of the program cannot do without: reports and exits. */
#define REQUIRE(cond, ...)                                                  \
  do {                                                                      \
    if (!(cond)) {                                                          \
      fprintf(stderr, "%s:%d: required: %s: ", __FILE__, __LINE__, #cond);  \
      fprintf(stderr, __VA_ARGS__);                                         \
      fputc('\n', stderr);                                                  \
      exit(1);                                                              \
    }                                                                       \
  } while (0)

/* Bidirectional, two layers, with a projection: every path of the forward pass. H is large
 * enough for four threads to split the hidden tiles (two per direction). */
static const recur_desc desc = {RECUR_CELL_LSTM, 24, 128, 2, 1, 16, 1, 0};
#define L 2
#define D 2
#define H 128
#define H_OUT 16

/* One forward call's inputs, and the outputs a sequential run gave. */
typedef struct job {
  recur_forward_args a;
  int in_place; /* h_n == h0 and c_n == c0: the state is updated in the output buffers */
  size_t ny, nh, nc;
  float *y, *hn, *cn;
} job;

static recur_net *net;
static job jobs[N_JOBS];
static size_t max_ny, max_nh, max_nc;

static float *random_floats(size_t n, unsigned seed) {
  float *p = malloc(n * sizeof *p);
  REQUIRE(p, "out of memory");
  randnet_fill(p, n, &seed);
  return p;
}

/* Job i: its own T, B, layout, lengths and initial state. */
static void make_job(job *j, int i) {
  recur_forward_args *a = &j->a;
  /* the last job's batch is large enough for recur to split it between threads; the others
   * are split by hidden tiles */
  int64_t T = 1 + (i * 7) % 13, B = i == N_JOBS - 1 ? 20 : 1 + i % 5;
  *a = (recur_forward_args){.seq_len = T, .batch = B, .input_size = desc.input_size,
                            .batch_first = i % 2, .unbatched = B == 1 && i % 3 == 0};
  a->x = random_floats((size_t)(T * B * desc.input_size), 100u + (unsigned)i);
  j->ny = (size_t)(T * B * D * H_OUT);
  j->nh = (size_t)(L * D * B * H_OUT);
  j->nc = (size_t)(L * D * B * H);
  if (i % 3 == 2) {
    a->h0 = random_floats(j->nh, 200u + (unsigned)i);
    a->c0 = random_floats(j->nc, 300u + (unsigned)i);
    j->in_place = i % 2; /* set after the reference run, which uses separate buffers */
  }
  if (i % 4 == 1) {
    int64_t *lengths = malloc((size_t)B * sizeof *lengths);
    REQUIRE(lengths, "out of memory");
    for (int64_t b = 0; b < B; b++)
      lengths[b] = 1 + (b * 5 + i) % T;
    a->lengths = lengths;
  }
  if (j->ny > max_ny) max_ny = j->ny;
  if (j->nh > max_nh) max_nh = j->nh;
  if (j->nc > max_nc) max_nc = j->nc;
}

/* Output buffers, filled with NaN bytes before every call so that an element left unwritten
 * cannot pass for a right one. */
typedef struct outputs {
  float *y, *hn, *cn;
} outputs;

static void outputs_alloc(outputs *o) {
  o->y = malloc(max_ny * sizeof(float));
  o->hn = malloc(max_nh * sizeof(float));
  o->cn = malloc(max_nc * sizeof(float));
  REQUIRE(o->y && o->hn && o->cn, "out of memory");
}

static void outputs_free(outputs *o) {
  free(o->y);
  free(o->hn);
  free(o->cn);
}

static recur_status run_job(const recur_net *n, const job *j, int num_threads, outputs *o) {
  memset(o->y, 0xff, j->ny * sizeof(float));
  memset(o->hn, 0xff, j->nh * sizeof(float));
  memset(o->cn, 0xff, j->nc * sizeof(float));
  recur_forward_args a = j->a;
  if (j->in_place) {
    memcpy(o->hn, a.h0, j->nh * sizeof(float));
    memcpy(o->cn, a.c0, j->nc * sizeof(float));
    a.h0 = o->hn;
    a.c0 = o->cn;
  }
  a.y = o->y;
  a.h_n = o->hn;
  a.c_n = o->cn;
  a.num_threads = num_threads;
  return recur_forward(n, &a);
}

/* The thread count of a call: 0 (the default), then 1 to 4, so that each direction of the
 * bidirectional network gets a team of its own of up to two threads. */
static int call_threads(int round) { return round % 5; }

/* 1 if the call succeeded with exactly the sequential run's bits. */
static int job_matches(const job *j, int num_threads, outputs *o) {
  return run_job(net, j, num_threads, o) == RECUR_OK &&
         memcmp(o->y, j->y, j->ny * sizeof(float)) == 0 &&
         memcmp(o->hn, j->hn, j->nh * sizeof(float)) == 0 &&
         memcmp(o->cn, j->cn, j->nc * sizeof(float)) == 0;
}

static void setup(void) {
  randnet_tensors w;
  randnet_make(&desc, 7, &w);
  REQUIRE(recur_net_create(&net, &desc, w.t, w.n) == RECUR_OK, "%s", recur_last_error());
  randnet_free(&w);
  for (int i = 0; i < N_JOBS; i++)
    make_job(&jobs[i], i);
  /* the jobs are meant to run both of recur's thread splits (the scalar reference only ever
   * splits the batch: its rows are its only unit of work) */
  int splits = 0, want = 1 << RECUR_SPLIT_BATCH;
  for (int i = 0; i < N_JOBS; i++)
    splits |= 1 << recur_schedule_choose(net, jobs[i].a.batch, 4, NULL).call.split;
  if (strcmp(recur_isa_name(), "scalar") != 0) want |= 1 << RECUR_SPLIT_HIDDEN;
  REQUIRE(splits == want, "with 4 threads the jobs do not run both thread splits");
  for (int i = 0; i < N_JOBS; i++) {
    outputs o;
    outputs_alloc(&o);
    int in_place = jobs[i].in_place;
    jobs[i].in_place = 0;
    REQUIRE(run_job(net, &jobs[i], 1, &o) == RECUR_OK, "job %d: %s", i, recur_last_error());
    jobs[i].in_place = in_place;
    jobs[i].y = o.y;
    jobs[i].hn = o.hn;
    jobs[i].cn = o.cn;
  }
}

static void teardown(void) {
  for (int i = 0; i < N_JOBS; i++) {
    free((void *)jobs[i].a.x);
    free((void *)jobs[i].a.h0);
    free((void *)jobs[i].a.c0);
    free((void *)jobs[i].a.lengths);
    free(jobs[i].y);
    free(jobs[i].hn);
    free(jobs[i].cn);
  }
  recur_net_free(net);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* What the worker threads report; the main thread checks it. */
static atomic_int mismatches, rounds_done, churn_failures;

/* ---------------------------------------------------------------------------------------- */
/* Eight threads, one network                                                                */

typedef struct worker {
  pthread_t thread;
  int id;
  double seconds;
} worker;

/* A failing call of this thread's own, whose detail must be its and not another thread's;
 * 1 if it failed as it should. */
static int own_failure_reported(const job *j, outputs *o) {
  recur_forward_args bad = j->a;
  bad.seq_len = 0;
  bad.y = o->y;
  return recur_forward(net, &bad) == RECUR_ERR_INVALID_SIZE && strstr(recur_last_error(), "T=0");
}

/* Forwards the jobs in turn, with call_threads threads, until both the time is up and
 * MIN_ROUNDS rounds are done; with fail_own, each round also fails a call of its own. */
static void *forward_rounds(const worker *w, int fail_own) {
  outputs o;
  outputs_alloc(&o);
  double end = now() + w->seconds;
  for (int r = 0; r < MIN_ROUNDS * N_JOBS || now() < end; r++) {
    const job *j = &jobs[(w->id * 5 + r) % N_JOBS];
    if (!job_matches(j, call_threads(r), &o))
      atomic_fetch_add(&mismatches, 1);
    if (fail_own && !own_failure_reported(j, &o))
      atomic_fetch_add(&mismatches, 1);
    atomic_fetch_add(&rounds_done, 1);
  }
  outputs_free(&o);
  return NULL;
}

static void *forward_worker(void *arg) { return forward_rounds(arg, 0); }

static void start_workers(worker *w, int n, void *(*body)(void *), double seconds) {
  for (int i = 0; i < n; i++) {
    w[i].id = i;
    w[i].seconds = seconds;
    REQUIRE(pthread_create(&w[i].thread, NULL, body, &w[i]) == 0, "thread %d", i);
  }
}

static void join_workers(worker *w, int n) {
  for (int i = 0; i < n; i++)
    REQUIRE(pthread_join(w[i].thread, NULL) == 0, "thread %d", i);
}

static void eight_threads_share_one_network(void) {
  worker w[N_SHARED_THREADS];
  start_workers(w, N_SHARED_THREADS, forward_worker, SHARED_SECONDS);
  join_workers(w, N_SHARED_THREADS);
  CHECK(atomic_load(&mismatches) == 0, "%d of %d calls differ from the sequential run",
        atomic_load(&mismatches), atomic_load(&rounds_done));
  CHECK(atomic_load(&rounds_done) >= N_SHARED_THREADS * MIN_ROUNDS * N_JOBS, "%d calls",
        atomic_load(&rounds_done));
}

/* ---------------------------------------------------------------------------------------- */
/* Inside the caller's parallel region                                                       */

static void forward_in_parallel_region(int n_threads) {
#pragma omp parallel num_threads(n_threads)
  {
    outputs o;
    outputs_alloc(&o);
    int id = omp_get_thread_num();
    for (int r = 0; r < 2 * N_JOBS; r++) {
      if (!job_matches(&jobs[(id + r) % N_JOBS], call_threads(r), &o))
        atomic_fetch_add(&mismatches, 1);
      atomic_fetch_add(&rounds_done, 1);
    }
    outputs_free(&o);
  }
}

static void forward_inside_the_callers_parallel_region(void) {
  forward_in_parallel_region(4);
  CHECK(atomic_load(&mismatches) == 0, "%d calls differ", atomic_load(&mismatches));
  /* with nested parallelism allowed, recur may use threads of its own inside the region */
  int levels = omp_get_max_active_levels();
  omp_set_max_active_levels(2);
  forward_in_parallel_region(3);
  omp_set_max_active_levels(levels);
  CHECK(atomic_load(&mismatches) == 0, "%d calls differ with nesting allowed",
        atomic_load(&mismatches));
  CHECK(atomic_load(&rounds_done) == (4 + 3) * 2 * N_JOBS, "%d calls", atomic_load(&rounds_done));
}

/* ---------------------------------------------------------------------------------------- */
/* Networks created and freed meanwhile                                                      */

static uint8_t *model_bytes;
static size_t model_len;

/* Forwards as forward_worker does, and after each call fails one of its own. */
static void *forward_and_fail_worker(void *arg) { return forward_rounds(arg, 1); }

/* Creates (from random weights), loads (from bytes in memory), runs briefly and frees networks,
 * and fails creations with a detail of its own. */
static void *churn_worker(void *arg) {
  const worker *w = arg;
  double end = now() + w->seconds;
  float x[3 * 6], y[3 * 2 * 5];
  unsigned seed = 11u + (unsigned)w->id;
  randnet_fill(x, 18, &seed);
  for (int r = 0; r < MIN_ROUNDS || now() < end; r++) {
    recur_desc d = {(recur_cell)(r % 4), 6, 5, 1 + r % 2, r % 2, 0, 1, 0};
    randnet_tensors t;
    randnet_make(&d, (unsigned)r, &t);
    recur_net *mine = NULL, *loaded = NULL;
    recur_forward_args a = {.seq_len = 3, .batch = 1, .input_size = 6, .unbatched = 1, .x = x,
                            .y = y};
    if (recur_net_create(&mine, &d, t.t, t.n) != RECUR_OK || recur_forward(mine, &a) != RECUR_OK ||
        recur_net_load_memory(&loaded, model_bytes, model_len, NULL) != RECUR_OK)
      atomic_fetch_add(&churn_failures, 1);
    recur_net_free(mine);
    recur_net_free(loaded);
    randnet_free(&t);
    recur_desc bad = d;
    bad.hidden_size = -5 - w->id;
    char want[64];
    snprintf(want, sizeof want, "hidden_size is %d", -5 - w->id);
    if (recur_net_create(&mine, &bad, NULL, 0) != RECUR_ERR_INVALID_SIZE || mine ||
        !strstr(recur_last_error(), want))
      atomic_fetch_add(&churn_failures, 1);
  }
  return NULL;
}

static void forward_while_networks_come_and_go(void) {
  char path[512];
  golden_path(path, sizeof path, "gru_l1_bi", ".safetensors");
  FILE *f = fopen(path, "rb");
  REQUIRE(f, "cannot open %s", path);
  model_bytes = malloc(1 << 16);
  REQUIRE(model_bytes, "out of memory");
  model_len = fread(model_bytes, 1, 1 << 16, f);
  fclose(f);
  REQUIRE(model_len > 8, "%s is empty", path);

  worker fw[2], cw[2];
  start_workers(fw, 2, forward_and_fail_worker, CHURN_SECONDS);
  start_workers(cw, 2, churn_worker, CHURN_SECONDS);
  join_workers(fw, 2);
  join_workers(cw, 2);
  CHECK(atomic_load(&mismatches) == 0, "%d forward calls went wrong", atomic_load(&mismatches));
  CHECK(atomic_load(&churn_failures) == 0, "%d create/load/free rounds went wrong",
        atomic_load(&churn_failures));
  CHECK(atomic_load(&rounds_done) >= 2 * MIN_ROUNDS * N_JOBS, "%d calls",
        atomic_load(&rounds_done));
  free(model_bytes);
}

static void run(const char *name, void (*test)(void)) {
  atomic_store(&mismatches, 0);
  atomic_store(&rounds_done, 0);
  atomic_store(&churn_failures, 0);
  int before = failed_checks;
  double start = now();
  test();
  printf("%s %s (%.2f s)\n", failed_checks == before ? "PASS" : "FAIL", name, now() - start);
}

int main(void) {
  setup();
  run("eight_threads_share_one_network", eight_threads_share_one_network);
  run("forward_inside_the_callers_parallel_region", forward_inside_the_callers_parallel_region);
  run("forward_while_networks_come_and_go", forward_while_networks_come_and_go);
  teardown();
  return failed_checks ? 1 : 0;
}
