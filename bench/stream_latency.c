/* bench/stream_latency: per-step latency of an LSTM (I = H) run one frame at a time, through
 *   stream   recur_stream_step with steps = 1
 *   fwd      recur_forward with T = 1, no workspace (scratch allocated per call)
 *   fwd+ws   recur_forward with T = 1 and a workspace
 *   onednn   oneDNN's LSTM primitive with T = 1, recur bench's (builds with oneDNN only)
 *   read     no step: a sum over as many bytes as the net's weights (W_ih and W_hh), the memory
 *            floor of a frame, which reads them all once
 *   base     recur_forward with T = 1 of another librecur build (--baseline LIB, loaded with
 *            dlopen: e.g. the commit before streaming landed, "today's forward" of the issue)
 * each carrying its state from frame to frame (recur_forward in place: h_n = h0, c_n = c0;
 * oneDNN with src_iter/dst_iter). The variants take turns, a batch of calls each (at least
 * 10 ms), in a random order every round, so that a busy stretch of a shared machine slows them
 * alike and none always follows the same other one, and each batch after one untimed call of
 * its own, so that none is timed on the caches another left;
 * each reports the median over the rounds of the mean call time in its batch. A ratio is the
 * median over the rounds of that round's variant time over its stream time (paired: a round's
 * variants ran within milliseconds of each other), with its quartiles.
 *
 *   build/bench/stream_latency [--threads N] [--hidden 64,256,1024] [--batch 1,64] [--rounds R]
 *                        [--baseline LIB]
 */
#include <dlfcn.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "recur.h"
#include "recur_tool.h"

#ifdef RECUR_BENCH_ONEDNN
#include "bench_onednn.h"
#endif

static void die(const char *what) {
  fprintf(stderr, "stream_latency: %s: %s\n", what, recur_last_error());
  exit(1);
}

/* The calls the bench makes of a librecur: this build's, or a baseline's through dlopen. */
typedef struct recur_lib {
  recur_status (*net_create)(recur_net **, const recur_desc *, const recur_tensor *, size_t);
  recur_status (*forward)(const recur_net *, const recur_forward_args *);
  void (*net_free)(recur_net *);
} recur_lib;

typedef struct frame_job {
  const recur_net *net, *base_net;
  const recur_lib *base;
  recur_stream *stream;
  recur_workspace *ws;
  recur_forward_args fwd;
  int64_t B, H;
  float *x, *y, *h, *c;
  const float *weights; /* read's: weight_floats, a multiple of READ_FLOATS */
  size_t weight_floats;
  float read_sum;
  struct recur_bench_onednn *onednn;
} frame_job;

typedef void (*frame_fn)(frame_job *);

static void run_stream(frame_job *j) {
  if (recur_stream_step(j->stream, j->x, 1, j->y)) die("recur_stream_step");
}

static void run_forward(frame_job *j) {
  j->fwd.workspace = NULL;
  if (recur_forward(j->net, &j->fwd)) die("recur_forward");
}

static void run_forward_ws(frame_job *j) {
  j->fwd.workspace = j->ws;
  if (recur_forward(j->net, &j->fwd)) die("recur_forward");
}

/* read's stride: four vectors of 64 bytes, held in registers by AVX-512 (4), AVX2 (8) and
 * SSE2 or NEON (16): sums of float vectors, so it reads at the pace of the memory, not the
 * adds. */
#define READ_FLOATS 64
typedef float read_vec __attribute__((vector_size(64)));

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
static float read_all(const float *p, size_t n) {
  read_vec s[4] = {{0}};
  for (size_t i = 0; i < n; i += READ_FLOATS)
    for (int k = 0; k < 4; k++) s[k] += *(const read_vec *)(const void *)(p + i + 16 * k);
  read_vec t = s[0] + s[1] + s[2] + s[3];
  return t[0];
}

static void run_read(frame_job *j) { j->read_sum += read_all(j->weights, j->weight_floats); }

/* The baseline's forward: its own net, the same arguments less the workspace (NULL). */
static void run_base(frame_job *j) {
  j->fwd.workspace = NULL;
  if (j->base->forward(j->base_net, &j->fwd)) die("the baseline's recur_forward");
}

static void open_baseline(recur_lib *lib, const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "stream_latency: %s\n", dlerror());
    exit(1);
  }
  *(void **)&lib->net_create = dlsym(h, "recur_net_create");
  *(void **)&lib->forward = dlsym(h, "recur_forward");
  *(void **)&lib->net_free = dlsym(h, "recur_net_free");
  if (!lib->net_create || !lib->forward || !lib->net_free) {
    fprintf(stderr, "stream_latency: %s: not a librecur\n", path);
    exit(1);
  }
}

#ifdef RECUR_BENCH_ONEDNN
/* oneDNN's LSTM (I = H) with T = 1, its states read and written each call: recur bench's own
 * oneDNN code (tools/recur/bench_onednn.c). */
static struct recur_bench_onednn *onednn_open(int64_t B, int64_t H, int threads) {
  struct recur_bench_case c = {RECUR_BENCH_LSTM, {1, B, H, H, 0}};
  int unsupported;
  char err[256];
  struct recur_bench_onednn *o =
      recur_bench_onednn_open(&c, RECUR_PRECISION_FP32, threads, 1, &unsupported, err, sizeof err);
  if (!o) {
    fprintf(stderr, "stream_latency: %s\n", err);
    exit(1);
  }
  return o;
}

static void run_onednn(frame_job *j) {
  if (recur_bench_onednn_run(j->onednn)) {
    fprintf(stderr, "stream_latency: %s\n", recur_bench_onednn_error(j->onednn));
    exit(1);
  }
}
#endif

/* A variant's time over the stream's, round by round: the median and quartiles. */
static void paired_ratio(const double *v, const double *stream, int rounds, double q[3]) {
  double *r = malloc((size_t)rounds * sizeof *r);
  if (!r) die("out of memory");
  for (int i = 0; i < rounds; i++) r[i] = v[i] / stream[i];
  qsort(r, (size_t)rounds, sizeof *r, cmp_double);
  q[0] = r[rounds / 4], q[1] = r[rounds / 2], q[2] = r[(3 * rounds) / 4];
  free(r);
}

/* The same weights for every lib that makes the net. */
static recur_net *make_lstm(const recur_lib *lib, int64_t H) {
  recur_desc d = {RECUR_CELL_LSTM, H, H, 1, 0, 0, 1, 0};
  size_t n = (size_t)(4 * H * H);
  float *wih = malloc(n * sizeof *wih), *whh = malloc(n * sizeof *whh);
  float *bih = malloc((size_t)(4 * H) * sizeof *bih), *bhh = malloc((size_t)(4 * H) * sizeof *bhh);
  unsigned state = 7;
  float w = 1.0f / sqrtf((float)H);
  recur_bench_fill_random(wih, n, w, &state), recur_bench_fill_random(whh, n, w, &state);
  recur_bench_fill_random(bih, (size_t)(4 * H), w, &state), recur_bench_fill_random(bhh, (size_t)(4 * H), w, &state);
  recur_tensor t[4] = {{"weight_ih_l0", wih, 2, {4 * H, H}}, {"weight_hh_l0", whh, 2, {4 * H, H}},
                       {"bias_ih_l0", bih, 1, {4 * H, 0}}, {"bias_hh_l0", bhh, 1, {4 * H, 0}}};
  recur_net *net;
  if (lib->net_create(&net, &d, t, 4)) die("recur_net_create");
  free(wih), free(whh), free(bih), free(bhh);
  return net;
}

typedef struct variant {
  const char *name;
  frame_fn run;
} variant;

int main(int argc, char **argv) {
  int threads = 1, rounds = 21;
  int64_t hs[8] = {64, 256, 1024}, bs[8] = {1, 64};
  int nh = 3, nb = 2;
  const char *baseline = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--rounds")) rounds = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--hidden")) nh = parse_list(argv[i + 1], hs, 8);
    else if (!strcmp(argv[i], "--batch")) nb = parse_list(argv[i + 1], bs, 8);
    else if (!strcmp(argv[i], "--baseline")) baseline = argv[i + 1];
    else {
      fprintf(stderr, "usage: %s [--threads N] [--hidden 64,256,1024] [--batch 1,64] [--rounds R] "
              "[--baseline LIB]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1 || rounds < 1) return 2;
  const recur_lib self = {recur_net_create, recur_forward, recur_net_free};
  recur_lib base;
  variant vs[6] = {{"stream", run_stream}, {"fwd", run_forward}, {"fwd+ws", run_forward_ws},
                   {"read", run_read}};
  int nv = 4;
#ifdef RECUR_BENCH_ONEDNN
  vs[nv++] = (variant){"onednn", run_onednn};
#endif
  if (baseline) {
    open_baseline(&base, baseline);
    vs[nv++] = (variant){"base fwd", run_base};
  }
  omp_set_num_threads(threads); /* oneDNN's; recur's calls pass num_threads */
  printf("LSTM, I = H, one frame per call, %d thread(s), isa %s; median us per call over %d rounds;\n"
         "ratios: the variant's time over the stream's, median [quartiles] over the rounds%s%s\n\n",
         threads, recur_isa_name(), rounds, baseline ? "; base: " : "", baseline ? baseline : "");
  printf("|    H |  B |");
  for (int v = 0; v < nv; v++) printf(" %s us |", vs[v].name);
  for (int v = 1; v < nv; v++) printf(" %s / stream |", vs[v].name);
  printf("\n|---:|---:|");
  for (int v = 1; v < 2 * nv; v++) printf("---:|");
  printf("\n");
  for (int ih = 0; ih < nh; ih++) {
    recur_net *net = make_lstm(&self, hs[ih]), *base_net = baseline ? make_lstm(&base, hs[ih]) : NULL;
    size_t weight_floats = (size_t)(8 * hs[ih] * hs[ih]);
    weight_floats = (weight_floats + READ_FLOATS - 1) / READ_FLOATS * READ_FLOATS;
    float *weights = aligned_alloc(64, weight_floats * sizeof(float));
    if (!weights) die("out of memory");
    unsigned wstate = 3;
    recur_bench_fill_random(weights, weight_floats, 1.0f, &wstate);
    for (int ib = 0; ib < nb; ib++) {
      int64_t H = hs[ih], B = bs[ib];
      frame_job j = {.net = net, .base_net = base_net, .base = &base, .B = B, .H = H,
                     .weights = weights, .weight_floats = weight_floats};
      unsigned state = 1;
      j.x = malloc((size_t)(B * H) * sizeof(float)), j.y = malloc((size_t)(B * H) * sizeof(float));
      j.h = calloc((size_t)(B * H), sizeof(float)), j.c = calloc((size_t)(B * H), sizeof(float));
      recur_bench_fill_random(j.x, (size_t)(B * H), 1.0f, &state);
      if (recur_stream_create(&j.stream, net, B, threads)) die("recur_stream_create");
      if (recur_workspace_create(&j.ws)) die("recur_workspace_create");
      j.fwd = (recur_forward_args){.seq_len = 1, .batch = B, .input_size = H, .x = j.x, .y = j.y,
                                   .h0 = j.h, .c0 = j.c, .h_n = j.h, .c_n = j.c, .num_threads = threads};
#ifdef RECUR_BENCH_ONEDNN
      j.onednn = onednn_open(B, H, threads);
#endif
      /* a batch of calls takes at least 10 ms: clock reads stay negligible, and so does the
       * first call's start on what another variant left in the caches */
      double t0 = now();
      for (int v = 0; v < nv; v++) vs[v].run(&j);
      int per = (int)(10e-3 / ((now() - t0) / nv + 1e-9)) + 1;
      double *times = malloc((size_t)(nv * rounds) * sizeof *times);
      if (!times) die("out of memory");
      unsigned order_seed = 12345;
      for (int r = 0; r < rounds; r++) {
        int order[6];
        for (int i = 0; i < nv; i++) order[i] = i;
        for (int i = nv - 1; i > 0; i--) { /* Fisher-Yates */
          int k = (int)(rand_r(&order_seed) % (unsigned)(i + 1)), swap = order[i];
          order[i] = order[k], order[k] = swap;
        }
        for (int i = 0; i < nv; i++) {
          int v = order[i];
          /* an untimed call first: the variant before may have read other weights (32 MB at
           * H = 1024: the read's, oneDNN's and the baseline's copies), evicting this one's from
           * the L3; a stream serving frames keeps its weights warm */
          vs[v].run(&j);
          double s = now();
          for (int k = 0; k < per; k++) vs[v].run(&j);
          times[v * rounds + r] = (now() - s) / per * 1e6;
        }
      }
      double q[6][3];
      for (int v = 1; v < nv; v++) paired_ratio(times + v * rounds, times, rounds, q[v]);
      printf("| %4lld | %2lld |", (long long)H, (long long)B);
      for (int v = 0; v < nv; v++) {
        qsort(times + v * rounds, (size_t)rounds, sizeof *times, cmp_double);
        printf(" %.2f |", times[v * rounds + rounds / 2]);
      }
      for (int v = 1; v < nv; v++) printf(" %.2f [%.2f, %.2f] |", q[v][1], q[v][0], q[v][2]);
      printf("\n");
      fflush(stdout);
      free(times);
#ifdef RECUR_BENCH_ONEDNN
      recur_bench_onednn_close(j.onednn);
#endif
      recur_stream_free(j.stream);
      recur_workspace_free(j.ws);
      free(j.x), free(j.y), free(j.h), free(j.c);
    }
    free(weights);
    recur_net_free(net);
    if (base_net) base.net_free(base_net);
  }
  return 0;
}
