#include "tables.h"

#include <stdio.h>
#include <string.h>

#include "cpu.h"
#include "pack.h"
#include "recur.h"

#define BUILT_TABLE(name, isa, precision) &recur_kernels_##name,
static const recur_kernels *const built[] = {RECUR_TABLES_BUILT(BUILT_TABLE)};
#define N_BUILT (sizeof built / sizeof *built)

size_t fast_tables(const recur_kernels *out[FAST_TABLES_MAX]) {
  char list[128], name[32];
  snprintf(list, sizeof list, " %s ", recur_isa_list());
  size_t n = 0;
  for (size_t i = 0; i < N_BUILT && n < FAST_TABLES_MAX; i++) {
    snprintf(name, sizeof name, " %s ", built[i]->name);
    if (built[i] != &recur_kernels_scalar && strstr(list, name)) out[n++] = built[i];
  }
  return n;
}

size_t precision_tables(recur_precision p, const recur_kernels *out[FAST_TABLES_MAX]) {
  unsigned cpu = recur_cpu_detect();
  size_t n = 0;
  for (size_t i = 0; i < N_BUILT && n < FAST_TABLES_MAX; i++)
    if (built[i] != &recur_kernels_scalar && built[i]->format->id == p &&
        (built[i]->features & ~cpu) == 0)
      out[n++] = built[i];
  return n;
}

const recur_kernels *built_table(const char *name) {
  for (size_t i = 0; i < N_BUILT; i++)
    if (built[i] != &recur_kernels_scalar && strcmp(built[i]->name, name) == 0) return built[i];
  return NULL;
}

static int noted[N_BUILT];

void tables_note(const recur_kernels *k) {
  for (size_t i = 0; i < N_BUILT; i++) noted[i] |= built[i] == k;
}

static void print_names(int only_noted) {
  for (size_t i = 0, first = 1; i < N_BUILT; i++)
    if (!only_noted || noted[i]) {
      fprintf(stderr, "%s%s", first ? "" : " ", built[i]->name);
      first = 0;
    }
}

void tables_print(void) {
  size_t any = 0;
  for (size_t i = 0; i < N_BUILT; i++) any |= (size_t)noted[i];
  if (!any) return;
  fprintf(stderr, "tables: ");
  print_names(1);
  fprintf(stderr, " (built: ");
  print_names(0);
  fprintf(stderr, ")\n");
}
