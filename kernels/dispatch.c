/* Chooses the kernel table, exactly once and thread-safely: RECUR_ISA if set, else the best
 * table this build has and this CPU runs. recur_isa_force() overrides it for networks created
 * afterwards (a network keeps the table it was packed for). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "internal.h"
#include "kernels.h"

/* Best first. */
static const recur_kernels *const tables[] = {
#if defined(RECUR_HAVE_AVX512)
  &recur_kernels_avx512,
#endif
#if defined(RECUR_HAVE_AVX2)
  &recur_kernels_avx2,
#endif
#if defined(RECUR_HAVE_NEON)
  &recur_kernels_neon,
#endif
  &recur_kernels_ref,
};
#define N_TABLES (sizeof tables / sizeof *tables)

/* The bf16 tables, best first; each is named after its fp32 table's ISA: "<isa>_bf16...". */
static const recur_kernels *const bf16_tables[] = {
#if defined(RECUR_HAVE_AVX512_BF16)
  &recur_kernels_avx512_bf16,
#endif
#if defined(RECUR_HAVE_AVX512_BF16FMA)
  &recur_kernels_avx512_bf16fma,
#endif
#if defined(RECUR_HAVE_AVX2_BF16FMA)
  &recur_kernels_avx2_bf16fma,
#endif
#if defined(RECUR_HAVE_NEON_BF16)
  &recur_kernels_neon_bf16,
#endif
#if defined(RECUR_HAVE_NEON_BF16FMA)
  &recur_kernels_neon_bf16fma,
#endif
};
const char *const recur_isa_names[RECUR_N_ISAS] = {"scalar", "avx2", "avx512", "neon"};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned cpu_features;
static const recur_kernels *chosen;
static recur_status env_status; /* why RECUR_ISA could not be honoured */
static char env_error[256];
static _Atomic(const recur_kernels *) forced;
static char feature_names[128], isa_list[64], known_list[64];

static int runs_here(const recur_kernels *k) { return (k->features & ~cpu_features) == 0; }

/* The table called name: OK, INVALID_ARGUMENT (unknown) or ISA_UNAVAILABLE, with a message. */
static recur_status find(const char *name, const recur_kernels **out, char *msg, size_t n) {
  for (size_t i = 0; i < N_TABLES; i++)
    if (strcmp(tables[i]->name, name) == 0 && runs_here(tables[i])) {
      *out = tables[i];
      return RECUR_OK;
    }
  if (recur_tool_isa_known(name)) {
    snprintf(msg, n, "ISA '%s' is not available: this CPU has %s; usable here: %s", name,
             feature_names, isa_list);
    return RECUR_ERR_ISA_UNAVAILABLE;
  }
  snprintf(msg, n, "unknown ISA '%s'; known: %s", name, known_list);
  return RECUR_ERR_INVALID_ARGUMENT;
}

static void choose(void) {
  cpu_features = recur_cpu_detect();
  recur_cpu_feature_names(cpu_features, feature_names, sizeof feature_names);
  for (size_t i = 0, used = 0; i < RECUR_N_ISAS; i++)
    used += (size_t)snprintf(known_list + used, sizeof known_list - used, "%s%s", i ? ", " : "",
                             recur_isa_names[i]);
  size_t used = 0;
  for (size_t i = 0; i < N_TABLES; i++)
    if (runs_here(tables[i])) {
      if (!chosen) chosen = tables[i];
      used += (size_t)snprintf(isa_list + used, sizeof isa_list - used, "%s%s", used ? " " : "",
                               tables[i]->name);
    }
  const char *env = getenv("RECUR_ISA");
  if (env && *env) {
    const recur_kernels *k = NULL;
    env_status = find(env, &k, env_error, sizeof env_error);
    chosen = env_status ? NULL : k;
  }
  const char *verbose = getenv("RECUR_VERBOSE");
  if (verbose && strcmp(verbose, "0") != 0) {
    if (chosen)
      fprintf(stderr, "recur: cpu has %s; kernels: %s%s\n", feature_names, chosen->name,
              env && *env ? " (RECUR_ISA)" : "");
    else fprintf(stderr, "recur: RECUR_ISA: %s\n", env_error);
  }
}

const recur_kernels *recur_kernels_active(void) {
  pthread_once(&once, choose);
  const recur_kernels *k = atomic_load(&forced);
  if (k) return k;
  if (!chosen) recur_fail(env_status, "RECUR_ISA: %s", env_error);
  return chosen;
}

const recur_kernels *recur_kernels_for(const recur_kernels *k, recur_precision precision) {
  if (k == &recur_kernels_ref) return k;
  if (k->format == &recur_format_bf16) return precision == RECUR_PRECISION_BF16 ? k : NULL;
  return precision == RECUR_PRECISION_FP32 ? k : recur_kernels_bf16_for(k);
}

recur_status recur_kernels_find(const char *name, const recur_kernels **out) {
  pthread_once(&once, choose);
  if (!name) {
    *out = recur_kernels_active();
    return *out ? RECUR_OK : env_status;
  }
  char msg[256];
  recur_status st = find(name, out, msg, sizeof msg);
  return st ? recur_fail(st, "%s", msg) : RECUR_OK;
}

recur_status recur_isa_force(const char *name) {
  if (!name) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_isa_force: name is NULL");
  const recur_kernels *k = NULL;
  recur_status st = recur_kernels_find(name, &k);
  if (!st) atomic_store(&forced, k);
  return st;
}

const recur_kernels *recur_kernels_bf16_for(const recur_kernels *fp32_table) {
  pthread_once(&once, choose);
  for (size_t i = 0; i < sizeof bf16_tables / sizeof *bf16_tables; i++) {
    const recur_kernels *k = bf16_tables[i];
    if (strcmp(k->isa, fp32_table->isa) == 0 && runs_here(k)) return k;
  }
  return NULL;
}

const char *recur_isa_name(void) {
  const recur_kernels *k = recur_kernels_active();
  return k ? k->name : "none";
}

int recur_tool_isa_known(const char *name) {
  for (size_t i = 0; i < RECUR_N_ISAS; i++)
    if (strcmp(recur_isa_names[i], name) == 0) return 1;
  return 0;
}

const char *recur_isa_list(void) {
  pthread_once(&once, choose);
  return isa_list;
}

const char *recur_cpu_features(void) {
  pthread_once(&once, choose);
  return feature_names;
}
