/* oneDNN's RNN primitive (C API, oneDNN 2.x) on `recur bench`'s cases: vanilla RNN (tanh),
 * LSTM (with projection if P), and linear-before-reset GRU, which is PyTorch's GRU
 * (n = tanh(W_in x + b_in + r * (W_hn h + b_hn))). Forward inference in fp32, or on oneDNN's
 * bf16 path (bf16 weights, input and output; fp32 biases); zero initial states, final states
 * not wanted, as in recur's runs. Whether oneDNN implements a cell at bf16 depends on its
 * version and the ISA it may use (2.x: AVX-512 at least): a case it lacks is reported as
 * unsupported, not as a failure. */
#include <math.h>
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_onednn.h"

struct recur_bench_onednn {
  dnnl_primitive_desc_t pd;
  dnnl_primitive_t prim;
  dnnl_stream_t stream;
  dnnl_exec_arg_t args[12];
  int n_args;
  int threads;        /* its OpenMP thread count */
  int saved_threads;  /* the caller's, restored on close */
  const char *failed; /* the oneDNN call that failed, if any */
  dnnl_status_t status;
  char error[96];
};

static dnnl_engine_t engine;

/* Records the first failure; returns 1 if call succeeded. */
static int ok(struct recur_bench_onednn *job, dnnl_status_t status, const char *call) {
  if (status == dnnl_success) return 1;
  if (!job->failed) {
    job->failed = call;
    job->status = status;
  }
  return 0;
}
#define OK(job, call) ok(job, call, #call)

const char *recur_bench_onednn_version(void) {
  static char version[32];
  const dnnl_version_t *v = dnnl_version();
  snprintf(version, sizeof version, "%d.%d.%d", v->major, v->minor, v->patch);
  return version;
}

static const char *isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
  }
}

/* The operation descriptor of case c, its weights in format "any" (oneDNN's choice), its
 * weights, input, output and (with states) initial and final states of data type dt. */
static int init_desc(struct recur_bench_onednn *job, const struct recur_bench_case *c,
                     dnnl_data_type_t dt, int states, dnnl_rnn_desc_t *rd) {
  const struct recur_bench_cell_info *info = recur_bench_cell_info(c->cell);
  const struct recur_bench_shape *s = &c->shape;
  int64_t D = info->directions, G = info->gates, h_out = s->P ? s->P : s->H;
  int64_t bias_gates = info->cell == RECUR_CELL_GRU ? G + 1 : G; /* LBR GRU: b_hn apart */
  dnnl_memory_desc_t src, dst, wl, wi, wp, bias, h_state, c_state;
  dnnl_dims_t src_dims = {s->T, s->B, s->I}, dst_dims = {s->T, s->B, D * h_out};
  dnnl_dims_t wl_dims = {1, D, s->I, G, s->H}, wi_dims = {1, D, h_out, G, s->H};
  dnnl_dims_t wp_dims = {1, D, s->H, h_out}, bias_dims = {1, D, bias_gates, s->H};
  dnnl_dims_t h_dims = {1, D, s->B, h_out}, c_dims = {1, D, s->B, s->H};
  if (!OK(job, dnnl_memory_desc_init_by_tag(&src, 3, src_dims, dt, dnnl_tnc)) ||
      !OK(job, dnnl_memory_desc_init_by_tag(&dst, 3, dst_dims, dt, dnnl_tnc)) ||
      !OK(job, dnnl_memory_desc_init_by_tag(&wl, 5, wl_dims, dt, dnnl_format_tag_any)) ||
      !OK(job, dnnl_memory_desc_init_by_tag(&wi, 5, wi_dims, dt, dnnl_format_tag_any)) ||
      !OK(job, dnnl_memory_desc_init_by_tag(&wp, 4, wp_dims, dt, dnnl_format_tag_any)) ||
      !OK(job, dnnl_memory_desc_init_by_tag(&bias, 4, bias_dims, dnnl_f32, dnnl_format_tag_any)) ||
      !OK(job, dnnl_memory_desc_init_by_tag(&h_state, 4, h_dims, dt, dnnl_ldnc)) ||
      !OK(job, dnnl_memory_desc_init_by_tag(&c_state, 4, c_dims, dt, dnnl_ldnc)))
    return 0;
  /* The same descriptors for initial and final states: each has its own memory. */
  const dnnl_memory_desc_t *h = states ? &h_state : NULL, *cs = states ? &c_state : NULL;
  dnnl_rnn_direction_t dir = D == 2 ? dnnl_bidirectional_concat : dnnl_unidirectional_left2right;
  dnnl_prop_kind_t prop = dnnl_forward_inference;
  switch (info->cell) {
    case RECUR_CELL_LSTM:
      return OK(job, dnnl_lstm_forward_desc_init_v3(rd, prop, dir, &src, h, cs, &wl, &wi, NULL,
                                                    s->P ? &wp : NULL, &bias, &dst, h, cs, 0));
    case RECUR_CELL_GRU:
      return OK(job, dnnl_lbr_gru_forward_desc_init(rd, prop, dir, &src, h, &wl, &wi, &bias,
                                                    &dst, h, 0));
    default:
      return OK(job, dnnl_vanilla_rnn_forward_desc_init(rd, prop, dnnl_eltwise_tanh, dir, &src,
                                                        h, &wl, &wi, &bias, &dst, h, 0, 0, 0));
  }
}

/* Adds the execution argument `arg` in the layout the primitive wants, filled with random values
 * (scale 0 leaves it unfilled: an output). Inputs are made in a plain layout (tag) and
 * reordered, as a user's PyTorch weights would be. */
static int add_arg(struct recur_bench_onednn *job, int arg, dnnl_format_tag_t tag, float scale,
                   unsigned *state) {
  const dnnl_memory_desc_t *want = dnnl_primitive_desc_query_md(job->pd, dnnl_query_exec_arg_md, arg);
  if (!want || want->ndims == 0) return 1; /* the primitive does not use it */
  dnnl_memory_t mem = NULL, user = NULL;
  dnnl_primitive_desc_t reorder_pd = NULL;
  dnnl_primitive_t reorder = NULL;
  dnnl_memory_desc_t user_md;
  void *data = NULL;
  int done =
      OK(job, dnnl_memory_create(&mem, want, engine, DNNL_MEMORY_ALLOCATE)) &&
      OK(job, dnnl_memory_desc_init_by_tag(&user_md, want->ndims, want->dims, dnnl_f32, tag));
  if (done && scale > 0 && dnnl_memory_desc_equal(&user_md, want)) {
    done = OK(job, dnnl_memory_get_data_handle(mem, &data));
    if (done) recur_bench_fill_random(data, dnnl_memory_desc_get_size(want) / sizeof(float), scale, state);
  } else if (done && scale > 0) {
    done = OK(job, dnnl_memory_create(&user, &user_md, engine, DNNL_MEMORY_ALLOCATE)) &&
           OK(job, dnnl_memory_get_data_handle(user, &data));
    if (done) recur_bench_fill_random(data, dnnl_memory_desc_get_size(&user_md) / sizeof(float), scale, state);
    dnnl_exec_arg_t reorder_args[2] = {{DNNL_ARG_SRC, user}, {DNNL_ARG_DST, mem}};
    done = done &&
           OK(job, dnnl_reorder_primitive_desc_create(&reorder_pd, &user_md, engine, want, engine,
                                                      NULL)) &&
           OK(job, dnnl_primitive_create(&reorder, reorder_pd)) &&
           OK(job, dnnl_primitive_execute(reorder, job->stream, 2, reorder_args)) &&
           OK(job, dnnl_stream_wait(job->stream));
  }
  dnnl_primitive_destroy(reorder);
  dnnl_primitive_desc_destroy(reorder_pd);
  dnnl_memory_destroy(user);
  if (!done) {
    dnnl_memory_destroy(mem);
    return 0;
  }
  job->args[job->n_args++] = (dnnl_exec_arg_t){arg, mem};
  return 1;
}

static int job_init(struct recur_bench_onednn *job, const struct recur_bench_case *c,
                    recur_precision precision, int states) {
  dnnl_rnn_desc_t rd;
  dnnl_data_type_t dt = precision == RECUR_PRECISION_BF16 ? dnnl_bf16 : dnnl_f32;
  if (!engine && !OK(job, dnnl_engine_create(&engine, dnnl_cpu, 0))) return 0;
  if (!init_desc(job, c, dt, states, &rd) ||
      !OK(job, dnnl_primitive_desc_create(&job->pd, &rd, NULL, engine, NULL)) ||
      !OK(job, dnnl_primitive_create(&job->prim, job->pd)) ||
      !OK(job, dnnl_stream_create(&job->stream, engine, dnnl_stream_default_flags)))
    return 0;
  /* PyTorch's default initialisation range for the weights, U(-1, 1) for the input, initial
   * states in U(-0.5, 0.5). An argument the primitive does not use is left out. */
  float w = 1.0f / sqrtf((float)c->shape.H);
  unsigned state = 4242;
  return add_arg(job, DNNL_ARG_SRC_ITER, dnnl_ldnc, 0.5f, &state) &&
         add_arg(job, DNNL_ARG_SRC_ITER_C, dnnl_ldnc, 0.5f, &state) &&
         add_arg(job, DNNL_ARG_DST_ITER, dnnl_ldnc, 0, &state) &&
         add_arg(job, DNNL_ARG_DST_ITER_C, dnnl_ldnc, 0, &state) &&
         add_arg(job, DNNL_ARG_SRC_LAYER, dnnl_tnc, 1.0f, &state) &&
         add_arg(job, DNNL_ARG_WEIGHTS_LAYER, dnnl_ldigo, w, &state) &&
         add_arg(job, DNNL_ARG_WEIGHTS_ITER, dnnl_ldigo, w, &state) &&
         add_arg(job, DNNL_ARG_WEIGHTS_PROJECTION, dnnl_ldio, w, &state) &&
         add_arg(job, DNNL_ARG_BIAS, dnnl_ldgo, w, &state) &&
         add_arg(job, DNNL_ARG_DST_LAYER, dnnl_tnc, 0, &state) &&
         add_arg(job, DNNL_ARG_SCRATCHPAD, dnnl_a, 0, &state);
}

const char *recur_bench_onednn_isa(void) { return isa_name(dnnl_get_effective_cpu_isa()); }

const char *recur_bench_onednn_error(struct recur_bench_onednn *job) {
  const char *call = job->failed ? job->failed : "oneDNN";
  snprintf(job->error, sizeof job->error, "%.*s failed: status %d", (int)strcspn(call, "("),
           call, (int)job->status);
  return job->error;
}

struct recur_bench_onednn *recur_bench_onednn_open(const struct recur_bench_case *c,
                                                   recur_precision precision, int threads,
                                                   int states, int *unsupported, char *err,
                                                   size_t errlen) {
  struct recur_bench_onednn *job = calloc(1, sizeof *job);
  *unsupported = 0;
  if (!job) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  /* This oneDNN runs on OpenMP: its thread count is the calling thread's. */
  job->threads = threads;
  job->saved_threads = omp_get_max_threads();
  omp_set_num_threads(threads);
  if (precision == RECUR_PRECISION_INT8) {
    /* oneDNN's int8 RNN is static quantization: its input scale and shift are fixed when the
     * primitive is made (calibrated beforehand), where recur's int8 is dynamic (scales from
     * each step's values). Not the same computation, so not timed as recur's peer. */
    *unsupported = 1;
    snprintf(err, errlen, "oneDNN %s's int8 %s is static quantization (calibrated scales), not "
             "recur's dynamic int8: not compared", recur_bench_onednn_version(),
             recur_bench_cell_info(c->cell)->name);
    recur_bench_onednn_close(job);
    return NULL;
  }
  if (!job_init(job, c, precision, states)) {
    *unsupported = job->status == dnnl_unimplemented;
    if (*unsupported)
      snprintf(err, errlen, "oneDNN %s has no %s %s on %s", recur_bench_onednn_version(),
               recur_precision_name(precision), recur_bench_cell_info(c->cell)->name,
               recur_bench_onednn_isa());
    else
      snprintf(err, errlen, "%s", recur_bench_onednn_error(job));
    recur_bench_onednn_close(job);
    return NULL;
  }
  return job;
}

int recur_bench_onednn_run(void *ctx) {
  struct recur_bench_onednn *job = ctx;
  omp_set_num_threads(job->threads); /* other jobs at other counts may run in between */
  return !OK(job, dnnl_primitive_execute(job->prim, job->stream, job->n_args, job->args)) ||
         !OK(job, dnnl_stream_wait(job->stream));
}

void recur_bench_onednn_close(struct recur_bench_onednn *job) {
  if (!job) return;
  for (int i = 0; i < job->n_args; i++) dnnl_memory_destroy(job->args[i].memory);
  dnnl_stream_destroy(job->stream);
  dnnl_primitive_destroy(job->prim);
  dnnl_primitive_desc_destroy(job->pd);
  omp_set_num_threads(job->saved_threads);
  free(job);
}
