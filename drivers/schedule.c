/* The thread schedule: which thread does what, fixed for the whole call, so that every thread
 * keeps working on the same rows and the same slice of W_hh at every step.
 *
 * A tune entry for the call (`recur tune` measured it on this CPU) overrides any of these
 * choices, but never runs a call on fewer threads than the plan for half as many threads
 * (recur_schedule_entry). Without one, the heuristic:
 *  - a bidirectional layer gives each direction its own group of threads (half the team each;
 *    the first group gets the odd one), so the directions run side by side;
 *  - within a group, the threads form a grid of batch parts x hidden parts. A batch part's rows
 *    are independent of every other part's (no barrier between parts); the threads of one part
 *    split its hidden tiles, so each streams only its slice of W_ih and W_hh every step (and
 *    keeps it in its own L2 when the slice fits), meeting at one barrier per step (two with an
 *    LSTM projection);
 *  - when W_hh stays in every core's L2 (a quarter of it) the batch comes first: parts of at
 *    least BATCH_ROWS_MIN rows, then hidden parts for the threads left. Measured on a 2-core
 *    Zen 5, 2 threads, GFLOP/s hidden vs batch split: LSTM (50,16,512) 389 vs 367, (100,32,512)
 *    393 vs 360, (25,64,1024) 389-420 vs 365-371; GRU (100,32,512) 385-405 vs 371-408;
 *  - otherwise the hidden tiles come first (one thread per tile at most), then batch parts for
 *    the threads left, so no thread streams all of a W_hh that does not fit its L2;
 *  - the cost model: a thread joins only if the step keeps at least STEP_FLOPS_MIN for each
 *    thread. Doubling a team from n to 2n saves W/(2nR) of a step of W flops at R flop/s per
 *    core and adds about one barrier round, dt: worth it while W/n >= 2 R dt. With R = 120
 *    GFLOP/s (fp32 AVX-512, Zen 4 and Zen 5) and dt = 0.14 us (recur_barrier between 2 threads on
 *    the Zen 5: 187 ns for the whole barrier), W/n >= 32k flops;
 *  - never more threads than there are tiles and rows to share, nor than RECUR_TEAM_MIN_CAP or
 *    the CPUs this process may run on, whichever is more (schedule.h).
 * The input projection runs in chunks of time steps whose gx (each thread's share of it) takes
 * half of the L2 (GX_L2_SHARE): the recurrence then reads gx from L2, not L3. But a chunk has
 * at least CHUNK_ROWS_MIN rows per thread, since each chunk streams the thread's W_ih slice
 * once: on the 16-core Xeon, LSTM and GRU (25,64,1024) at 1 thread ran 1.15x and 1.12x faster
 * with 128-row chunks than with the 64 rows that half its L2 gives (`recur tune`).
 * Which thread computes an output never changes its arithmetic, so the result is the same bits
 * for any thread count. */
#define _GNU_SOURCE
#include "schedule.h"

#include <sched.h>

#include "cpu.h"
#include "kernels.h"

#define BATCH_ROWS_MIN 8
#define STEP_FLOPS_MIN ((int64_t)32 << 10)
#define L2_DEFAULT ((int64_t)1 << 20) /* when the OS does not say */
#define W_HH_L2_SHARE 4               /* W_hh "stays in L2" when it takes at most 1/4 of it */
#define GX_L2_SHARE 2                 /* a thread's gx chunk takes 1/2 of its L2 */
#define CHUNK_ROWS_MIN 128

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static const recur_tune_entry *find_entry(const recur_net *net, int64_t B, int threads) {
  recur_tune_key key = net->tune_key;
  key.threads = threads, key.B = B;
  return recur_tune_find_call(&net->tune, &key);
}

static int team_of(const recur_net *net, int64_t B, int threads, const recur_tune_entry *e) {
  return recur_schedule_choose(net, B, threads, e ? &e->p.call : NULL).call.use_threads;
}

/* An entry may run its call on fewer threads than asked, as measured at its own thread count;
 * entries at other counts, measured apart on a noisy machine, can disagree (N/2 threads beat
 * 1 at N/2, 1 beat N/2 at N). The plan for half the threads settles it, recursively down to
 * 1 thread, so that asking for twice as many threads never runs on fewer. */
const recur_tune_entry *recur_schedule_entry(const recur_net *net, int64_t B, int *threads) {
  /* no tune file, no entry of its shape, or the scalar table: the heuristic, which never
   * uses fewer threads for more (test_threads.c) */
  if (!net->tune.n) return NULL;
  const recur_tune_entry *e = find_entry(net, B, *threads);
  if (*threads < 2) return e;
  int half = *threads / 2;
  const recur_tune_entry *h = recur_schedule_entry(net, B, &half);
  if (team_of(net, B, *threads, e) >= team_of(net, B, half, h)) return e;
  *threads = half;
  return h;
}

const recur_call_choices *recur_schedule_tuned(const recur_net *net, int64_t B, int *threads) {
  const recur_tune_entry *e = recur_schedule_entry(net, B, threads);
  return e ? &e->p.call : NULL;
}

/* threads, at most max(RECUR_TEAM_MIN_CAP, the CPUs this process may run on); the CPUs are
 * asked only past RECUR_TEAM_MIN_CAP, so a common call makes no system call for it. */
static int cap_team(int threads) {
  if (threads <= RECUR_TEAM_MIN_CAP) return threads < 1 ? 1 : threads;
  cpu_set_t set;
  int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  int cap = cpus > RECUR_TEAM_MIN_CAP ? cpus : RECUR_TEAM_MIN_CAP;
  return threads < cap ? threads : cap;
}

static int64_t l2_bytes(void) {
  int64_t l2 = recur_cpu_this()->l2;
  return l2 > 0 ? l2 : L2_DEFAULT;
}

/* Splits a group of m threads into batch parts x hidden parts (*bp, *hp). */
static void split_group(const recur_net *net, int64_t B, int64_t m, const recur_call_choices *tp,
                        int *bp, int *hp) {
  int64_t tiles = net->kernels == &recur_kernels_scalar ? 1 : net->tiling.tiles;
  int64_t in = net->desc.input_size, G = net->gates, H = net->hidden;
  int64_t step_flops = 2 * B * G * H * (in + net->out);
  m = min64(m, max64(1, step_flops / STEP_FLOPS_MIN));
  int64_t w_hh_bytes = G * H * net->out * (int64_t)net->kernels->format->bytes;
  int64_t b = 1, h;
  if (tp->split == RECUR_SPLIT_BATCH || tiles == 1) {
    b = min64(m, B), h = 1;
  } else if (tp->split == RECUR_SPLIT_HIDDEN) {
    h = min64(m, tiles);
    b = tp->bparts ? min64(tp->bparts, min64(m / h, B)) : min64(m / h, B);
    h = min64(m / b, tiles);
  } else if (w_hh_bytes <= l2_bytes() / W_HH_L2_SHARE) {
    b = min64(m, max64(1, B / BATCH_ROWS_MIN));
    h = min64(m / b, tiles);
  } else {
    h = min64(m, tiles);
    b = min64(m / h, B);
  }
  *bp = (int)b, *hp = (int)h;
}

/* T*B rows per chunk: a thread's gx for its rows and tiles takes its L2 share, and at least
 * CHUNK_ROWS_MIN of its rows. */
static int64_t chunk_rows(const recur_net *net, int64_t B, int bparts, int hparts) {
  int64_t tiles = (net->tiling.tiles + hparts - 1) / hparts;
  int64_t row_bytes = tiles * net->gates * net->tiling.nr * (int64_t)sizeof(float);
  int64_t rows = (B + bparts - 1) / bparts;
  int64_t steps = l2_bytes() / GX_L2_SHARE / max64(1, row_bytes * rows);
  steps = max64(steps, (CHUNK_ROWS_MIN + rows - 1) / rows);
  return min64(steps, RECUR_MAX_DIM) * B;
}

recur_schedule recur_schedule_choose(const recur_net *net, int64_t B, int threads,
                                     const recur_call_choices *given) {
  static const recur_call_choices none;
  const recur_call_choices *tp = given ? given : &none;
  recur_schedule s = {.call = *tp};
  recur_call_choices *c = &s.call;
  int team = cap_team(threads);
  if (tp->use_threads && tp->use_threads < team) team = tp->use_threads;
  c->groups = net->dirs == 2 && team >= 2 && tp->groups != 1 ? 2 : 1;
  int sizes[2] = {c->groups == 2 ? team - team / 2 : team, c->groups == 2 ? team / 2 : 0};
  c->use_threads = 0;
  for (int g = 0; g < c->groups; g++) {
    split_group(net, B, sizes[g], tp, &s.batch_parts[g], &s.hidden_parts[g]);
    s.group_threads[g] = s.batch_parts[g] * s.hidden_parts[g];
    c->use_threads += s.group_threads[g];
  }
  c->bparts = s.batch_parts[0];
  if (!c->split) c->split = s.hidden_parts[0] > 1 ? RECUR_SPLIT_HIDDEN : RECUR_SPLIT_BATCH;
  if (!c->chunk_rows) c->chunk_rows = chunk_rows(net, B, s.batch_parts[0], s.hidden_parts[0]);
  return s;
}

/* Alternating pays where the weights are the traffic: one layer (with more, a call starts on
 * the first layer, which the last one read before all the others: LSTM H = 256 and 1024 with
 * 2 layers, B = 1, ran 1.5-3.7% slower), whose share per thread of W_ih and W_hh overflows the
 * L2 (so the part a run read last, still in the L2 or L3, is what the next one starts on), at
 * a batch small enough that a step is the weights' read. On the Zen 4, quiet, against the
 * fixed order: H = 256 and 1024, B = 1 and 2, 1.03-1.05x; B = 4 1.01-1.02x; B = 8-64 0.98-1.0x;
 * with neighbours busy in the L3, H = 1024, B = 1 1.2x. H = 64 gains nothing: its 32 KB tiles
 * fill the L1, and a tile is read k ascending either way. */
#define ALTERNATE_ROWS_MAX 4

int recur_schedule_alternates(const recur_schedule *s, const recur_net *net, int64_t B) {
  if (net->kernels == &recur_kernels_scalar || net->desc.num_layers > 1 || B > ALTERNATE_ROWS_MAX)
    return 0;
  int64_t k = net->desc.input_size + net->out;
  int64_t bytes = net->gates * net->hidden * k * (int64_t)net->kernels->format->bytes;
  return bytes / s->hidden_parts[0] > l2_bytes();
}

/* [n * rank / size, n * (rank + 1) / size): contiguous, as even as possible. */
static void part(int64_t n, int rank, int size, int64_t *lo, int64_t *hi) {
  *lo = n * rank / size;
  *hi = n * (rank + 1) / size;
}

recur_share recur_schedule_share(const recur_schedule *s, const recur_net *net, int64_t B, int tid) {
  recur_share sh = {0};
  sh.group = s->call.groups == 2 && tid >= s->group_threads[0];
  int rank = tid - (sh.group ? s->group_threads[0] : 0), hp = s->hidden_parts[sh.group];
  int bpart = rank / hp, hrank = rank % hp;
  sh.barrier = (sh.group ? s->batch_parts[0] : 0) + bpart;
  sh.hparts = hp, sh.barrier_rank = hrank;
  part(B, bpart, s->batch_parts[sh.group], &sh.b0, &sh.b1);
  part(net->tiling.tiles, hrank, hp, &sh.j0, &sh.j1);
  part(net->tiling.tiles_proj, hrank, hp, &sh.p0, &sh.p1);
  return sh;
}
