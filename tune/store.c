/* Writing tune entries: read-merge-write under a lock file, then an atomic replace, so that a
 * killed tuner leaves the old file and two tuners at once both keep their entries. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "tune.h"

/* mkdir -p of path's folder (the default location's ~/.config/recur may not exist yet). */
static recur_status make_parent(const char *path) {
  char dir[4096];
  if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
    return recur_fail(RECUR_ERR_IO, "%s: path too long", path);
  for (char *p = dir + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
      return recur_fail(RECUR_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
    *p = '/';
  }
  return RECUR_OK;
}

/* The existing file's entries if it is ours (this CPU, this version), else a fresh file (why
 * says why one that exists is replaced). */
static recur_status load_existing(const char *path, const recur_cpu_id *id, recur_tune_file *f,
                                  char *why, size_t why_len) {
  int exists;
  recur_status st = recur_tune_read(path, id, f, &exists, why, why_len);
  if (st == RECUR_OK || !exists) why[0] = 0;
  if (st == RECUR_OK) return RECUR_OK;
  if (exists && st != RECUR_ERR_BAD_FILE) return st; /* unreadable: not ours to replace */
  recur_tune_init(f, id);
  return RECUR_OK;
}

/* path's folder, made if need be, and its lock file, open: -1 with the reason recorded. */
static int open_lock(const char *path) {
  char lock_path[4200];
  if (make_parent(path)) return -1;
  snprintf(lock_path, sizeof lock_path, "%s.lock", path);
  int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) recur_fail(RECUR_ERR_IO, "cannot open %s: %s", lock_path, strerror(errno));
  return lock;
}

recur_status recur_tune_check_writable(const char *path) {
  int lock = open_lock(path);
  if (lock < 0) return RECUR_ERR_IO;
  close(lock);
  return access(path, F_OK) == 0 && access(path, W_OK) != 0
             ? recur_fail(RECUR_ERR_IO, "cannot write %s: %s", path, strerror(errno)) : RECUR_OK;
}

recur_status recur_tune_store(const char *path, const recur_tune_outcome *outcomes, int n,
                              char *replaced_why, size_t why_len) {
  int lock = open_lock(path);
  if (lock < 0) return RECUR_ERR_IO;
  recur_status st;
  while (flock(lock, LOCK_EX) != 0 && errno == EINTR) {}
  recur_cpu_id id;
  recur_cpu_identify(&id);
  recur_tune_file f;
  st = load_existing(path, &id, &f, replaced_why, why_len);
  for (int i = 0; i < n && !st; i++)
    if (outcomes[i].measured) st = recur_tune_put(&f, &outcomes[i].entry);
  size_t len = 0;
  char *text = st ? NULL : recur_tune_format(&f, &len);
  if (!st && !text) st = recur_fail(RECUR_ERR_OUT_OF_MEMORY, "no memory for the tune file");
  if (!st) st = recur_write_file_atomic(path, text, len, NULL, 0);
  free(text);
  recur_tune_file_free(&f);
  close(lock); /* releases the lock */
  return st;
}
