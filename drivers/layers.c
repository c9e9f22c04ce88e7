/* Runs a network's layers: sizes and carves the workspace of a plan, starts the thread team and
 * gives each thread its share (schedule.c says who does what; recurrence.c and ref_direction.c
 * do it). */
#include "layers.h"

#include <omp.h>

#include "fpmode.h"
#include "internal.h"
#include "kernels.h"

int recur_call_sizes_init(const recur_net *net, int64_t T, int64_t B, recur_call_sizes *z) {
  *z = (recur_call_sizes){T, B, net->desc.num_layers, net->dirs, net->desc.input_size,
                          net->hidden, net->out, 0, 0, 0, 0};
  size_t tb, ld;
  return recur_mul_size((size_t)T, (size_t)B, &tb) && recur_mul_size(tb, (size_t)z->I, &z->x) &&
         recur_mul_size(tb, (size_t)(z->D * z->Hout), &z->y) &&
         recur_mul_size((size_t)(z->L * z->D), (size_t)B, &ld) &&
         recur_mul_size(ld, (size_t)z->Hout, &z->h) && recur_mul_size(ld, (size_t)z->H, &z->c) &&
         z->x <= SIZE_MAX / 4 && z->y <= SIZE_MAX / 8 && z->c <= SIZE_MAX / 4;
}

static recur_seq_view make_view(const float *data, int64_t T, int64_t B, int64_t width,
                                int batch_first) {
  recur_seq_view v = {(float *)data, batch_first ? width : B * width,
                      batch_first ? T * width : width};
  return v;
}

static size_t n_bufs(const recur_call_sizes *z) { return z->L > 2 ? 2 : (size_t)(z->L - 1); }

/* Floats of what a team of n threads keeps in the workspace: 2n barrier lines, then n shares
 * and n barriers, rounded so that what follows stays 64-byte aligned. */
static size_t team_floats(int n) {
  size_t bytes = (size_t)n * (sizeof(recur_share) + sizeof(recur_barrier));
  return 2 * (size_t)n * sizeof(recur_barrier_line) / sizeof(float) +
         recur_round_floats((bytes + sizeof(float) - 1) / sizeof(float));
}

size_t recur_layers_plan_init(recur_layers_plan *p, const recur_net *net, const recur_call_sizes *z,
                              int threads, const recur_call_choices *tuned, int alternate) {
  *p = (recur_layers_plan){.net = net, .z = *z, .tuned = tuned};
  p->sched = recur_schedule_choose(net, z->B, threads, tuned);
  const recur_schedule *s = &p->sched;
  if (net->kernels == &recur_kernels_scalar) {
    p->shared_floats = recur_round_floats(recur_ref_shared(net, z));
    p->scratch_floats = recur_round_floats(recur_ref_scratch(net, z));
  } else {
    int alternates = alternate < 0 ? recur_schedule_alternates(s, net, z->B) : alternate;
    recur_packed_layout_init(net, z, s, alternates, &p->packed);
    p->shared_floats = p->packed.shared_floats;
    p->scratch_floats = p->packed.scratch_floats;
  }
  p->buf_floats = recur_round_floats(z->y);
  size_t total, part;
  if (!recur_mul_size(n_bufs(z), p->buf_floats, &total) ||
      !recur_mul_size(p->shared_floats, (size_t)z->D, &part) ||
      !recur_add_size(total, part, &total) ||
      !recur_mul_size(p->scratch_floats, (size_t)s->call.use_threads, &part) ||
      !recur_add_size(total, part, &total) ||
      !recur_add_size(total, team_floats(s->call.use_threads), &total) ||
      total > SIZE_MAX / sizeof(float))
    return 0;
  return total;
}

/* The team's barriers, one per batch part of each group for the threads that split its hidden
 * units, and each thread's share. */
static void init_team(const recur_layers_plan *p) {
  const recur_schedule *s = &p->sched;
  recur_barrier_line *line = p->barrier_lines;
  for (int g = 0, at = 0; g < s->call.groups; g++)
    for (int b = 0; b < s->batch_parts[g]; b++, line += s->hidden_parts[g] + 1)
      recur_barrier_init(&p->barriers[at++], line, (unsigned)s->hidden_parts[g]);
  for (int tid = 0; tid < s->call.use_threads; tid++)
    p->shares[tid] = recur_schedule_share(s, p->net, p->z.B, tid);
}

void recur_layers_carve(recur_layers_plan *p, float *work) {
  int planned = p->sched.call.use_threads; /* the team the workspace is sized for */
  float *at = work;
  p->barrier_lines = (recur_barrier_line *)(void *)at;
  p->shares = (recur_share *)(void *)(p->barrier_lines + 2 * planned);
  p->barriers = (recur_barrier *)(void *)(p->shares + planned);
  at += team_floats(planned);
  p->bufs = at;
  at += n_bufs(&p->z) * p->buf_floats;
  for (int64_t d = 0; d < p->z.D; d++, at += p->shared_floats) p->shared[d] = at;
  p->scratch = at;
  init_team(p);
}

/* One thread's whole run: every layer, its direction(s), its share of each. */
static void run_thread(const recur_layers_plan *p, const recur_layers_io *io, int team, int tid) {
  const recur_net *net = p->net;
  const recur_call_sizes *z = &p->z;
  unsigned fp_mode = recur_flush_denormals_begin(); /* per thread: MXCSR/FPCR are per thread */
  const recur_share *share = &p->shares[tid];
  void (*direction)(const recur_direction_args *) =
      net->kernels == &recur_kernels_scalar ? recur_ref_direction : recur_packed_direction;
  int64_t width = z->D * z->Hout;
  size_t state_h = (size_t)(z->B * z->Hout), state_c = (size_t)(z->B * z->H);
  recur_seq_view in = make_view(io->x, io->T, z->B, z->I, io->batch_first);
  int walk_back = io->walk_back && p->packed.alternates && io->T == 1;
  for (int64_t l = 0; l < z->L; l++) {
    recur_seq_view out = l == z->L - 1 ? make_view(io->y, io->T, z->B, width, io->batch_first)
                                 : make_view(p->bufs + (size_t)(l % 2) * p->buf_floats, io->T,
                                             z->B, width, 0);
    for (int64_t d = 0; d < z->D; d++) {
      if (p->sched.call.groups == 2 && d != share->group) continue;
      size_t u = (size_t)(l * z->D + d);
      recur_direction_args da = {
        .net = net, .ly = &net->layers[u], .reverse = (int)d, .z = z, .T = io->T,
        .lengths = io->lengths, .in = in, .out = {out.data + d * z->Hout, out.t_stride, out.b_stride},
        .h0 = io->h0 ? io->h0 + u * state_h : NULL, .c0 = io->c0 ? io->c0 + u * state_c : NULL,
        .h_n = io->h_n ? io->h_n + u * state_h : NULL, .c_n = io->c_n ? io->c_n + u * state_c : NULL,
        .shared = p->shared[d], .scratch = p->scratch + (size_t)tid * p->scratch_floats,
        .barrier = &p->barriers[share->barrier], .share = share, .layout = &p->packed,
        .walk_back = walk_back,
      };
      direction(&da);
    }
    in = out;
    if (team > 1) { /* the next layer reads both directions' outputs */
#pragma omp barrier
    }
  }
  recur_flush_denormals_end(fp_mode);
}

void recur_layers_warm(const recur_layers_plan *p) {
  if (p->sched.call.use_threads > 1) {
#pragma omp parallel num_threads(p->sched.call.use_threads)
    __asm__ volatile("" ::: "memory"); /* no work, but GCC drops an empty region */
  }
}

/* The plan for a smaller team than it was made for, in the workspace sized for it (its chunk,
 * and so its buffers, kept): its barriers and shares are written over the plan's. */
static void replan(recur_layers_plan *p, int team) {
  int64_t chunk = p->sched.call.chunk_rows;
  p->sched = recur_schedule_choose(p->net, p->z.B, team, p->tuned);
  p->sched.call.chunk_rows = chunk;
  init_team(p);
}

/* The plan for a team of `team` threads: plan itself, or its copy in *smaller re-planned. */
static const recur_layers_plan *plan_for(const recur_layers_plan *plan, int team,
                                         recur_layers_plan *smaller) {
  if (team == plan->sched.call.use_threads) return plan;
  *smaller = *plan;
  replan(smaller, team);
  return smaller;
}

void recur_layers_run(const recur_layers_plan *plan, const recur_layers_io *io) {
  int planned = plan->sched.call.use_threads;
  recur_layers_plan smaller;
  const recur_layers_plan *run = plan;
  /* inside the caller's parallel region (a stream planned outside it): no team to start, and
   * none asked of libgomp, which allocates a team of one each time */
  if (planned == 1 || recur_call_threads(planned) == 1) {
    run = plan_for(plan, 1, &smaller);
    run_thread(run, io, 1, 0);
  } else {
#pragma omp parallel num_threads(planned)
    {
      /* OpenMP may give a smaller team (thread limits): then re-plan for the team we got */
      int team = omp_get_num_threads();
#pragma omp single
      run = plan_for(plan, team, &smaller);
      int tid = omp_get_thread_num();
      if (tid < run->sched.call.use_threads) run_thread(run, io, team, tid);
      else for (int64_t l = 0; l < run->z.L; l++) {
#pragma omp barrier
      }
    }
  }
  if (run != plan) init_team(plan); /* the re-plan's barriers and shares back to the plan's */
}
