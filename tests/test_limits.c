/* Resource limits: a file declaring more than it holds is RECUR_ERR_BAD_FILE, and one that
 * really holds more than the memory limit (16 GiB unless the caller raises it) is
 * RECUR_ERR_LIMIT, refused before anything of that size is allocated (such an allocation
 * would fail, or abort under AddressSanitizer, instead). The terabyte files here are sparse: a
 * few bytes on disk. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_harness.h"
#include "recur.h"

#define TIB ((uint64_t)1 << 40)

/* Writes head, then makes the file size bytes long (a hole). */
static void write_sparse(const char *path, const void *head, size_t head_len, uint64_t size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert_geq(fd, 0, "cannot create %s", path);
  cr_assert_eq(write(fd, head, head_len), (ssize_t)head_len);
  cr_assert_eq(ftruncate(fd, (off_t)size), 0, "cannot make %s %llu bytes long", path,
               (unsigned long long)size);
  close(fd);
}

/* Puts a safetensors file's 8-byte header length and header into buf; returns their size. */
static size_t safetensors_head(uint8_t *buf, size_t cap, const char *header) {
  size_t n = strlen(header);
  cr_assert_leq(8 + n, cap);
  for (int i = 0; i < 8; i++)
    buf[i] = (uint8_t)((uint64_t)n >> (8 * i));
  memcpy(buf + 8, header, n);
  return 8 + n;
}

#define NPY_HEAD 128

/* A .npy (version 1.0) preamble for float32 of a shape ("(2, 3)"), NPY_HEAD bytes. */
static void npy_head(char *head, const char *shape) {
  char dict[NPY_HEAD];
  int n = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                   shape);
  cr_assert(n > 0 && n < NPY_HEAD - 11);
  memset(head, ' ', NPY_HEAD);
  memcpy(head, "\x93NUMPY\x01\x00\x76\x00", 10); /* a 118-byte header */
  memcpy(head + 10, dict, (size_t)n);
  head[NPY_HEAD - 1] = '\n';
}

static void expect_status(recur_status got, recur_status want, const char *needle) {
  cr_expect_eq(got, want, "status %d, want %d: %s", got, want, recur_last_error());
  cr_expect(strstr(recur_last_error(), needle), "'%s' not in '%s'", needle, recur_last_error());
}

TestSuite(limits, .init = cli_setup, .fini = cli_teardown);

Test(limits, terabyte_tensor_in_a_small_file_is_a_bad_file) {
  static const char header[] = "{\"weight_ih_l0\": {\"dtype\": \"F32\", \"shape\": [1048576, "
                               "1048576], \"data_offsets\": [0, 4398046511104]}}";
  uint8_t file[256] = {0};
  size_t len = safetensors_head(file, sizeof file, header) + 64;
  recur_net *net = (recur_net *)&net;
  expect_status(recur_net_load_memory(&net, file, len, NULL), RECUR_ERR_BAD_FILE,
                "go past the end of the 64-byte data section");
  cr_expect_null(net);

  char path[CLI_PATH_LEN];
  cli_tmp_path(path, "tiny.safetensors");
  write_sparse(path, file, len, len);
  expect_status(recur_net_load(&net, path, NULL), RECUR_ERR_BAD_FILE, "go past the end");
  cr_expect_null(net);
}

/* A 2 TiB model whose header and sizes are all consistent: refused by the limit. */
Test(limits, terabyte_model_is_over_the_memory_limit) {
  static const char header[] =
      "{\"weight_ih_l0\": {\"dtype\": \"F32\", \"shape\": [524288, 524288], "
      "\"data_offsets\": [0, 1099511627776]}, \"weight_hh_l0\": {\"dtype\": \"F32\", \"shape\": "
      "[524288, 524288], \"data_offsets\": [1099511627776, 2199023255552]}}";
  uint8_t head[512];
  size_t len = safetensors_head(head, sizeof head, header);
  char path[CLI_PATH_LEN];
  cli_tmp_path(path, "huge.safetensors");
  write_sparse(path, head, len, len + 2 * TIB);
  recur_net *net = (recur_net *)&net;
  expect_status(recur_net_load(&net, path, NULL), RECUR_ERR_LIMIT,
                "over the memory limit of 17179869184");
  cr_expect(strstr(recur_last_error(), path), "the message names the file: %s",
            recur_last_error());
  cr_expect_null(net);
}

/* recur_model_read makes recur_net_load's checks before it reads a byte: the 2 TiB model is
 * over the limit, a file over a lowered limit too, a FIFO without a writer is refused at once
 * (not waited on), /dev/zero and a folder are not regular files (not read until memory runs
 * out); a model's bytes come back whole and load as the file does. */
Test(limits, model_read_checks_before_reading) {
  static const char header[] = "{\"weight_ih_l0\": {\"dtype\": \"F32\", \"shape\": [1048576, "
                               "1048576], \"data_offsets\": [0, 4398046511104]}}";
  uint8_t head[256];
  size_t len = safetensors_head(head, sizeof head, header);
  char huge[CLI_PATH_LEN], fifo[CLI_PATH_LEN], model[CLI_PATH_LEN];
  cli_tmp_path(huge, "huge.safetensors");
  write_sparse(huge, head, len, len + 4 * TIB);
  void *data = &data;
  size_t size = 1;
  expect_status(recur_model_read(huge, &data, &size), RECUR_ERR_LIMIT,
                "over the memory limit of 17179869184");
  cr_expect(data == NULL && size == 0);
  cli_tmp_path(fifo, "fifo");
  cr_assert_eq(mkfifo(fifo, 0600), 0);
  /* errno tells a system call's failure (the Python package raises OSError for it) from a path
   * that is no regular file (0). */
  expect_status(recur_model_read(fifo, &data, &size), RECUR_ERR_IO, "not a regular file");
  cr_expect_eq(errno, 0);
  expect_status(recur_model_read("/dev/zero", &data, &size), RECUR_ERR_IO, "not a regular file");
  cr_expect_eq(errno, 0);
  expect_status(recur_model_read("/", &data, &size), RECUR_ERR_IO, "Is a directory");
  cr_expect_eq(errno, EISDIR);
  expect_status(recur_model_read("/nonexistent/m.safetensors", &data, &size), RECUR_ERR_IO,
                "No such file");
  cr_expect_eq(errno, ENOENT);
  cr_expect(data == NULL && size == 0);

  golden_path(model, sizeof model, "lstm_l3_bi", ".safetensors");
  size_t file_size;
  char *want = cli_read_file(model, &file_size);
  recur_set_memory_limit(file_size - 1);
  expect_status(recur_model_read(model, &data, &size), RECUR_ERR_LIMIT, "memory limit");
  recur_set_memory_limit(0);
  cr_assert_eq(recur_model_read(model, &data, &size), RECUR_OK, "%s", recur_last_error());
  cr_expect(size == file_size && memcmp(data, want, size) == 0, "the bytes differ from the file");
  recur_net *from_file, *from_bytes;
  cr_assert_eq(recur_net_load(&from_file, model, NULL), RECUR_OK, "%s", recur_last_error());
  cr_assert_eq(recur_net_load_memory(&from_bytes, data, size, NULL), RECUR_OK, "%s",
               recur_last_error());
  recur_desc a, b;
  recur_net_describe(from_file, &a);
  recur_net_describe(from_bytes, &b);
  cr_expect(a.cell == b.cell && a.input_size == b.input_size && a.hidden_size == b.hidden_size &&
            a.num_layers == b.num_layers && a.bidirectional == b.bidirectional &&
            a.proj_size == b.proj_size && a.bias == b.bias && b.num_layers == 3,
            "the two loads describe different networks");
  recur_net_free(from_file);
  recur_net_free(from_bytes);
  recur_model_free(data);
  free(want);
}

/* A 4 TiB .npy input: refused by the library and by `recur run`. */
Test(limits, terabyte_array_is_over_the_memory_limit) {
  char head[NPY_HEAD];
  npy_head(head, "(1099511627776,)");
  char path[CLI_PATH_LEN];
  cli_tmp_path(path, "huge.npy");
  write_sparse(path, head, sizeof head, sizeof head + 4 * TIB);
  recur_array *a = (recur_array *)&a;
  expect_status(recur_npy_load(path, &a), RECUR_ERR_LIMIT, "over the memory limit");
  cr_expect_null(a);
  cr_expect(strstr(recur_last_error(), path), "the message names the file: %s",
            recur_last_error());

  char model[CLI_PATH_LEN];
  golden_path(model, sizeof model, "rnn_tanh_l1_uni", ".safetensors");
  cli_run("run", model, path, NULL);
  cli_expect_failure(1, path, "memory limit", NULL);
}

/* The limit covers a model's weights and an array, and the caller can raise it. */
Test(limits, the_limit_can_be_lowered_and_raised) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN];
  golden_path(model, sizeof model, "lstm_l3_bi", ".safetensors");
  golden_path(x, sizeof x, "lstm_l3_bi", ".x.npy");
  recur_net *net = NULL;
  recur_array *a = NULL;
  recur_set_memory_limit(4096);
  expect_status(recur_net_load(&net, model, NULL), RECUR_ERR_LIMIT, "memory limit of 4096");
  cr_expect_null(net);
  recur_set_memory_limit(64);
  expect_status(recur_npy_load(x, &a), RECUR_ERR_LIMIT, "memory limit of 64");
  cr_expect_null(a);
  recur_set_memory_limit((size_t)1 << 20);
  cr_expect_eq(recur_net_load(&net, model, NULL), RECUR_OK, "%s", recur_last_error());
  cr_expect_eq(recur_npy_load(x, &a), RECUR_OK, "%s", recur_last_error());
  recur_set_memory_limit(0);
  cr_expect_eq(recur_memory_limit(), RECUR_DEFAULT_MEMORY_LIMIT);
  recur_net_free(net);
  recur_array_free(a);
}

/* A bidirectional RNN with H = 812 and I = 1 makes 1624 outputs of each input: a 16 MiB input
 * asks for 27 GB of y. recur run refuses it before allocating; the allocation could succeed
 * lazily (overcommit) and writing y would then exhaust memory. */
Test(limits, outputs_over_the_memory_limit) {
  const int64_t H = 812, ih = H * 4, hh = H * H * 4;
  char header[512];
  snprintf(header, sizeof header,
           "{\"weight_ih_l0\": {\"dtype\": \"F32\", \"shape\": [%lld, 1], \"data_offsets\": [0, "
           "%lld]}, \"weight_hh_l0\": {\"dtype\": \"F32\", \"shape\": [%lld, %lld], "
           "\"data_offsets\": [%lld, %lld]}, \"weight_ih_l0_reverse\": {\"dtype\": \"F32\", "
           "\"shape\": [%lld, 1], \"data_offsets\": [%lld, %lld]}, \"weight_hh_l0_reverse\": "
           "{\"dtype\": \"F32\", \"shape\": [%lld, %lld], \"data_offsets\": [%lld, %lld]}}",
           (long long)H, (long long)ih, (long long)H, (long long)H, (long long)ih,
           (long long)(ih + hh), (long long)H, (long long)(ih + hh), (long long)(2 * ih + hh),
           (long long)H, (long long)H, (long long)(2 * ih + hh), (long long)(2 * ih + 2 * hh));
  uint8_t head[600];
  size_t len = safetensors_head(head, sizeof head, header);
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], y[CLI_PATH_LEN];
  cli_tmp_path(model, "wide.safetensors");
  write_sparse(model, head, len, len + (uint64_t)(2 * ih + 2 * hh));

  char npy[NPY_HEAD];
  npy_head(npy, "(4096, 1024, 1)");
  cli_tmp_path(x, "x.npy");
  write_sparse(x, npy, sizeof npy, sizeof npy + ((uint64_t)4 << 22));

  cli_out_path(y, "y.npy");
  cli_run("run", model, x, "-o", y, NULL);
  cli_expect_failure(1, x, "the outputs would take more than the memory limit", NULL);
  cli_expect_out_listing("");
}

/* OMP_NUM_THREADS=2147483647 is taken as RECUR_MAX_THREADS (the team smaller still), not an
 * overflow: the run gives PyTorch's numbers. */
Test(limits, omp_num_threads_int_max_runs) {
  cr_assert_eq(setenv("OMP_NUM_THREADS", "2147483647", 1), 0);
  cli_run_golden(cli_golden_case("lstm_h0c0_bi_l2"), NULL);
  unsetenv("OMP_NUM_THREADS");
}
