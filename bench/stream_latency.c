/* bench/stream_latency: per-step latency of an LSTM (I = H) run one frame at a time, through
 *   stream   recur_stream_step with steps = 1
 *   fwd      recur_forward with T = 1, no workspace (scratch allocated per call)
 *   fwd+ws   recur_forward with T = 1 and a workspace
 *   onednn   oneDNN's LSTM primitive with T = 1 (builds with oneDNN only)
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
 *   build/stream_latency [--threads N] [--hidden 64,256,1024] [--batch 1,64] [--rounds R]
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

#ifdef RECUR_BENCH_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif

static void fill(float *p, size_t n, float scale, unsigned *state) {
  for (size_t i = 0; i < n; i++) {
    *state = *state * 1664525u + 1013904223u;
    p[i] = scale * ((float)(*state >> 8) / 8388608.0f - 1.0f);
  }
}

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
  void *onednn;
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
typedef struct onednn_job {
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t prim;
  dnnl_exec_arg_t args[10];
  int n_args;
} onednn_job;

#define CHECK_DNNL(call)                                                  \
  do {                                                                    \
    dnnl_status_t st_ = (call);                                           \
    if (st_ != dnnl_success) {                                            \
      fprintf(stderr, "stream_latency: %s: oneDNN status %d\n", #call, st_); \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

/* The argument `arg` in the primitive's layout; inputs filled from a plain `tag` layout. */
static void onednn_arg(onednn_job *o, int arg, dnnl_format_tag_t tag, float scale, unsigned *state) {
  const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(o->pd, dnnl_query_exec_arg_md, arg);
  if (!want || want->ndims == 0) return;
  dnnl_memory_t mem, user;
  CHECK_DNNL(dnnl_memory_create(&mem, want, o->engine, DNNL_MEMORY_ALLOCATE));
  if (scale > 0) {
    dnnl_memory_desc_t user_md;
    void *data;
    CHECK_DNNL(dnnl_memory_desc_init_by_tag(&user_md, want->ndims, want->dims, dnnl_f32, tag));
    CHECK_DNNL(dnnl_memory_create(&user, &user_md, o->engine, DNNL_MEMORY_ALLOCATE));
    CHECK_DNNL(dnnl_memory_get_data_handle(user, &data));
    fill(data, dnnl_memory_desc_get_size(&user_md) / sizeof(float), scale, state);
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    dnnl_exec_arg_t ra[2] = {{DNNL_ARG_SRC, user}, {DNNL_ARG_DST, mem}};
    CHECK_DNNL(dnnl_reorder_primitive_desc_create(&rpd, &user_md, o->engine, want, o->engine, NULL));
    CHECK_DNNL(dnnl_primitive_create(&r, rpd));
    CHECK_DNNL(dnnl_primitive_execute(r, o->stream, 2, ra));
    CHECK_DNNL(dnnl_stream_wait(o->stream));
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(user);
  }
  o->args[o->n_args++] = (dnnl_exec_arg_t){arg, mem};
}

static void *onednn_open(int64_t B, int64_t H) {
  onednn_job *o = calloc(1, sizeof *o);
  CHECK_DNNL(dnnl_engine_create(&o->engine, dnnl_cpu, 0));
  CHECK_DNNL(dnnl_stream_create(&o->stream, o->engine, dnnl_stream_default_flags));
  dnnl_memory_desc_t src, dst, sit, sitc, dit, ditc, wl, wi, bias;
  dnnl_dims_t x_dims = {1, B, H}, s_dims = {1, 1, B, H}, w_dims = {1, 1, H, 4, H}, b_dims = {1, 1, 4, H};
  CHECK_DNNL(dnnl_memory_desc_init_by_tag(&src, 3, x_dims, dnnl_f32, dnnl_tnc));
  CHECK_DNNL(dnnl_memory_desc_init_by_tag(&dst, 3, x_dims, dnnl_f32, dnnl_tnc));
  CHECK_DNNL(dnnl_memory_desc_init_by_tag(&sit, 4, s_dims, dnnl_f32, dnnl_ldnc));
  CHECK_DNNL(dnnl_memory_desc_init_by_tag(&sitc, 4, s_dims, dnnl_f32, dnnl_ldnc));
  CHECK_DNNL(dnnl_memory_desc_init_by_tag(&dit, 4, s_dims, dnnl_f32, dnnl_ldnc));
  CHECK_DNNL(dnnl_memory_desc_init_by_tag(&ditc, 4, s_dims, dnnl_f32, dnnl_ldnc));
  CHECK_DNNL(dnnl_memory_desc_init_by_tag(&wl, 5, w_dims, dnnl_f32, dnnl_format_tag_any));
  CHECK_DNNL(dnnl_memory_desc_init_by_tag(&wi, 5, w_dims, dnnl_f32, dnnl_format_tag_any));
  CHECK_DNNL(dnnl_memory_desc_init_by_tag(&bias, 4, b_dims, dnnl_f32, dnnl_format_tag_any));
  dnnl_rnn_desc_t rd;
  CHECK_DNNL(dnnl_lstm_forward_desc_init(&rd, dnnl_forward_inference, dnnl_unidirectional_left2right,
                                         &src, &sit, &sitc, &wl, &wi, &bias, &dst, &dit, &ditc, 0));
  CHECK_DNNL(dnnl_primitive_desc_create(&o->pd, &rd, NULL, o->engine, NULL));
  CHECK_DNNL(dnnl_primitive_create(&o->prim, o->pd));
  unsigned state = 4242;
  float w = 1.0f / sqrtf((float)H);
  onednn_arg(o, DNNL_ARG_SRC_LAYER, dnnl_tnc, 1.0f, &state);
  onednn_arg(o, DNNL_ARG_SRC_ITER, dnnl_ldnc, 0.5f, &state);
  onednn_arg(o, DNNL_ARG_SRC_ITER_C, dnnl_ldnc, 0.5f, &state);
  onednn_arg(o, DNNL_ARG_WEIGHTS_LAYER, dnnl_ldigo, w, &state);
  onednn_arg(o, DNNL_ARG_WEIGHTS_ITER, dnnl_ldigo, w, &state);
  onednn_arg(o, DNNL_ARG_BIAS, dnnl_ldgo, w, &state);
  onednn_arg(o, DNNL_ARG_DST_LAYER, dnnl_tnc, 0, &state);
  onednn_arg(o, DNNL_ARG_DST_ITER, dnnl_ldnc, 0, &state);
  onednn_arg(o, DNNL_ARG_DST_ITER_C, dnnl_ldnc, 0, &state);
  onednn_arg(o, DNNL_ARG_SCRATCHPAD, dnnl_a, 0, &state);
  return o;
}

static void run_onednn(frame_job *j) {
  onednn_job *o = j->onednn;
  CHECK_DNNL(dnnl_primitive_execute(o->prim, o->stream, o->n_args, o->args));
  CHECK_DNNL(dnnl_stream_wait(o->stream));
}

static void onednn_close(void *p) {
  onednn_job *o = p;
  if (!o) return;
  for (int i = 0; i < o->n_args; i++) dnnl_memory_destroy(o->args[i].memory);
  dnnl_primitive_destroy(o->prim);
  dnnl_primitive_desc_destroy(o->pd);
  dnnl_stream_destroy(o->stream);
  dnnl_engine_destroy(o->engine);
  free(o);
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
  fill(wih, n, w, &state), fill(whh, n, w, &state);
  fill(bih, (size_t)(4 * H), w, &state), fill(bhh, (size_t)(4 * H), w, &state);
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
    fill(weights, weight_floats, 1.0f, &wstate);
    for (int ib = 0; ib < nb; ib++) {
      int64_t H = hs[ih], B = bs[ib];
      frame_job j = {.net = net, .base_net = base_net, .base = &base, .B = B, .H = H,
                     .weights = weights, .weight_floats = weight_floats};
      unsigned state = 1;
      j.x = malloc((size_t)(B * H) * sizeof(float)), j.y = malloc((size_t)(B * H) * sizeof(float));
      j.h = calloc((size_t)(B * H), sizeof(float)), j.c = calloc((size_t)(B * H), sizeof(float));
      fill(j.x, (size_t)(B * H), 1.0f, &state);
      if (recur_stream_create(&j.stream, net, B, threads)) die("recur_stream_create");
      if (recur_workspace_create(&j.ws)) die("recur_workspace_create");
      j.fwd = (recur_forward_args){.seq_len = 1, .batch = B, .input_size = H, .x = j.x, .y = j.y,
                                   .h0 = j.h, .c0 = j.c, .h_n = j.h, .c_n = j.c, .num_threads = threads};
#ifdef RECUR_BENCH_ONEDNN
      j.onednn = onednn_open(B, H);
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
      onednn_close(j.onednn);
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
