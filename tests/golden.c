#include "golden.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void golden_path(char *buf, size_t n, const char *name, const char *suffix) {
  const char *dir = getenv("RECUR_TEST_DATA");
  snprintf(buf, n, "%s/golden/%s%s", dir ? dir : "tests/data", name, suffix);
}

recur_array *golden_load(const char *name, const char *suffix) {
  char path[512];
  golden_path(path, sizeof path, name, suffix);
  recur_array *a = NULL;
  if (access(path, F_OK) != 0 || recur_npy_load(path, &a) != RECUR_OK) return NULL;
  return a;
}

static void parse_field(golden_case *c, const char *key, const char *val) {
  struct { const char *key; int *i; long *l; } fields[] = {
    {"layers", &c->layers, NULL}, {"bidir", &c->bidir, NULL}, {"batch_first", &c->batch_first, NULL},
    {"unbatched", &c->unbatched, NULL}, {"h0", &c->h0, NULL}, {"c0", &c->c0, NULL},
    {"lengths", &c->lengths, NULL}, {"T", NULL, &c->T}, {"B", NULL, &c->B}, {"I", NULL, &c->I},
    {"H", NULL, &c->H}, {"P", NULL, &c->P},
  };
  if (strcmp(key, "cell") == 0) snprintf(c->cell, sizeof c->cell, "%s", val);
  if (strcmp(key, "prefix") == 0) snprintf(c->prefix, sizeof c->prefix, "%s", val);
  if (strcmp(key, "nonfinite") == 0) snprintf(c->nonfinite, sizeof c->nonfinite, "%s", val);
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    if (strcmp(key, fields[i].key) == 0) {
      if (fields[i].i) *fields[i].i = atoi(val);
      else *fields[i].l = atol(val);
    }
}

int golden_read_manifest(golden_case *cases, int max) {
  char path[512], line[1024];
  golden_path(path, sizeof path, "manifest", ".txt");
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int n = 0;
  while (n < max && fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    golden_case *c = &cases[n++];
    memset(c, 0, sizeof *c);
    char *save = NULL, *tok = strtok_r(line, " \t\n", &save);
    snprintf(c->name, sizeof c->name, "%s", tok);
    while ((tok = strtok_r(NULL, " \t\n", &save))) {
      char *eq = strchr(tok, '=');
      if (!eq) continue;
      *eq = 0;
      parse_field(c, tok, eq + 1);
    }
  }
  fclose(f);
  return n;
}

size_t golden_mismatches(const float *got, const float *want, size_t n, size_t *worst_index) {
  return golden_mismatches_within(got, want, n, GOLDEN_FP32_TOL, worst_index);
}

void golden_measure(const float *got, const float *want, size_t n, golden_error *e) {
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(want[i]) || !isfinite(got[i])) continue;
    double err = fabs((double)got[i] - want[i]), mag = fabs(want[i]);
    if (err > e->abs) e->abs = err;
    if (mag >= GOLDEN_REL_FROM && err / mag > e->rel) e->rel = err / mag;
  }
}

golden_tol golden_tol_of(recur_precision p) {
  return p == RECUR_PRECISION_BF16 ? GOLDEN_BF16_TOL
         : p == RECUR_PRECISION_INT8 ? GOLDEN_INT8_TOL
                                     : GOLDEN_FP32_TOL;
}

size_t golden_mismatches_within(const float *got, const float *want, size_t n, golden_tol tol,
                                size_t *worst_index) {
  size_t bad = 0;
  double worst = -1;
  for (size_t i = 0; i < n; i++) {
    double excess; /* how far outside the tolerance; INFINITY: the wrong kind of value */
    if (isnan(want[i])) excess = isnan(got[i]) ? 0 : INFINITY;
    else if (isinf(want[i])) excess = got[i] == want[i] ? 0 : INFINITY;
    else if (!isfinite(got[i])) excess = INFINITY;
    else excess = fabs((double)got[i] - want[i]) - (tol.abs + tol.rel * fabs(want[i]));
    if (excess > 0) bad++;
    if (excess > worst) {
      worst = excess;
      *worst_index = i;
    }
  }
  return bad;
}
