/* Files rewritten in place while recur reads them (a deploy copying a new model over the old
 * one): each read gives the whole file or a clean RECUR_ERR_BAD_FILE, never a crash. recur
 * used to map files, and reading a mapping whose file another writer has just truncated faults
 * with SIGBUS. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "recur.h"

#define SECONDS 1.0
#define MIN_READS 200

typedef struct rewriter {
  const char *path;
  char *bytes;
  size_t len;
  atomic_int stop;
} rewriter;

/* Truncates the file and writes it again, in two halves, over and over. */
static void *rewrite(void *arg) {
  rewriter *w = arg;
  while (!atomic_load(&w->stop)) {
    int fd = open(w->path, O_WRONLY | O_TRUNC);
    if (fd < 0)
      break;
    size_t half = w->len / 2;
    int ok = write(fd, w->bytes, half) == (ssize_t)half &&
             write(fd, w->bytes + half, w->len - half) == (ssize_t)(w->len - half);
    close(fd);
    if (!ok)
      break;
    usleep(50);
  }
  return NULL;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Copies golden file name to the temporary folder and keeps rewriting it there while load
 * reads it; every load must return OK or BAD_FILE. */
static void expect_clean_reads(const char *name, recur_status (*load)(const char *path)) {
  char golden[CLI_PATH_LEN], path[CLI_PATH_LEN];
  golden_path(golden, sizeof golden, name, "");
  cli_tmp_path(path, name);
  rewriter w = {.path = path};
  w.bytes = cli_read_file(golden, &w.len);
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(w.bytes, 1, w.len, f), w.len);
  fclose(f);
  pthread_t thread;
  cr_assert_eq(pthread_create(&thread, NULL, rewrite, &w), 0);
  int reads = 0, whole = 0;
  for (double end = now() + SECONDS; reads < MIN_READS || now() < end; reads++) {
    recur_status st = load(path);
    cr_assert(st == RECUR_OK || st == RECUR_ERR_BAD_FILE, "read %d of %s: status %d: %s", reads,
              name, st, recur_last_error());
    whole += st == RECUR_OK;
  }
  atomic_store(&w.stop, 1);
  cr_assert_eq(pthread_join(thread, NULL), 0);
  cr_log_info("%s: %d reads, %d of the whole file", name, reads, whole);
  free(w.bytes);
}

static recur_status load_model(const char *path) {
  recur_net *net;
  recur_status st = recur_net_load(&net, path, NULL);
  recur_net_free(net);
  return st;
}

static recur_status load_array(const char *path) {
  recur_array *a;
  recur_status st = recur_npy_load(path, &a);
  recur_array_free(a);
  return st;
}

TestSuite(file_race, .init = cli_setup, .fini = cli_teardown);

Test(file_race, model_rewritten_while_it_loads) {
  expect_clean_reads("lstm_l3_bi.safetensors", load_model);
}

Test(file_race, array_rewritten_while_it_loads) {
  expect_clean_reads("rnn_tanh_long_len.x.npy", load_array);
}
