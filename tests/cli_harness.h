/* Helpers for the end-to-end tests of the `recur` executable ($RECUR_BIN). Each test works in
 * its own temporary folder (cli_setup/cli_teardown as the suite's init/fini): io/ holds the
 * captured stdout and stderr, out/ whatever recur writes. */
#ifndef RECUR_TEST_CLI_HARNESS_H
#define RECUR_TEST_CLI_HARNESS_H

#include <stddef.h>

#include "golden.h"

#define CLI_PATH_LEN 512
#define CLI_MAX_ARGS 40

/* The last run of recur: exit status, stdout and stderr (NUL-terminated). */
struct cli_result {
  int code;
  char *out, *err;
};
extern struct cli_result cli_res;

void cli_setup(void);
void cli_teardown(void);

/* "<tmp>/<name>" and "<tmp>/out/<name>", into a buffer of CLI_PATH_LEN. */
void cli_tmp_path(char *buf, const char *name);
void cli_out_path(char *buf, const char *name);

/* A whole file, NUL-terminated (free it); its size in *size if size is not NULL. */
char *cli_read_file(const char *path, size_t *size);

/* Writes a .npy file of any dtype ("<f8", "<i4", ...): the library only writes float32. The
 * _order variant writes data in Fortran order (fortran 1: the first axis fastest). */
void cli_write_npy(const char *path, const char *descr, int ndim, const long *shape,
                   const void *data, size_t nbytes);
void cli_write_npy_order(const char *path, const char *descr, int fortran, int ndim,
                         const long *shape, const void *data, size_t nbytes);

/* An argument list for recur, NULL-terminated, without the program name. */
struct cli_args {
  const char *v[CLI_MAX_ARGS + 1];
  int n;
};
void cli_add(struct cli_args *args, const char *first, ...) __attribute__((sentinel));

/* Runs recur (stdin from /dev/null) and fills cli_res. */
void cli_run_args(const struct cli_args *args);
/* The same with stdout going to the existing file stdout_path (cli_res.out is then ""). */
void cli_run_args_stdout(const struct cli_args *args, const char *stdout_path);
void cli_run(const char *first, ...) __attribute__((sentinel));

int cli_count_lines(const char *s);

/* The last run failed with code, stdout empty, and stderr is "recur: ..." on one line (plus
 * the hint line for a usage error, code 2) containing every needle (NULL-terminated). */
void cli_expect_failure(int code, ...) __attribute__((sentinel));

/* The names in out/, sorted and space-separated, equal want. */
void cli_expect_out_listing(const char *want);

/* The golden case called name (the test fails if there is none). */
const golden_case *cli_golden_case(const char *name);

/* The float32 array at path equals the golden "<case><suffix>" within the test tolerance. */
void cli_expect_golden(const golden_case *c, const char *suffix, const char *path);

/* Runs a golden case with every input it has, writing every output to out/ (y.npy, hn.npy,
 * cn.npy), plus one extra argument (or NULL), and compares the outputs with PyTorch's (within
 * GOLDEN_BF16_TOL when extra is "--precision=bf16"). The input is in the layout the model
 * records, which recur takes unless extra names one (--batch-first, --time-first). */
void cli_run_golden(const golden_case *c, const char *extra);

/* Monotonic seconds; sleeping for s seconds. */
double cli_now(void);
void cli_sleep(double s);

/* Atomic writes under SIGKILL: the runs killed so far, which may leave temporary files. */
#define CLI_MAX_KILLED 1024
typedef struct cli_killed {
  long pid[CLI_MAX_KILLED];
  int n;
} cli_killed;

void cli_killed_add(cli_killed *k, long pid);

/* out/ holds only the files named in keep (NULL-terminated) and temporary files
 * "<kept name>.tmp.<pid>.<n>" of killed runs (an expectation fails for anything else); returns
 * how many of them pid left. */
int cli_check_leftovers(const char *const *keep, const cli_killed *k, long pid);

/* Waits until pid has a temporary "<kept name>.tmp.<pid>." in out/ (returns 1) or ends (returns
 * 0: reaped, its status in *status unless status is NULL). */
int cli_wait_for_temporary(const char *const *keep, long pid, int *status);

#endif
