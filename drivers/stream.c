/* recur_stream: a network's state between calls and everything a step needs, made once at
 * creation: the plan (threads, schedule, tune entry) and one block holding the state and the
 * plan's workspace. A step runs the layers (layers.c) with the state as both initial and final
 * state, in chunks of at most the plan's steps, so no step allocates. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "layers.h"
#include "stream.h"
#include "workspace.h"

/* The most steps one run takes: bounds the inner layers' (steps, B, H_out) buffers when the
 * input projection's chunk is long (small H and B). */
#define STREAM_STEPS_MAX 1024

struct recur_stream {
  recur_layers_plan plan;     /* z.T: the most steps one run takes */
  recur_workspace work; /* the state, then the plan's workspace */
  int walk_back;        /* the parity of its one-step runs (recur_layers_io.walk_back) */
  float *h, *c;         /* (L, B, H_out) and (L, B, H); c NULL without a cell state */
};

static int64_t chunk_steps(const recur_net *net, int64_t B, int threads,
                           const recur_call_choices *tuned) {
  int64_t steps = recur_schedule_choose(net, B, threads, tuned).call.chunk_rows / B;
  return steps < 1 ? 1 : steps > STREAM_STEPS_MAX ? STREAM_STEPS_MAX : steps;
}

static recur_status create(recur_stream *s, const recur_net *net, int64_t B, int num_threads,
                           int alternate) {
  int threads = recur_call_threads(num_threads);
  const recur_call_choices *tuned = recur_schedule_tuned(net, B, &threads);
  recur_call_sizes z;
  size_t state, total;
  if (!recur_call_sizes_init(net, chunk_steps(net, B, threads, tuned), B, &z))
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_stream_create: batch %lld overflows the address space",
                      (long long)B);
  size_t floats = recur_layers_plan_init(&s->plan, net, &z, threads, tuned, alternate);
  size_t nh = recur_round_floats(z.h), nc = net->cell->has_c ? recur_round_floats(z.c) : 0;
  if (!floats || !recur_add_size(nh, nc, &state) || !recur_add_size(state, floats, &total) ||
      total > SIZE_MAX / sizeof(float))
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_stream_create: batch %lld overflows the address space",
                      (long long)B);
  recur_status st = recur_workspace_reserve(&s->work, total, "recur_stream_create: the stream");
  if (st) return st;
  s->h = s->work.data;
  s->c = nc ? s->h + nh : NULL;
  memset(s->h, 0, state * sizeof(float));
  recur_layers_carve(&s->plan, s->h + state);
  recur_layers_warm(&s->plan);
  return RECUR_OK;
}

recur_status recur_stream_create(recur_stream **out, const recur_net *net, int64_t batch,
                                 int num_threads) {
  return recur_stream_create_as(out, net, batch, num_threads, -1);
}

recur_status recur_stream_create_as(recur_stream **out, const recur_net *net, int64_t batch,
                                    int num_threads, int alternate) {
  if (!out) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_stream_create: out is NULL");
  *out = NULL;
  if (!net) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_stream_create: net is NULL");
  if (batch < 1 || batch > RECUR_MAX_DIM)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_stream_create: batch %lld, must be in 1..%lld",
                      (long long)batch, (long long)RECUR_MAX_DIM);
  if (num_threads < 0)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_stream_create: num_threads is %d", num_threads);
  if (net->dirs != 1)
    return recur_fail(RECUR_ERR_UNSUPPORTED,
                      "recur_stream_create: the network is bidirectional; a reverse direction "
                      "needs the whole sequence, so only unidirectional networks stream");
  recur_stream *s = calloc(1, sizeof *s);
  if (!s) return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur_stream_create: out of memory");
  recur_status st = create(s, net, batch, num_threads, alternate);
  if (st) {
    recur_stream_free(s);
    return st;
  }
  *out = s;
  return RECUR_OK;
}

void recur_stream_free(recur_stream *s) {
  if (!s) return;
  recur_workspace_release(&s->work);
  free(s);
}

recur_status recur_stream_step(recur_stream *s, const float *x, int64_t steps, float *y) {
  const char *null = !s ? "s" : !x ? "x" : !y ? "y" : NULL;
  if (null) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_stream_step: %s is NULL", null);
  const recur_call_sizes *z = &s->plan.z;
  size_t row_x = (size_t)(z->B * z->I), row_y = (size_t)(z->B * z->Hout), nx, ny;
  if (steps < 1 || steps > RECUR_MAX_DIM)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_stream_step: steps %lld, must be in 1..%lld",
                      (long long)steps, (long long)RECUR_MAX_DIM);
  if (!recur_mul_size((size_t)steps, row_x * sizeof(float), &nx) ||
      !recur_mul_size((size_t)steps, row_y * sizeof(float), &ny))
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_stream_step: %lld steps overflow the address space",
                      (long long)steps);
  if (recur_overlaps(x, nx, y, ny))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_stream_step: y overlaps x");
  for (int64_t t0 = 0, n; t0 < steps; t0 += n) {
    n = steps - t0 < z->T ? steps - t0 : z->T;
    recur_layers_io io = {.T = n, .x = x + (size_t)t0 * row_x, .y = y + (size_t)t0 * row_y,
                    .h0 = s->h, .c0 = s->c, .h_n = s->h, .c_n = s->c, .walk_back = s->walk_back};
    recur_layers_run(&s->plan, &io);
    if (n == 1) s->walk_back = !s->walk_back;
  }
  return RECUR_OK;
}

recur_status recur_stream_reset(recur_stream *s, int64_t row) {
  if (!s) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_stream_reset: s is NULL");
  const recur_call_sizes *z = &s->plan.z;
  if (row < -1 || row >= z->B)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_stream_reset: row %lld, must be in -1..%lld",
                      (long long)row, (long long)(z->B - 1));
  int64_t b0 = row < 0 ? 0 : row, rows = row < 0 ? z->B : 1;
  for (int64_t l = 0; l < z->L; l++) {
    memset(s->h + (l * z->B + b0) * z->Hout, 0, (size_t)(rows * z->Hout) * sizeof(float));
    if (s->c) memset(s->c + (l * z->B + b0) * z->H, 0, (size_t)(rows * z->H) * sizeof(float));
  }
  return RECUR_OK;
}

/* RECUR_OK when c may be given: only where the network has a cell state. */
static recur_status check_c(const recur_stream *s, const float *c, const char *who) {
  if (c && !s->c)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "%s: c given, but a %s has no cell state", who,
                      s->plan.net->cell->name);
  return RECUR_OK;
}

recur_status recur_stream_get_state(const recur_stream *s, float *h, float *c) {
  if (!s) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_stream_get_state: s is NULL");
  recur_status st = check_c(s, c, "recur_stream_get_state");
  if (st) return st;
  if (recur_overlaps(h, s->plan.z.h * sizeof(float), c, s->plan.z.c * sizeof(float)))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_stream_get_state: h overlaps c");
  if (h) memcpy(h, s->h, s->plan.z.h * sizeof(float));
  if (c) memcpy(c, s->c, s->plan.z.c * sizeof(float));
  return RECUR_OK;
}

recur_status recur_stream_set_state(recur_stream *s, const float *h, const float *c) {
  if (!s) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_stream_set_state: s is NULL");
  recur_status st = check_c(s, c, "recur_stream_set_state");
  if (st) return st;
  if (h) memmove(s->h, h, s->plan.z.h * sizeof(float));
  if (c) memmove(s->c, c, s->plan.z.c * sizeof(float));
  return RECUR_OK;
}
