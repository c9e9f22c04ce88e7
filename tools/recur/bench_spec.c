/* `recur bench`'s cells, shapes and cases: parsing, formatting and FLOP counts. */
#include "bench_spec.h"

#include <stdio.h>
#include <string.h>

/* Longest piece of an argument quoted back in a message. */
#define QUOTE_MAX 64

static const struct recur_bench_cell_info cell_infos[RECUR_BENCH_N_CELLS] = {
    [RECUR_BENCH_RNN] = {"rnn", RECUR_CELL_RNN_TANH, 1, 1},
    [RECUR_BENCH_LSTM] = {"lstm", RECUR_CELL_LSTM, 4, 1},
    [RECUR_BENCH_GRU] = {"gru", RECUR_CELL_GRU, 3, 1},
    [RECUR_BENCH_BILSTM] = {"bilstm", RECUR_CELL_LSTM, 4, 2},
};

/* DeepBench's inference shapes (T, B, I = H). */
static const struct recur_bench_shape deepbench_shapes[] = {
    {50, 1, 512, 512, 0},   {50, 4, 512, 512, 0},  {50, 16, 512, 512, 0},
    {25, 64, 1024, 1024, 0}, {100, 32, 512, 512, 0}, {150, 1, 256, 256, 0},
    {25, 1, 1536, 1536, 0},
};
static const struct recur_bench_shape bilstm_shape = {50, 16, 512, 512, 0};

const struct recur_bench_cell_info *recur_bench_cell_info(enum recur_bench_cell cell) {
  return &cell_infos[cell];
}

int recur_bench_parse_cells(const char *s, unsigned *mask, char *err, size_t errlen) {
  unsigned m = 0;
  for (;;) {
    size_t len = strcspn(s, ",");
    int found = -1;
    for (int c = 0; c < RECUR_BENCH_N_CELLS; c++) {
      if (strlen(cell_infos[c].name) == len && strncmp(s, cell_infos[c].name, len) == 0) found = c;
    }
    if (found < 0) {
      snprintf(err, errlen, "unknown cell '%.*s' (expected rnn, lstm, gru or bilstm)",
               (int)(len < QUOTE_MAX ? len : QUOTE_MAX), s);
      return 0;
    }
    if (m & (1u << found)) {
      snprintf(err, errlen, "cell '%s' given twice", cell_infos[found].name);
      return 0;
    }
    m |= 1u << found;
    if (s[len] == '\0') break;
    s += len + 1;
  }
  *mask = m;
  return 1;
}

/* Digits only, value in 1..RECUR_BENCH_MAX_DIM; *end is past the digits. */
static int parse_size(const char *s, const char **end, int64_t *out) {
  int64_t v = 0;
  const char *p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    v = v * 10 + (*p - '0');
    if (v > RECUR_BENCH_MAX_DIM) return 0;
  }
  *end = p;
  if (p == s || v < 1) return 0;
  *out = v;
  return 1;
}

/* One "T,B,I[,H[,P]]" of len characters. */
static int parse_shape(const char *s, size_t len, struct recur_bench_shape *out) {
  int64_t v[5] = {0};
  int n = 0;
  const char *p = s, *end = s + len;
  for (;;) {
    if (n == 5 || !parse_size(p, &p, &v[n])) return 0;
    n++;
    if (p == end) break;
    if (*p != ',') return 0;
    p++;
  }
  if (n < 3) return 0;
  *out = (struct recur_bench_shape){v[0], v[1], v[2], n > 3 ? v[3] : v[2], v[4]};
  return 1;
}

int recur_bench_parse_shapes(const char *s, struct recur_bench_shape *shapes, int *n_shapes,
                             char *err, size_t errlen) {
  int n = 0;
  for (;;) {
    size_t len = strcspn(s, ";");
    if (n == RECUR_BENCH_MAX_SHAPES) {
      snprintf(err, errlen, "more than %d shapes", RECUR_BENCH_MAX_SHAPES);
      return 0;
    }
    if (!parse_shape(s, len, &shapes[n])) {
      snprintf(err, errlen, "shape '%.*s' is not T,B,I[,H[,P]] with each size in 1..%d",
               (int)(len < QUOTE_MAX ? len : QUOTE_MAX), s, RECUR_BENCH_MAX_DIM);
      return 0;
    }
    if (shapes[n].P >= shapes[n].H) {
      snprintf(err, errlen, "shape '%.*s': the projection P must be smaller than H",
               (int)(len < QUOTE_MAX ? len : QUOTE_MAX), s);
      return 0;
    }
    n++;
    if (s[len] == '\0') break;
    s += len + 1;
  }
  *n_shapes = n;
  return 1;
}

/* Appends a string to buf at *used; 0 if it does not fit. */
static int append(char *buf, size_t len, size_t *used, const char *s) {
  size_t n = strlen(s);
  if (n >= len - *used) return 0;
  memcpy(buf + *used, s, n + 1);
  *used += n;
  return 1;
}

int recur_bench_format_cells(unsigned mask, char *buf, size_t len) {
  size_t used = 0;
  if (len == 0) return 0;
  buf[0] = '\0';
  for (int c = 0; c < RECUR_BENCH_N_CELLS; c++) {
    if (!(mask & (1u << c))) continue;
    if ((used && !append(buf, len, &used, ",")) || !append(buf, len, &used, cell_infos[c].name))
      return 0;
  }
  return 1;
}

int recur_bench_format_shapes(const struct recur_bench_shape *shapes, int n_shapes, char *buf,
                              size_t len) {
  size_t used = 0;
  if (len == 0) return 0;
  buf[0] = '\0';
  for (int i = 0; i < n_shapes; i++) {
    const struct recur_bench_shape *s = &shapes[i];
    char one[128];
    int n = snprintf(one, sizeof one, "%s%lld,%lld,%lld,%lld", i ? ";" : "", (long long)s->T,
                     (long long)s->B, (long long)s->I, (long long)s->H);
    if (s->P) snprintf(one + n, sizeof one - (size_t)n, ",%lld", (long long)s->P);
    if (!append(buf, len, &used, one)) return 0;
  }
  return 1;
}

void recur_bench_format_threads(const int *threads, int n_threads,
                                char buf[RECUR_BENCH_THREADS_TEXT_LEN]) {
  size_t used = 0;
  buf[0] = '\0';
  for (int k = 0; k < n_threads && k < RECUR_BENCH_MAX_THREAD_COUNTS; k++)
    used += (size_t)snprintf(buf + used, RECUR_BENCH_THREADS_TEXT_LEN - used, "%s%d", k ? "," : "",
                             threads[k]);
}

int recur_bench_check(unsigned mask, const struct recur_bench_shape *shapes, int n_shapes,
                      char *err, size_t errlen) {
  unsigned lstm_cells = (1u << RECUR_BENCH_LSTM) | (1u << RECUR_BENCH_BILSTM);
  if (mask != 0 && (mask & ~lstm_cells) == 0) return 1;
  for (int i = 0; i < n_shapes; i++) {
    if (shapes[i].P) {
      snprintf(err, errlen, "a shape with a projection P needs --cells lstm, bilstm or both");
      return 0;
    }
  }
  return 1;
}

int recur_bench_cases(unsigned mask, const struct recur_bench_shape *shapes, int n_shapes,
                      struct recur_bench_case *out) {
  if (mask == 0) mask = (1u << RECUR_BENCH_N_CELLS) - 1;
  int n = 0;
  for (int c = 0; c < RECUR_BENCH_N_CELLS; c++) {
    if (!(mask & (1u << c))) continue;
    const struct recur_bench_shape *list = shapes;
    int count = n_shapes;
    if (n_shapes == 0 && c == RECUR_BENCH_BILSTM) {
      list = &bilstm_shape;
      count = 1;
    } else if (n_shapes == 0) {
      list = deepbench_shapes;
      count = (int)(sizeof deepbench_shapes / sizeof deepbench_shapes[0]);
    }
    for (int i = 0; i < count; i++) out[n++] = (struct recur_bench_case){c, list[i]};
  }
  return n;
}

double recur_bench_flops(const struct recur_bench_case *c) {
  const struct recur_bench_cell_info *info = &cell_infos[c->cell];
  const struct recur_bench_shape *s = &c->shape;
  double H = (double)s->H, P = s->P ? (double)s->P : H;
  double per_step = info->gates * H * ((double)s->I + P) + (s->P ? P * H : 0);
  return 2.0 * (double)s->T * (double)s->B * per_step * info->directions;
}
