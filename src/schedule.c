/* The thread schedule: which thread does what, fixed for the whole call, so that every thread
 * keeps working on the same rows or the same slice of W_hh at every step.
 *
 * A tune entry for the call (`recur tune` measured it on this CPU) overrides any of these
 * choices. Without one, the heuristic:
 *  - a bidirectional layer gives each direction its own group of threads (half the team each;
 *    the first group gets the odd one), so the directions run side by side;
 *  - within a group of m threads, split the hidden tiles: each thread owns a contiguous range
 *    of tiles, so it streams only its slice of W_ih and W_hh every step (and keeps it in its own
 *    L2 when the slice fits), at the price of one barrier per step (two with an LSTM
 *    projection, which reduces over all of H and is split by its own tiles after the first);
 *  - split the batch instead (rows are independent: no barrier at all) when there are too few
 *    tiles to share, or when W_hh is small enough to stay in every core's L2 and each thread
 *    gets BATCH_ROWS_MIN rows or more: then a step is short and barriers would dominate. A
 *    batch split makes every thread stream all of W_hh each step. Measured here, 2 threads,
 *    GFLOP/s hidden vs batch split: LSTM (50,16,512) 389 vs 367, (100,32,512) 393 vs 360,
 *    (25,64,1024) 389-420 vs 365-371; GRU (100,32,512) 385-405 vs 371-408 (one thread: 200);
 *  - barriers: recur_barrier (barrier.h) costs 187 ns between 2 threads here, an omp barrier
 *    415 ns;
 *  - never more threads than there are tiles (or rows) to share.
 * Which thread computes an output never changes its arithmetic, so the result is the same
 * bits for any thread count. */
#include "schedule.h"

#include "kernels.h"

#define BATCH_ROWS_MIN 8
#define BATCH_W_HH_MAX (256 << 10) /* bytes of W_hh that surely stay in L2 beside the rest */

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

const recur_tune_entry *recur_schedule_entry(const recur_net *net, int64_t B, int threads) {
  if (!net->tune.n) return NULL; /* no tune file, no entry of its shape, or the scalar table */
  recur_tune_key key = net->tune_key;
  key.threads = threads, key.B = B;
  return recur_tune_find_call(&net->tune, &key);
}

recur_schedule recur_schedule_choose(const recur_net *net, int64_t B, int threads,
                                     const recur_tune_params *tuned) {
  static const recur_tune_params none;
  const recur_tune_params *tp = tuned ? tuned : &none;
  recur_schedule s = {.threads = threads < 1 ? 1 : threads, .groups = 1, .mr = tp->mr ? tp->mr : net->tiling.mr,
                      .chunk_rows = tp->chunk_rows ? tp->chunk_rows : net->tiling.chunk_rows,
                      .mc = tp->mc};
  if (tp->use_threads && tp->use_threads < s.threads) s.threads = tp->use_threads;
  if (net->dirs == 2 && s.threads >= 2 && tp->groups != 1) s.groups = 2;
  int per_group = (s.threads + s.groups - 1) / s.groups;
  int64_t tiles = net->kernels == &recur_kernels_ref ? 1 : net->tiling.tiles;
  int64_t w_hh_bytes = net->gates * net->hidden * net->out * (int64_t)sizeof(float);
  int few_tiles = tiles < 2 * (int64_t)per_group;
  int small_steps = w_hh_bytes <= BATCH_W_HH_MAX && B >= (int64_t)BATCH_ROWS_MIN * per_group;
  s.split = few_tiles || small_steps ? RECUR_SPLIT_BATCH : RECUR_SPLIT_HIDDEN;
  if (tp->split && tiles > 1) s.split = (recur_split)tp->split;
  int64_t units = s.split == RECUR_SPLIT_BATCH ? B : tiles;
  int cap = (int)min64(units, per_group);
  s.group_threads[0] = (int)min64(cap, s.groups == 2 ? s.threads - s.threads / 2 : s.threads);
  s.group_threads[1] = s.groups == 2 ? (int)min64(cap, s.threads / 2) : 0;
  s.threads = s.group_threads[0] + s.group_threads[1];
  return s;
}

/* [n * rank / size, n * (rank + 1) / size): contiguous, as even as possible. */
static void part(int64_t n, int rank, int size, int64_t *lo, int64_t *hi) {
  *lo = n * rank / size;
  *hi = n * (rank + 1) / size;
}

recur_share recur_schedule_share(const recur_schedule *s, const recur_net *net, int64_t B, int tid) {
  recur_share sh = {0};
  sh.group = s->groups == 2 && tid >= s->group_threads[0];
  sh.rank = tid - (sh.group ? s->group_threads[0] : 0);
  sh.size = s->group_threads[sh.group];
  int64_t tiles = net->tiling.tiles, ptiles = net->tiling.tiles_proj;
  sh.b0 = 0, sh.b1 = B, sh.j0 = 0, sh.j1 = tiles, sh.p0 = 0, sh.p1 = ptiles;
  if (s->split == RECUR_SPLIT_BATCH) part(B, sh.rank, sh.size, &sh.b0, &sh.b1);
  else {
    part(tiles, sh.rank, sh.size, &sh.j0, &sh.j1);
    part(ptiles, sh.rank, sh.size, &sh.p0, &sh.p1);
  }
  return sh;
}
