/* recur_forward: argument checks, the workspace, and the thread team that runs the layers
 * (schedule.c says who does what; recurrence.c and ref_direction.c do it). */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"
#include "fpmode.h"
#include "internal.h"
#include "kernels.h"

static seq_view make_view(const float *data, int64_t T, int64_t B, int64_t width, int batch_first) {
  seq_view v = {(float *)data, batch_first ? width : B * width, batch_first ? T * width : width};
  return v;
}

typedef struct byte_range {
  const char *name;
  const void *p;
  size_t n;
} byte_range;

static int overlaps(const byte_range *a, const byte_range *b) {
  if (!a->p || !b->p || !a->n || !b->n) return 0;
  uintptr_t a0 = (uintptr_t)a->p, b0 = (uintptr_t)b->p;
  return a0 < b0 + b->n && b0 < a0 + a->n;
}

static recur_status check_args(const recur_net *net, const recur_forward_args *a, call_sizes *z) {
  if (!net || !a) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_forward: net or args is NULL");
  if (!a->x) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_forward: x is NULL");
  if (!a->y) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_forward: y is NULL");
  if ((a->batch_first != 0 && a->batch_first != 1) || (a->unbatched != 0 && a->unbatched != 1))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: batch_first and unbatched are 0 or 1");
  if (a->num_threads < 0)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: num_threads is %d", a->num_threads);
  if (a->seq_len < 1 || a->seq_len > RECUR_MAX_DIM || a->batch < 1 || a->batch > RECUR_MAX_DIM)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_forward: T=%lld, B=%lld; each must be in 1..%lld",
                      (long long)a->seq_len, (long long)a->batch, (long long)RECUR_MAX_DIM);
  if (a->unbatched && a->batch != 1)
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: unbatched input needs batch = 1, not %lld",
                      (long long)a->batch);
  if (a->input_size != net->desc.input_size)
    return recur_fail(RECUR_ERR_SHAPE_MISMATCH, "recur_forward: input size %lld, the network expects %lld",
                      (long long)a->input_size, (long long)net->desc.input_size);
  if (!net->cell->has_c && (a->c0 || a->c_n))
    return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: c0/c_n given, but a %s has no cell state",
                      net->cell->name);

  *z = (call_sizes){a->seq_len, a->batch, net->desc.num_layers, net->dirs, net->desc.input_size,
                    net->hidden, net->out, 0, 0, 0, 0};
  size_t tb, ld;
  if (!recur_mul_size((size_t)z->T, (size_t)z->B, &tb) || !recur_mul_size(tb, (size_t)z->I, &z->x) ||
      !recur_mul_size(tb, (size_t)(z->D * z->Hout), &z->y) ||
      !recur_mul_size((size_t)(z->L * z->D), (size_t)z->B, &ld) ||
      !recur_mul_size(ld, (size_t)z->Hout, &z->h) || !recur_mul_size(ld, (size_t)z->H, &z->c) ||
      z->x > SIZE_MAX / 4 || z->y > SIZE_MAX / 8 || z->c > SIZE_MAX / 4)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_forward: T=%lld, B=%lld overflow the address space",
                      (long long)z->T, (long long)z->B);

  if (a->lengths)
    for (int64_t b = 0; b < z->B; b++)
      if (a->lengths[b] < 1 || a->lengths[b] > z->T)
        return recur_fail(RECUR_ERR_BAD_LENGTHS, "recur_forward: lengths[%lld] = %lld, outside 1..%lld",
                          (long long)b, (long long)a->lengths[b], (long long)z->T);

  return RECUR_OK;
}

/* Outputs may not overlap anything, except that h_n may be exactly h0 and c_n exactly c0
 * (an in-place state update: each layer reads its h0 slot before writing its h_n slot). */
static recur_status check_overlaps(const recur_forward_args *a, const call_sizes *z) {
  size_t f = sizeof(float);
  byte_range in[] = {{"x", a->x, z->x * f}, {"lengths", a->lengths, a->lengths ? (size_t)z->B * 8 : 0},
                     {"h0", a->h0, z->h * f}, {"c0", a->c0, z->c * f}};
  byte_range out[] = {{"y", a->y, z->y * f}, {"h_n", a->h_n, z->h * f}, {"c_n", a->c_n, z->c * f}};
  for (size_t i = 0; i < 3; i++) {
    for (size_t j = 0; j < 4; j++) {
      int in_place = (i == 1 && j == 2) || (i == 2 && j == 3);
      if (overlaps(&out[i], &in[j]) && !(in_place && out[i].p == in[j].p))
        return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: %s overlaps %s", out[i].name, in[j].name);
    }
    for (size_t j = 0; j < i; j++)
      if (overlaps(&out[i], &out[j]))
        return recur_fail(RECUR_ERR_INVALID_ARGUMENT, "recur_forward: %s overlaps %s", out[i].name, out[j].name);
  }
  return RECUR_OK;
}

static int default_threads; /* recur_set_num_threads; 0: OpenMP's default */

static int clamp_threads(int n) { return n > RECUR_MAX_THREADS ? RECUR_MAX_THREADS : n; }

void recur_set_num_threads(int n) {
  __atomic_store_n(&default_threads, n > 0 ? clamp_threads(n) : 0, __ATOMIC_RELAXED);
}

/* The call's thread count: its own, else the process default, else OpenMP's, at most
 * RECUR_MAX_THREADS; 1 inside a parallel region unless the caller enabled nesting. */
static int call_threads(int requested) {
  if (omp_in_parallel() && omp_get_active_level() >= omp_get_max_active_levels()) return 1;
  int n = requested ? requested : __atomic_load_n(&default_threads, __ATOMIC_RELAXED);
  return clamp_threads(n ? n : omp_get_max_threads());
}

/* Everything the team shares. */
typedef struct forward_plan {
  const recur_net *net;
  const recur_forward_args *a;
  call_sizes z;
  recur_schedule sched;
  float *bufs;        /* inner layers' outputs, ping-pong */
  float *shared[2];   /* per direction */
  float *scratch;     /* per thread, scratch_floats each */
  size_t scratch_floats;
  recur_barrier *barriers; /* per batch part of each group (recur_share.barrier) */
  recur_barrier_line *barrier_lines; /* theirs: hparts + 1 each, 2 * threads at most */
  int team;           /* threads in recur's own OpenMP team (1: no team, no omp barrier) */
} forward_plan;

/* Floats of the barriers of a team of n threads: 2n lines, then n barriers, rounded so that
 * what follows stays 64-byte aligned. */
static size_t barrier_floats(int n) {
  return (2 * (size_t)n * sizeof(recur_barrier_line) +
          recur_round_floats((size_t)n * sizeof(recur_barrier) / sizeof(float)) * sizeof(float)) /
         sizeof(float);
}

/* Sizes the workspace for a schedule; 0 on overflow. */
static size_t workspace_floats(const recur_net *net, const call_sizes *z, const recur_schedule *s,
                               size_t *shared, size_t *scratch) {
  int ref = net->kernels == &recur_kernels_ref;
  *shared = recur_round_floats(ref ? recur_ref_shared(net, z) : recur_packed_shared(net, z, s));
  *scratch = recur_round_floats(ref ? recur_ref_scratch(net, z) : recur_packed_scratch(net, z, s));
  size_t n_bufs = z->L > 2 ? 2 : (size_t)(z->L - 1), total, part;
  if (!recur_mul_size(n_bufs, recur_round_floats(z->y), &total) ||
      !recur_mul_size(*shared, (size_t)z->D, &part) || !recur_add_size(total, part, &total) ||
      !recur_mul_size(*scratch, (size_t)s->call.use_threads, &part) ||
      !recur_add_size(total, part, &total) ||
      !recur_add_size(total, barrier_floats(s->call.use_threads), &total) ||
      total > SIZE_MAX / sizeof(float))
    return 0;
  return total;
}

/* One barrier per batch part of each group, for the threads that split its hidden units. */
static void init_barriers(forward_plan *p) {
  const recur_schedule *s = &p->sched;
  recur_barrier_line *line = p->barrier_lines;
  for (int g = 0, at = 0; g < s->call.groups; g++)
    for (int b = 0; b < s->batch_parts[g]; b++, line += s->hidden_parts[g] + 1)
      recur_barrier_init(&p->barriers[at++], line, (unsigned)s->hidden_parts[g]);
}

/* One thread's whole call: every layer, its direction(s), its share of each. */
static void run_thread(const forward_plan *p, int tid) {
  const recur_net *net = p->net;
  const recur_forward_args *a = p->a;
  const call_sizes *z = &p->z;
  unsigned fp_mode = recur_flush_denormals_begin(); /* per thread: MXCSR/FPCR are per thread */
  recur_share share = recur_schedule_share(&p->sched, net, z->B, tid);
  void (*direction)(const direction_args *) =
      net->kernels == &recur_kernels_ref ? recur_ref_direction : recur_packed_direction;
  int64_t width = z->D * z->Hout;
  size_t state_h = (size_t)(z->B * z->Hout), state_c = (size_t)(z->B * z->H);
  seq_view in = make_view(a->x, z->T, z->B, z->I, a->batch_first);
  for (int64_t l = 0; l < z->L; l++) {
    seq_view out = l == z->L - 1 ? make_view(a->y, z->T, z->B, width, a->batch_first)
                                 : make_view(p->bufs + (size_t)(l % 2) * recur_round_floats(z->y),
                                             z->T, z->B, width, 0);
    for (int64_t d = 0; d < z->D; d++) {
      if (p->sched.call.groups == 2 && d != share.group) continue;
      size_t u = (size_t)(l * z->D + d);
      direction_args da = {
        .net = net, .ly = &net->layers[u], .reverse = (int)d, .z = z, .lengths = a->lengths,
        .in = in, .out = {out.data + d * z->Hout, out.t_stride, out.b_stride},
        .h0 = a->h0 ? a->h0 + u * state_h : NULL, .c0 = a->c0 ? a->c0 + u * state_c : NULL,
        .h_n = a->h_n ? a->h_n + u * state_h : NULL, .c_n = a->c_n ? a->c_n + u * state_c : NULL,
        .shared = p->shared[d], .scratch = p->scratch + (size_t)tid * p->scratch_floats,
        .barrier = &p->barriers[share.barrier], .share = share, .sched = &p->sched,
      };
      direction(&da);
    }
    in = out;
    if (p->team > 1) { /* the next layer reads both directions' outputs */
#pragma omp barrier
    }
  }
  recur_flush_denormals_end(fp_mode);
}

/* The per-call choices: the given ones, else the tune entry's for (net, B, threads). */
static const recur_call_choices *call_choices(const recur_net *net, int64_t B, int threads,
                                              const recur_call_choices *given) {
  if (given) return given;
  const recur_tune_entry *e = recur_schedule_entry(net, B, threads);
  return e ? &e->p.call : NULL;
}

recur_status recur_forward(const recur_net *net, const recur_forward_args *a) {
  return recur_forward_with(net, a, NULL);
}

recur_status recur_forward_with(const recur_net *net, const recur_forward_args *a,
                                const recur_call_choices *given) {
  forward_plan p = {.net = net, .a = a, .team = 1};
  recur_status st = check_args(net, a, &p.z);
  if (st) return st;
  int threads = call_threads(a->num_threads);
  const recur_call_choices *tuned = call_choices(net, p.z.B, threads, given);
  p.sched = recur_schedule_choose(net, p.z.B, threads, tuned);
  size_t shared, total = workspace_floats(net, &p.z, &p.sched, &shared, &p.scratch_floats);
  if (!total)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_forward: the workspace overflows the address space");
  if ((st = recur_check_memory("recur_forward: the workspace", total * sizeof(float))) ||
      (st = check_overlaps(a, &p.z)))
    return st;
  float *work = aligned_alloc(64, (total * sizeof(float) + 63) / 64 * 64);
  if (!work)
    return recur_fail(RECUR_ERR_OUT_OF_MEMORY, "recur_forward: no memory for %zu floats of workspace", total);

  float *at = work;
  p.barrier_lines = (recur_barrier_line *)(void *)at;
  int planned = p.sched.call.use_threads; /* the team the workspace is sized for */
  p.barriers = (recur_barrier *)(void *)(p.barrier_lines + 2 * planned);
  at += barrier_floats(planned);
  p.bufs = at;
  at += (p.z.L > 2 ? 2 : (size_t)(p.z.L - 1)) * recur_round_floats(p.z.y);
  for (int64_t d = 0; d < p.z.D; d++, at += shared) p.shared[d] = at;
  p.scratch = at;
  init_barriers(&p);

  if (planned == 1) {
    run_thread(&p, 0);
  } else {
#pragma omp parallel num_threads(planned)
    {
      /* OpenMP may give a smaller team (thread limits): then re-plan for the team we got, in the
       * workspace sized for the first plan (its chunk, and so its buffers, kept). */
#pragma omp single
      {
        p.team = omp_get_num_threads();
        if (p.team != planned) {
          int64_t chunk = p.sched.call.chunk_rows;
          p.sched = recur_schedule_choose(net, p.z.B, p.team, tuned);
          p.sched.call.chunk_rows = chunk;
          init_barriers(&p);
        }
      }
      int tid = omp_get_thread_num();
      if (tid < p.sched.call.use_threads) run_thread(&p, tid);
      else for (int64_t l = 0; l < p.z.L; l++) {
#pragma omp barrier
      }
    }
  }
  free(work);
  return RECUR_OK;
}

recur_status recur_net_plan(const recur_net *net, int64_t batch, int num_threads, recur_plan *out) {
  if (!net || !out) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_net_plan: net or out is NULL");
  if (batch < 1 || batch > RECUR_MAX_DIM || num_threads < 0)
    return recur_fail(RECUR_ERR_INVALID_SIZE, "recur_net_plan: batch %lld, num_threads %d",
                      (long long)batch, num_threads);
  int threads = call_threads(num_threads), packed = net->kernels != &recur_kernels_ref;
  const recur_tune_entry *e = recur_schedule_entry(net, batch, threads);
  recur_schedule s = recur_schedule_choose(net, batch, threads, e ? &e->p.call : NULL);
  const recur_tiling *t = &net->tiling;
  const recur_call_choices *c = &s.call;
  *out = (recur_plan){
    .isa = net->kernels->name, .tuned_tiling = net->tuned_tiling, .tuned_call = e != NULL,
    .tuned_batch = e ? e->key.B : 0, .nr = t->nr, .nr_proj = t->nr_proj, .kc = t->pack.kc,
    .kc_input = t->pack.kc_input, .chunk_rows = c->chunk_rows, .mc = c->mc,
    .threads = c->use_threads, .groups = c->groups,
    .group_threads = {s.group_threads[0], s.group_threads[1]},
    .hidden_split = c->split == RECUR_SPLIT_HIDDEN,
    .batch_parts = {s.batch_parts[0], s.batch_parts[1]},
    .hidden_parts = {s.hidden_parts[0], s.hidden_parts[1]},
    .mr = packed ? recur_tile_rows(net->kernels, c->mr, (int)(net->gates * t->pack.nv)) : 0,
  };
  return RECUR_OK;
}
