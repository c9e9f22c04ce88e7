#include "tables.h"

#include <stdio.h>
#include <string.h>

#include "recur.h"

static const recur_kernels *const built[] = {
#if defined(__x86_64__)
  &recur_kernels_avx512, &recur_kernels_avx2, &recur_kernels_avx512_bf16,
  &recur_kernels_avx512_bf16fma, &recur_kernels_avx2_bf16fma,
#elif defined(__aarch64__)
  &recur_kernels_neon, &recur_kernels_neon_bf16, &recur_kernels_neon_bf16fma,
#endif
};

size_t fast_tables(const recur_kernels *out[FAST_TABLES_MAX]) {
  char list[128], name[32];
  snprintf(list, sizeof list, " %s ", recur_isa_list());
  size_t n = 0;
  for (size_t i = 0; i < sizeof built / sizeof *built && n < FAST_TABLES_MAX; i++) {
    snprintf(name, sizeof name, " %s ", built[i]->name);
    if (strstr(list, name)) out[n++] = built[i];
  }
  return n;
}

const recur_kernels *built_table(const char *name) {
  for (size_t i = 0; i < sizeof built / sizeof *built; i++)
    if (strcmp(built[i]->name, name) == 0) return built[i];
  return NULL;
}
