/* The tune file in use: found and read once, at first use, thread-safely; never printed about
 * except under RECUR_VERBOSE. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"
#include "tunefile.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static recur_tune_file file;
static int loaded, have_path, exists;
static char path[4096], reason[512];
static _Atomic int ignored;

void recur_tune_ignore(void) { ignored = 1; }

int recur_tune_default_path(char *buf, size_t len) {
  const char *env = getenv("RECUR_TUNE_FILE"), *xdg = getenv("XDG_CONFIG_HOME"),
             *home = getenv("HOME");
  int n;
  if (env && *env) n = snprintf(buf, len, "%s", env);
  else if (xdg && xdg[0] == '/') n = snprintf(buf, len, "%s/recur/tune.conf", xdg);
  else if (home && home[0] == '/') n = snprintf(buf, len, "%s/.config/recur/tune.conf", home);
  else return 0;
  return n > 0 && (size_t)n < len;
}

static void load(void) {
  if (!(have_path = recur_tune_default_path(path, sizeof path))) {
    snprintf(reason, sizeof reason, "no location: neither RECUR_TUNE_FILE, XDG_CONFIG_HOME nor HOME is set");
    return;
  }
  recur_cpu_id id;
  recur_cpu_identify(&id);
  if (!recur_tune_read(path, &id, &file, &exists, reason, sizeof reason)) {
    recur_tune_sort(&file);
    loaded = 1;
  }
  const char *verbose = getenv("RECUR_VERBOSE");
  if (verbose && strcmp(verbose, "0") != 0) {
    if (loaded) fprintf(stderr, "recur: tune file %s: %zu entries\n", path, file.n);
    else fprintf(stderr, "recur: tune file %s: %s; defaults apply\n", path, reason);
  }
}

const recur_tune_file *recur_tune_active(void) {
  if (ignored) return NULL;
  pthread_once(&once, load);
  return loaded ? &file : NULL;
}

recur_status recur_tune_status(recur_tune_info *out) {
  if (!out) return recur_fail(RECUR_ERR_NULL_POINTER, "recur_tune_status: out is NULL");
  pthread_once(&once, load);
  const recur_kernels *k = recur_kernels_active();
  int64_t applicable = 0;
  for (size_t i = 0; loaded && k && i < file.n; i++)
    applicable += strcmp(file.entries[i].key.isa, k->isa) == 0;
  *out = (recur_tune_info){.path = have_path ? path : NULL, .exists = exists, .loaded = loaded,
                           .reason = loaded ? NULL : reason,
                           .entries = loaded ? (int64_t)file.n : 0, .applicable = applicable};
  return RECUR_OK;
}
