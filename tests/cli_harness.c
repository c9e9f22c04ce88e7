#define _GNU_SOURCE /* nftw */
#include "cli_harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "recur.h"

extern char **environ;

#define MAX_CASES 512

struct cli_result cli_res;
static char tmp[CLI_PATH_LEN];
static golden_case cases[MAX_CASES];

static void join_path(char *buf, const char *folder, const char *name) {
  int n = snprintf(buf, CLI_PATH_LEN, "%s/%s", folder, name);
  cr_assert(n > 0 && n < CLI_PATH_LEN, "path too long: %s/%s", folder, name);
}

void cli_tmp_path(char *buf, const char *name) { join_path(buf, tmp, name); }

void cli_out_path(char *buf, const char *name) {
  char out[CLI_PATH_LEN];
  join_path(out, tmp, "out");
  join_path(buf, out, name);
}

static void make_dir(const char *name) {
  char path[CLI_PATH_LEN];
  cli_tmp_path(path, name);
  cr_assert_eq(mkdir(path, 0700), 0, "mkdir %s", path);
}

void cli_setup(void) {
  const char *base = getenv("TMPDIR");
  snprintf(tmp, sizeof tmp, "%s/recur-cli-XXXXXX", base && base[0] ? base : "/tmp");
  cr_assert(mkdtemp(tmp), "mkdtemp %s", tmp);
  make_dir("io");
  make_dir("out");
  unsetenv("RECUR_VERBOSE"); /* it would add lines to stderr */
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  return remove(path);
}

void cli_teardown(void) {
  free(cli_res.out);
  free(cli_res.err);
  nftw(tmp, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *cli_read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  cr_assert(f, "cannot open %s", path);
  char *text = NULL;
  size_t len = 0;
  FILE *mem = open_memstream(&text, &len);
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) fwrite(chunk, 1, n, mem);
  fclose(f);
  fclose(mem);
  if (size) *size = len;
  return text;
}

void cli_write_npy(const char *path, const char *descr, int ndim, const long *shape,
                   const void *data, size_t nbytes) {
  cli_write_npy_order(path, descr, 0, ndim, shape, data, nbytes);
}

void cli_write_npy_order(const char *path, const char *descr, int fortran, int ndim,
                         const long *shape, const void *data, size_t nbytes) {
  char dims[128] = "", header[256];
  for (int i = 0; i < ndim; i++)
    snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%ld, ", shape[i]);
  if (ndim > 1) dims[strlen(dims) - 2] = '\0'; /* (4,) keeps its comma */
  int len = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }",
                     descr, fortran ? "True" : "False", dims);
  while ((10 + len + 1) % 64) header[len++] = ' '; /* magic + header + '\n': 64-byte aligned */
  header[len++] = '\n';
  unsigned char magic[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)len,
                             (unsigned char)(len >> 8)};
  FILE *f = fopen(path, "wb");
  cr_assert(f, "cannot write %s", path);
  fwrite(magic, 1, sizeof magic, f);
  fwrite(header, 1, (size_t)len, f);
  fwrite(data, 1, nbytes, f);
  cr_assert_eq(fclose(f), 0);
}

static void add_va(struct cli_args *args, const char *first, va_list ap) {
  for (const char *a = first; a; a = va_arg(ap, const char *)) {
    cr_assert_lt(args->n, CLI_MAX_ARGS);
    args->v[args->n++] = a;
  }
  args->v[args->n] = NULL;
}

void cli_add(struct cli_args *args, const char *first, ...) {
  va_list ap;
  va_start(ap, first);
  add_va(args, first, ap);
  va_end(ap);
}

void cli_run_args(const struct cli_args *args) { cli_run_args_stdout(args, NULL); }

void cli_run_args_stdout(const struct cli_args *args, const char *stdout_path) {
  const char *bin = getenv("RECUR_BIN");
  cr_assert(bin, "set RECUR_BIN to the recur executable");
  const char *argv[CLI_MAX_ARGS + 2] = {bin};
  memcpy(argv + 1, args->v, (size_t)(args->n + 1) * sizeof *argv);
  char out[CLI_PATH_LEN], err[CLI_PATH_LEN];
  cli_tmp_path(out, "io/stdout");
  cli_tmp_path(err, "io/stderr");
  posix_spawn_file_actions_t io;
  posix_spawn_file_actions_init(&io);
  posix_spawn_file_actions_addopen(&io, 0, "/dev/null", O_RDONLY, 0);
  if (stdout_path)
    posix_spawn_file_actions_addopen(&io, 1, stdout_path, O_WRONLY, 0);
  else
    posix_spawn_file_actions_addopen(&io, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&io, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = posix_spawn(&pid, bin, &io, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&io);
  cr_assert_eq(rc, 0, "cannot start %s: %s", bin, strerror(rc));
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status), "recur died (signal %d)",
            WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  free(cli_res.out);
  free(cli_res.err);
  cli_res.code = WEXITSTATUS(status);
  cli_res.out = stdout_path ? strdup("") : cli_read_file(out, NULL);
  cli_res.err = cli_read_file(err, NULL);
}

void cli_run(const char *first, ...) {
  struct cli_args args = {.n = 0};
  va_list ap;
  va_start(ap, first);
  add_va(&args, first, ap);
  va_end(ap);
  cli_run_args(&args);
}

int cli_count_lines(const char *s) {
  int n = 0;
  for (; *s; s++) n += *s == '\n';
  return n;
}

void cli_expect_failure(int code, ...) {
  const struct cli_result *r = &cli_res;
  cr_assert_eq(r->code, code, "exit %d, expected %d; stderr: %s", r->code, code, r->err);
  cr_expect_str_empty(r->out, "stdout: %s", r->out);
  cr_expect_eq(strncmp(r->err, "recur: ", 7), 0, "stderr: %s", r->err);
  int lines = code == 2 ? 2 : 1;
  cr_expect_eq(cli_count_lines(r->err), lines, "stderr should be %d line(s): %s", lines, r->err);
  if (code == 2) cr_expect(strstr(r->err, "\ntry 'recur "), "no hint: %s", r->err);
  va_list ap;
  va_start(ap, code);
  for (const char *needle; (needle = va_arg(ap, const char *));)
    cr_expect(strstr(r->err, needle), "stderr lacks \"%s\": %s", needle, r->err);
  va_end(ap);
}

void cli_expect_out_listing(const char *want) {
  char path[CLI_PATH_LEN], got[1024] = "";
  cli_out_path(path, "");
  struct dirent **entries;
  int count = scandir(path, &entries, NULL, alphasort);
  cr_assert_geq(count, 0, "scandir %s", path);
  for (int i = 0; i < count; i++) {
    const char *name = entries[i]->d_name;
    if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0)
      snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", got[0] ? " " : "", name);
    free(entries[i]);
  }
  free(entries);
  cr_expect_str_eq(got, want, "files in out/: \"%s\", expected \"%s\"", got, want);
}

const golden_case *cli_golden_case(const char *name) {
  int n = golden_read_manifest(cases, MAX_CASES);
  cr_assert_gt(n, 0, "no golden manifest: set RECUR_TEST_DATA to tests/data");
  for (int i = 0; i < n; i++)
    if (strcmp(cases[i].name, name) == 0) return &cases[i];
  cr_assert_fail("golden case %s not in the manifest", name);
  return NULL;
}

static void expect_golden_within(const golden_case *c, const char *suffix, const char *path,
                                 golden_tol tol) {
  recur_array *want = golden_load(c->name, suffix), *got = NULL;
  cr_assert(want, "%s%s missing", c->name, suffix);
  cr_assert_eq(recur_npy_load(path, &got), RECUR_OK, "%s: %s", path, recur_last_error());
  cr_assert_eq(got->dtype, RECUR_DTYPE_F32);
  cr_assert_eq(got->ndim, want->ndim, "%s%s: ndim %d, expected %d", c->name, suffix, got->ndim,
               want->ndim);
  for (int i = 0; i < want->ndim; i++)
    cr_assert_eq(got->shape[i], want->shape[i], "%s%s: axis %d", c->name, suffix, i);
  size_t worst = 0, bad = golden_mismatches_within(got->data, want->data, want->count, tol, &worst);
  cr_expect_eq(bad, 0, "%s%s: %zu of %zu values off; worst [%zu] got %.9g want %.9g", c->name,
               suffix, bad, want->count, worst, (double)((float *)got->data)[worst],
               (double)((float *)want->data)[worst]);
  recur_array_free(want);
  recur_array_free(got);
}

void cli_expect_golden(const golden_case *c, const char *suffix, const char *path) {
  expect_golden_within(c, suffix, path, GOLDEN_FP32_TOL);
}

void cli_run_golden(const golden_case *c, const char *extra) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], h0[CLI_PATH_LEN], c0[CLI_PATH_LEN];
  char len[CLI_PATH_LEN], y[CLI_PATH_LEN], hn[CLI_PATH_LEN], cn[CLI_PATH_LEN];
  golden_path(model, sizeof model, c->name, ".safetensors");
  golden_path(x, sizeof x, c->name, ".x.npy");
  golden_path(h0, sizeof h0, c->name, ".h0.npy");
  golden_path(c0, sizeof c0, c->name, ".c0.npy");
  golden_path(len, sizeof len, c->name, ".len.npy");
  cli_out_path(y, "y.npy");
  cli_out_path(hn, "hn.npy");
  cli_out_path(cn, "cn.npy");
  int lstm = strcmp(c->cell, "lstm") == 0;
  static const char precision_flag[] = "--precision=";
  recur_precision precision = RECUR_PRECISION_FP32;
  if (extra && strncmp(extra, precision_flag, strlen(precision_flag)) == 0) {
    const char *name = extra + strlen(precision_flag);
    cr_assert_eq(recur_precision_from_name(name, strlen(name), &precision), RECUR_OK, "%s", extra);
  }
  golden_tol tol = golden_tol_of(precision);

  struct cli_args args = {.n = 0};
  cli_add(&args, "run", model, x, "-o", y, "--hn", hn, NULL);
  if (lstm) cli_add(&args, "--cn", cn, NULL);
  if (c->h0) cli_add(&args, "--h0", h0, NULL);
  if (c->c0) cli_add(&args, "--c0", c0, NULL);
  if (c->lengths) cli_add(&args, "--lengths", len, NULL);
  if (c->prefix[0]) cli_add(&args, "--prefix", c->prefix, NULL);
  if (extra) cli_add(&args, extra, NULL);
  cli_run_args(&args);

  cr_assert_eq(cli_res.code, 0, "%s: exit %d: %s", c->name, cli_res.code, cli_res.err);
  cr_expect_str_empty(cli_res.out, "%s: -o given, yet stdout: %s", c->name, cli_res.out);
  cr_expect_str_empty(cli_res.err, "%s: stderr: %s", c->name, cli_res.err);
  expect_golden_within(c, ".y.npy", y, tol);
  expect_golden_within(c, ".hn.npy", hn, tol);
  if (lstm) expect_golden_within(c, ".cn.npy", cn, tol);
}

void cli_killed_add(cli_killed *k, long pid) {
  cr_assert_lt(k->n, CLI_MAX_KILLED);
  k->pid[k->n++] = pid;
}

static int was_killed(const cli_killed *k, long pid) {
  for (int i = 0; i < k->n; i++)
    if (k->pid[i] == pid) return 1;
  return 0;
}

/* If name is "<a kept name>.tmp.<pid>.<n>", 1 with *owner = pid; else 0. */
static int temporary_of(const char *const *keep, const char *name, long *owner) {
  for (; *keep; keep++) {
    size_t len = strlen(*keep);
    unsigned n;
    int end = 0;
    if (!strncmp(name, *keep, len) && sscanf(name + len, ".tmp.%ld.%u%n", owner, &n, &end) == 2 &&
        !name[len + (size_t)end])
      return 1;
  }
  return 0;
}

static int is_kept(const char *const *keep, const char *name) {
  for (; *keep; keep++)
    if (!strcmp(name, *keep)) return 1;
  return !strcmp(name, ".") || !strcmp(name, "..");
}

int cli_check_leftovers(const char *const *keep, const cli_killed *k, long pid) {
  char dir[CLI_PATH_LEN];
  cli_out_path(dir, "");
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  int left = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (is_kept(keep, e->d_name)) continue;
    long owner = 0;
    int ok = temporary_of(keep, e->d_name, &owner);
    cr_expect(ok && was_killed(k, owner), "unexpected file in the output folder: %s", e->d_name);
    left += ok && owner == pid;
  }
  closedir(d);
  return left;
}

int cli_wait_for_temporary(const char *const *keep, long pid, int *status) {
  char dir[CLI_PATH_LEN];
  cli_out_path(dir, "");
  for (;;) {
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    long owner;
    int seen = 0;
    while (!seen && (e = readdir(d))) seen = temporary_of(keep, e->d_name, &owner) && owner == pid;
    closedir(d);
    if (seen) return 1;
    if (waitpid((pid_t)pid, status, WNOHANG) == pid) return 0;
  }
}

double cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_sleep(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  nanosleep(&ts, NULL);
}
