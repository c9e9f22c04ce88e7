/* Chooses the kernel table, exactly once and thread-safely: RECUR_ISA if set, else the best
 * table this build has and this CPU runs. recur_isa_force() overrides it for networks created
 * afterwards (a network keeps the table it was packed for). The tables are tables.h's list. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "internal.h"
#include "kernels.h"

/* Those this build has, best first, and the precision each is listed for. */
#define RECUR_TABLE_BUILT(name, isa, precision) {&recur_kernels_##name, RECUR_PRECISION_##precision},
static const struct {
  const recur_kernels *k;
  recur_precision precision;
} tables[] = {RECUR_TABLES_BUILT(RECUR_TABLE_BUILT)};
#define N_TABLES (sizeof tables / sizeof *tables)

/* Every table's ISA, built here or not, with repeats: recur_isa_named's names. */
#define RECUR_TABLE_ISA(name, isa, precision) #isa,
static const char *const all_isas[] = {RECUR_TABLES_ALL(RECUR_TABLE_ISA)};
#define N_ALL_ISAS (sizeof all_isas / sizeof *all_isas)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned cpu_features;
static const recur_kernels *chosen;
static recur_status env_status; /* why RECUR_ISA could not be honoured */
static char env_error[256];
static _Atomic(const recur_kernels *) forced;
static char feature_names[128], isa_list[64], known_list[64];

static int runs_here(const recur_kernels *k) { return (k->features & ~cpu_features) == 0; }

/* What RECUR_ISA and recur_isa_force name: an ISA's fp32 table, called by the ISA's name. */
static int isa_table(size_t i) {
  return tables[i].precision == RECUR_PRECISION_FP32 && strcmp(tables[i].k->name, tables[i].k->isa) == 0;
}

/* The table called name: OK, INVALID_ARGUMENT (unknown) or ISA_UNAVAILABLE, with a message. */
static recur_status find(const char *name, const recur_kernels **out, char *msg, size_t n) {
  for (size_t i = 0; i < N_TABLES; i++)
    if (isa_table(i) && strcmp(tables[i].k->name, name) == 0 && runs_here(tables[i].k)) {
      *out = tables[i].k;
      return RECUR_OK;
    }
  if (recur_isa_named(name, strlen(name))) {
    snprintf(msg, n, "ISA '%s' is not available: this CPU has %s; usable here: %s", name,
             feature_names, isa_list);
    return RECUR_ERR_ISA_UNAVAILABLE;
  }
  snprintf(msg, n, "unknown ISA '%s'; known: %s", name, known_list);
  return RECUR_ERR_INVALID_ARGUMENT;
}

/* known_list: each ISA once, in the list's order. */
static void list_known(void) {
  for (size_t i = 0, used = 0; i < N_ALL_ISAS; i++) {
    size_t first = 0;
    while (strcmp(all_isas[first], all_isas[i]) != 0) first++;
    if (first == i)
      used += (size_t)snprintf(known_list + used, sizeof known_list - used, "%s%s",
                               used ? ", " : "", all_isas[i]);
  }
}

static void choose(void) {
  cpu_features = recur_cpu_detect();
  recur_cpu_feature_names(cpu_features, feature_names, sizeof feature_names);
  list_known();
  size_t used = 0;
  for (size_t i = 0; i < N_TABLES; i++)
    if (isa_table(i) && runs_here(tables[i].k)) {
      if (!chosen) chosen = tables[i].k;
      used += (size_t)snprintf(isa_list + used, sizeof isa_list - used, "%s%s", used ? " " : "",
                               tables[i].k->name);
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
  if (k == &recur_kernels_scalar || k->format->id == precision) return k;
  if (k->format->id != RECUR_PRECISION_FP32) return NULL; /* a test's table: its own precision */
  pthread_once(&once, choose);
  for (size_t i = 0; i < N_TABLES; i++)
    if (tables[i].precision == precision && strcmp(tables[i].k->isa, k->isa) == 0 &&
        runs_here(tables[i].k))
      return tables[i].k;
  return NULL;
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

const char *recur_isa_name(void) {
  const recur_kernels *k = recur_kernels_active();
  return k ? k->name : "none";
}

int recur_isa_named(const char *s, size_t len) {
  for (size_t i = 0; i < N_ALL_ISAS; i++)
    if (strlen(all_isas[i]) == len && memcmp(all_isas[i], s, len) == 0) return 1;
  return 0;
}

int recur_tool_isa_known(const char *name) { return recur_isa_named(name, strlen(name)); }

const char *recur_tool_isa_names(void) {
  pthread_once(&once, choose);
  return known_list;
}

const char *recur_isa_list(void) {
  pthread_once(&once, choose);
  return isa_list;
}

const char *recur_cpu_features(void) {
  pthread_once(&once, choose);
  return feature_names;
}
