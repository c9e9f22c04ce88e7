/* Outputs survive a kill at any moment: `recur run -o y.npy --hn hn.npy` is SIGKILLed again and
 * again, at random times and right inside its writes, and each output is then either the
 * previous file or the complete new one, byte for byte. A kill may leave a temporary file
 * "<output>.tmp.<pid>.<n>" of the killed process beside the output; nothing else appears.
 * A write that fails midway (a full disk) leaves the previous file and no temporary. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "recur.h"

extern char **environ;

/* An input large enough that writing y (T*B*7 floats, 11 MB) takes a while. */
#define MODEL "rnn_tanh_l1_uni" /* I = 5, H = 7 */
#define T 1000
#define B 400
#define I 5

#define MIN_SECONDS 3.0
#define MAX_SECONDS 30.0
#define MIN_KILLS 12
#define MIN_KILLS_IN_WRITE 3 /* kills that left a temporary file: inside a write */


/* One complete output of a run on input a or b. */
typedef struct file_bytes {
  char *data;
  size_t size;
} file_bytes;

typedef struct fixture {
  char model[CLI_PATH_LEN], x[2][CLI_PATH_LEN], y[CLI_PATH_LEN], hn[CLI_PATH_LEN];
  file_bytes want_y[2], want_hn[2];
  double run_seconds; /* one uninterrupted run */
  cli_killed killed;
  int kills_in_write;
} fixture;

static void write_input(const char *path, unsigned seed) {
  size_t n = (size_t)T * B * I;
  float *x = malloc(n * sizeof *x);
  cr_assert_not_null(x);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    x[i] = (float)(seed >> 8) * (2.0f / 16777216.0f) - 1.0f;
  }
  cr_assert_eq(recur_npy_save(path, x, 3, (int64_t[]){T, B, I}), RECUR_OK, "%s",
               recur_last_error());
  free(x);
}

static pid_t spawn_run(const fixture *f, int input) {
  const char *bin = getenv("RECUR_BIN");
  cr_assert(bin, "set RECUR_BIN to the recur executable");
  const char *argv[] = {bin, "run", f->model, f->x[input], "-o", f->y, "--hn", f->hn, NULL};
  posix_spawn_file_actions_t io;
  posix_spawn_file_actions_init(&io);
  posix_spawn_file_actions_addopen(&io, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&io, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&io, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  cr_assert_eq(posix_spawn(&pid, bin, &io, NULL, (char *const *)argv, environ), 0);
  posix_spawn_file_actions_destroy(&io);
  return pid;
}

static int finish(pid_t pid) {
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  return status;
}

/* Runs to the end: writes the outputs for input, and keeps their bytes. */
static void reference_run(fixture *f, int input) {
  double start = cli_now();
  int status = finish(spawn_run(f, input));
  f->run_seconds = cli_now() - start;
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "recur run failed: %d", status);
  f->want_y[input].data = cli_read_file(f->y, &f->want_y[input].size);
  f->want_hn[input].data = cli_read_file(f->hn, &f->want_hn[input].size);
}

static void setup(fixture *f) {
  memset(f, 0, sizeof *f);
  golden_path(f->model, sizeof f->model, MODEL, ".safetensors");
  cli_tmp_path(f->x[0], "x0.npy");
  cli_tmp_path(f->x[1], "x1.npy");
  write_input(f->x[0], 1);
  write_input(f->x[1], 2);
  cli_out_path(f->y, "y.npy");
  cli_out_path(f->hn, "hn.npy");
  reference_run(f, 1);
  reference_run(f, 0); /* the files now hold input 0's outputs */
  cr_assert_eq(f->want_y[0].size, f->want_y[1].size);
  cr_assert_neq(memcmp(f->want_y[0].data, f->want_y[1].data, f->want_y[0].size), 0);
}

/* Which complete output path holds: 0 or 1 (input), or -1 if neither. */
static int which(const char *path, const file_bytes want[2]) {
  size_t size;
  char *got = cli_read_file(path, &size);
  int input = -1;
  for (int k = 0; k < 2 && input < 0; k++)
    if (size == want[k].size && memcmp(got, want[k].data, size) == 0)
      input = k;
  free(got);
  return input;
}

static const char *const outputs[] = {"y.npy", "hn.npy", NULL};

/* One run on input, killed at a moment chosen by mode: 0 at a random time within a run's
 * length, 1 as soon as it writes, 2 at a random time after it starts writing. */
static void killed_run(fixture *f, int input, int mode, unsigned *seed) {
  pid_t pid = spawn_run(f, input);
  *seed = *seed * 1664525u + 1013904223u;
  double r = (double)(*seed >> 8) / 16777216.0;
  int reaped = 0;
  if (mode == 0) {
    cli_sleep(r * 1.2 * f->run_seconds);
  } else if (!cli_wait_for_temporary(outputs, pid, NULL)) {
    reaped = 1;
  } else if (mode == 2) {
    cli_sleep(r * 0.25 * f->run_seconds);
  }
  int status = 0;
  if (!reaped) {
    kill(pid, SIGKILL);
    status = finish(pid);
  }
  int killed = !reaped && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  cr_assert(killed || reaped || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
            "run %ld failed on its own: status %d", (long)pid, status);
  if (killed) {
    cli_killed_add(&f->killed, pid);
  }
  f->kills_in_write += cli_check_leftovers(outputs, &f->killed, pid) > 0;
}

TestSuite(atomic_kill, .init = cli_setup, .fini = cli_teardown, .timeout = 120);

Test(atomic_kill, outputs_are_old_or_new_after_any_kill) {
  static fixture f;
  setup(&f);
  int y_holds = 0, hn_holds = 0;
  unsigned seed = 12345;
  double start = cli_now();
  for (int i = 0; cli_now() - start < MAX_SECONDS; i++) {
    if (cli_now() - start >= MIN_SECONDS && f.killed.n >= MIN_KILLS &&
        f.kills_in_write >= MIN_KILLS_IN_WRITE)
      break;
    int next = 1 - y_holds;
    killed_run(&f, next, i % 3, &seed);
    int y_now = which(f.y, f.want_y), hn_now = which(f.hn, f.want_hn);
    cr_assert(y_now == y_holds || y_now == next, "run %d: y.npy is neither old nor new", i);
    cr_assert(hn_now == hn_holds || hn_now == next, "run %d: hn.npy is neither old nor new", i);
    y_holds = y_now;
    hn_holds = hn_now;
  }
  cr_log_info("%d runs killed, %d of them inside a write", f.killed.n, f.kills_in_write);
  cr_expect_geq(f.killed.n, MIN_KILLS);
  cr_expect_geq(f.kills_in_write, MIN_KILLS_IN_WRITE, "too few kills landed inside a write");
  for (int k = 0; k < 2; k++) {
    free(f.want_y[k].data);
    free(f.want_hn[k].data);
  }
}

/* The file size limit stands in for a full disk: y.npy (632 bytes) cannot be written whole. */
Test(atomic_kill, a_failed_write_leaves_the_old_file) {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], y[CLI_PATH_LEN];
  golden_path(model, sizeof model, "lstm_l1_uni", ".safetensors");
  golden_path(x, sizeof x, "lstm_l1_uni", ".x.npy");
  cli_out_path(y, "y.npy");
  FILE *f = fopen(y, "wb");
  cr_assert_not_null(f);
  fputs("old", f);
  cr_assert_eq(fclose(f), 0);
  signal(SIGXFSZ, SIG_IGN); /* inherited: the write fails with EFBIG instead of killing recur */
  struct rlimit limit;
  cr_assert_eq(getrlimit(RLIMIT_FSIZE, &limit), 0);
  limit.rlim_cur = 300;
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
  cli_run("run", model, x, "-o", y, NULL);
  cli_expect_failure(1, y, "File too large", NULL);
  size_t size;
  char *old = cli_read_file(y, &size);
  cr_expect(size == 3 && memcmp(old, "old", 3) == 0, "y.npy changed");
  free(old);
  cli_expect_out_listing("y.npy");
}
