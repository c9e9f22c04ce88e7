/* `recur tune` end to end ($RECUR_BIN): the file it writes parses, passes the origin check and
 * is read by the library; runs merge into an existing file (its other entries survive, a
 * re-measured key is replaced or removed); a malformed or foreign file is replaced, and the run
 * says so; two tuners at once both land (the second waits for the first's lock); a tuner killed
 * at any moment leaves the old file byte for byte or a whole new one; usage errors.
 *
 * What a run measures is not deterministic (entries are written only when the tuned choices
 * beat the defaults by 3%), so the tests check what the run printed against the file: a row
 * "tuned" must have its entry, with the printed times; a row "default kept" must have none, and
 * must have removed any older entry of its key. Runs tune one small LSTM shape on one thread. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "recur.h"
#include "recur_tool.h"
#include "tunefile.h"

extern char **environ;

TestSuite(tune_cli, .init = cli_setup, .fini = cli_teardown, .timeout = 120);

/* The shapes the runs tune (T,B,I,H of an LSTM), and their keys' B, I, H. */
#define SHAPE1 "5,3,16,16"
#define SHAPE2 "4,2,20,24"


/* The best vector table this CPU runs: what the runs tune (also under RECUR_ISA=scalar). */
static const char *tune_isa(void) {
  static char name[16];
  char list[128], *save = NULL;
  snprintf(list, sizeof list, "%s", recur_isa_list());
  for (char *isa = strtok_r(list, " ", &save); isa; isa = strtok_r(NULL, " ", &save))
    if (strcmp(isa, "scalar") != 0) {
      snprintf(name, sizeof name, "%s", isa);
      return name;
    }
  cr_assert_fail("no vector table on this CPU (%s): nothing to tune", recur_isa_list());
  return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Tune files                                                                                */

static void write_bytes(const char *path, const char *text, size_t len) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot write %s", path);
  cr_assert_eq(fwrite(text, 1, len, f), len);
  cr_assert_eq(fclose(f), 0);
}

static recur_tune_entry make_entry(recur_cell cell, int64_t I, int64_t H, int threads, int64_t B,
                                   double default_ms) {
  recur_tune_entry e = {.key = {.cell = cell, .dirs = 1, .I = I, .H = H, .threads = threads, .B = B},
                        .p = {{1, 0, 16, 16}, {1, 128, 32, RECUR_SPLIT_BATCH, 1, 1, 1}},
                        .default_ms = default_ms, .tuned_ms = 1.5};
  snprintf(e.key.isa, sizeof e.key.isa, "%s", tune_isa());
  return e;
}

/* A file for this CPU: X, an entry of a shape no run tunes (it must survive every run), plus
 * a sentinel entry (default_ms=777.0000 + tag) for each key given by its shape: a run that
 * measures that key must replace or remove it. */
#define X_ENTRY "entry cell=gru isa=%s precision=fp32 dirs=1 I=24 H=40 P=0 threads=1 B=7 "
static char *seed_text(const char *const *shapes, int n_shapes, int tag, size_t *len) {
  recur_cpu_id id;
  recur_cpu_identify(&id);
  recur_tune_file f;
  recur_tune_init(&f, &id);
  recur_tune_entry x = make_entry(RECUR_CELL_GRU, 24, 40, 1, 7, 3.25);
  cr_assert_eq(recur_tune_put(&f, &x), RECUR_OK);
  for (int i = 0; i < n_shapes; i++) {
    long long T, B, I, H;
    cr_assert_eq(sscanf(shapes[i], "%lld,%lld,%lld,%lld", &T, &B, &I, &H), 4);
    recur_tune_entry s = make_entry(RECUR_CELL_LSTM, I, H, 1, B, 777 + tag);
    cr_assert_eq(recur_tune_put(&f, &s), RECUR_OK);
  }
  char *text = recur_tune_format(&f, len);
  cr_assert_not_null(text);
  recur_tune_file_free(&f);
  return text;
}

static int count_lines_with(const char *text, const char *needle) {
  int n = 0;
  for (const char *line = text; *line;) {
    const char *nl = strchr(line, '\n');
    size_t len = nl ? (size_t)(nl - line) : strlen(line);
    char *copy = strndup(line, len);
    n += strstr(copy, needle) != NULL;
    free(copy);
    line += len + (nl != NULL);
  }
  return n;
}

/* The whole line of text holding needle (malloc'd), or NULL. */
static char *line_with(const char *text, const char *needle) {
  const char *at = strstr(text, needle);
  if (!at) return NULL;
  const char *start = at;
  while (start > text && start[-1] != '\n') start--;
  const char *end = strchr(at, '\n');
  return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* The file at path is a whole tune file of this CPU and version, exactly as recur writes one;
 * returns its text (free it) and its parse in *f. */
static char *expect_valid_file(const char *path, recur_tune_file *f) {
  size_t len;
  char *text = cli_read_file(path, &len), why[256] = "";
  cr_assert_eq(recur_tune_parse(text, len, f, why, sizeof why), RECUR_OK, "%s: %s\n%s", path, why, text);
  recur_cpu_id id;
  recur_cpu_identify(&id);
  cr_assert_eq(recur_tune_check_origin(f, &id, why, sizeof why), 1, "%s: %s", path, why);
  size_t len2;
  char *again = recur_tune_format(f, &len2);
  cr_assert_not_null(again);
  cr_expect(len2 == len && !memcmp(again, text, len), "%s is not what recur writes:\n%s", path, text);
  free(again);
  return text;
}

/* ---------------------------------------------------------------------------------------- */
/* The table a run prints                                                                    */

typedef struct row {
  char isa[16], precision[16], cell[16];
  long long T, B, I, H, P;
  int threads, measured, tuned;
  double default_ms, tuned_ms, speedup, spread; /* spread: % */
} row;

#define TABLE_HEADER                                                                           \
  "isa     precision cell         T     B     I     H    P threads  default ms  tuned ms  speedup" \
  "  spread  result\n"

/* The rows of the table in out (which must end with "tune file: <path>"). */
static int parse_table(const char *out, const char *path, row *rows, int max) {
  cr_assert_eq(strncmp(out, TABLE_HEADER, strlen(TABLE_HEADER)), 0, "no table header:\n%s", out);
  const char *line = out + strlen(TABLE_HEADER);
  int n = 0;
  char last[CLI_PATH_LEN + 16];
  snprintf(last, sizeof last, "tune file: %s\n", path);
  while (*line && strncmp(line, "tune file: ", 11) != 0) {
    cr_assert_lt(n, max);
    row *r = &rows[n++];
    memset(r, 0, sizeof *r);
    int at = 0;
    cr_assert_eq(sscanf(line, "%15s %15s %15s %lld %lld %lld %lld %lld %d %n", r->isa, r->precision,
                        r->cell, &r->T, &r->B, &r->I, &r->H, &r->P, &r->threads, &at), 9,
                 "row: %s", line);
    const char *rest = line + at, *nl = strchr(line, '\n');
    cr_assert_not_null(nl);
    if (rest[0] == '-') {
      cr_expect(strstr(rest, "not reached (time limit)\n") == strchr(rest, '\n') - 24, "row: %s", line);
    } else {
      int res = 0;
      r->measured = 1;
      cr_assert_eq(sscanf(rest, "%lf %lf %lfx %lf%% %n", &r->default_ms, &r->tuned_ms, &r->speedup,
                          &r->spread, &res), 4, "row: %s", line);
      const char *result = rest + res;
      r->tuned = !strncmp(result, "tuned\n", 6);
      if (r->tuned) {
        cr_expect_geq(r->speedup, 1.03, "row: %s", line); /* tuned means >= 3% faster */
        cr_expect_leq(r->tuned_ms, r->default_ms, "row: %s", line);
      } else {
        static const char slower[] = "default kept (best was < 3% faster)\n",
                          none[] = "default kept (nothing faster found)\n";
        double gain, noise;
        int n = 0, noisy = sscanf(result, "default kept (best was %lf%% faster, within the noise "
                                          "of %lf%%)\n%n", &gain, &noise, &n) == 2 && n > 0;
        cr_expect(!strncmp(result, slower, sizeof slower - 1) || !strncmp(result, none, sizeof none - 1) ||
                  (noisy && gain >= 3 && gain <= noise), "row: %s", line);
        cr_expect_eq(r->speedup, 1.0, "row: %s", line);
        cr_expect_eq(r->tuned_ms, r->default_ms, "row: %s", line);
      }
    }
    line = nl + 1;
  }
  cr_expect_str_eq(line, last, "the table should end with \"%s\":\n%s", last, out);
  return n;
}

/* The only row of a run that tuned shape (T,B,I,H of an LSTM) on one thread. */
static row one_row(const char *out, const char *path, const char *shape, int threads,
                   const char *precision) {
  row r[4];
  cr_assert_eq(parse_table(out, path, r, 4), 1, "%s", out);
  long long T, B, I, H;
  cr_assert_eq(sscanf(shape, "%lld,%lld,%lld,%lld", &T, &B, &I, &H), 4);
  cr_expect_str_eq(r[0].isa, tune_isa());
  cr_expect_str_eq(r[0].precision, precision);
  cr_expect_str_eq(r[0].cell, "lstm");
  cr_expect(r[0].T == T && r[0].B == B && r[0].I == I && r[0].H == H && r[0].P == 0, "%s", out);
  cr_expect_eq(r[0].threads, threads);
  cr_expect(r[0].measured, "a one-shape run did not measure it:\n%s", out);
  return r[0];
}

/* "entry cell=lstm isa=ISA precision=P dirs=1 I=.. H=.. P=0 threads=.. B=.. ": the key of
 * shape's entry. */
static void key_prefix(char *buf, size_t n, const char *shape, int threads, const char *precision) {
  long long T, B, I, H;
  cr_assert_eq(sscanf(shape, "%lld,%lld,%lld,%lld", &T, &B, &I, &H), 4);
  snprintf(buf, n, "entry cell=lstm isa=%s precision=%s dirs=1 I=%lld H=%lld P=0 threads=%d B=%lld ",
           tune_isa(), precision, I, H, threads, B);
}

/* The file holds shape's entry (a measured case has one, holding the winner's choices or the
 * defaults'), with the row's times; and no sentinel of that key. */
static void expect_entry_as_printed(const char *text, const row *r, const char *shape, int threads) {
  char key[256];
  key_prefix(key, sizeof key, shape, threads, r->precision);
  cr_expect_eq(count_lines_with(text, key), 1, "row says %s, yet the file has %d entries %s:\n%s",
               r->tuned ? "tuned" : "default kept", count_lines_with(text, key), key, text);
  char *line = line_with(text, key);
  if (line) {
    double def, tuned;
    const char *d = strstr(line, " default_ms="), *t = strstr(line, " tuned_ms=");
    cr_assert(d && t && sscanf(d, " default_ms=%lf", &def) == 1 && sscanf(t, " tuned_ms=%lf", &tuned) == 1,
              "%s", line);
    cr_expect_leq(fabs(def - r->default_ms), 0.0006, "%s vs printed %.3f", line, r->default_ms);
    cr_expect_leq(fabs(tuned - r->tuned_ms), 0.0006, "%s vs printed %.3f", line, r->tuned_ms);
    if (r->tuned) cr_expect_leq(tuned, 0.97 * def + 1e-4, "an entry less than 3%% faster: %s", line);
    else cr_expect_eq(tuned, def, "a default kept, yet other times: %s", line);
    cr_expect_null(strstr(line, "default_ms=777"), "the sentinel survived: %s", line);
  }
  free(line);
}

/* ---------------------------------------------------------------------------------------- */
/* Running recur tune                                                                        */

#define TUNE_ARGS(shape, limit, path) \
  "tune", "--cells", "lstm", "--shapes", shape, "--threads", "1", "--isa", tune_isa(), \
  "--time-limit", limit, "-o", path

/* Starts recur with args (NULL-terminated), stdout and stderr to out and err (NULL: /dev/null). */
static pid_t spawn_recur(const char *const *args, const char *out, const char *err) {
  const char *bin = getenv("RECUR_BIN");
  cr_assert(bin, "set RECUR_BIN to the recur executable");
  const char *argv[CLI_MAX_ARGS + 2] = {bin};
  for (int i = 0; args[i]; i++) argv[i + 1] = args[i];
  posix_spawn_file_actions_t io;
  posix_spawn_file_actions_init(&io);
  posix_spawn_file_actions_addopen(&io, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&io, 1, out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&io, 2, err ? err : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  int rc = posix_spawn(&pid, bin, &io, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&io);
  cr_assert_eq(rc, 0, "cannot start %s: %s", bin, strerror(rc));
  return pid;
}

static int wait_status(pid_t pid) {
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  return status;
}

/* Takes path's lock (path.lock) as recur tune does: the returned fd holds it. */
static int take_lock(const char *path) {
  char lock[CLI_PATH_LEN + 8];
  snprintf(lock, sizeof lock, "%s.lock", path);
  int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  cr_assert_geq(fd, 0, "open %s", lock);
  cr_assert_eq(flock(fd, LOCK_EX), 0);
  return fd;
}

/* 1 if pid waits for an flock on the file with inode ino (/proc/locks: "N: -> FLOCK ..."). */
static int waits_for_lock(pid_t pid, unsigned long ino) {
  FILE *f = fopen("/proc/locks", "r");
  cr_assert_not_null(f, "cannot read /proc/locks");
  char line[256];
  int waiting = 0;
  while (!waiting && fgets(line, sizeof line, f)) {
    long p;
    unsigned long inode;
    char dev[64];
    if (sscanf(line, "%*d: -> FLOCK %*s %*s %ld %63[0-9a-f:]", &p, dev) != 2) continue;
    const char *colon = strrchr(dev, ':');
    waiting = p == (long)pid && colon && sscanf(colon + 1, "%lu", &inode) == 1 && inode == ino;
  }
  fclose(f);
  return waiting;
}

/* Waits until every pid waits for path's lock (held by the caller); fails if one ends first:
 * it did not wait for the lock. */
static void wait_until_blocked(const char *path, const pid_t *pids, int n) {
  char lock[CLI_PATH_LEN + 8];
  snprintf(lock, sizeof lock, "%s.lock", path);
  struct stat st;
  cr_assert_eq(stat(lock, &st), 0);
  for (double end = cli_now() + 90; ; cli_sleep(0.002)) {
    int blocked = 0;
    for (int i = 0; i < n; i++) {
      int status;
      cr_assert_eq(waitpid(pids[i], &status, WNOHANG), 0,
                   "recur tune %ld ended (status %d) while another process held the lock", (long)pids[i], status);
      blocked += waits_for_lock(pids[i], (unsigned long)st.st_ino);
    }
    if (blocked == n) return;
    cr_assert_lt(cli_now(), end, "recur tune never waited for the lock");
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Tests                                                                                     */

Test(tune_cli, writes_a_file_the_library_reads) {
  char path[CLI_PATH_LEN];
  cli_out_path(path, "tune.conf");
  cli_run("tune", "--cells", "lstm", "--shapes", SHAPE1, "--isa", tune_isa(), "--time-limit", "3",
          "-o", path, NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  int threads = omp_get_max_threads(); /* no --threads: OpenMP's default, as here */
  row r = one_row(cli_res.out, path, SHAPE1, threads, "fp32");

  /* stderr: progress lines only (not a terminal), rising to 100%, and warnings */
  int last = -1;
  for (const char *line = cli_res.err; *line; line = strchr(line, '\n') + 1) {
    int pct, n = 0;
    if (!strncmp(line, "recur tune: warning: ", 21)) continue;
    cr_assert(sscanf(line, "recur tune: %d%%%n", &pct, &n) == 1 && line[n] == '\n', "stderr: %s", cli_res.err);
    cr_expect_gt(pct, last, "stderr: %s", cli_res.err);
    last = pct;
  }
  cr_expect_eq(last, 100, "stderr: %s", cli_res.err);

  recur_tune_file f;
  char *text = expect_valid_file(path, &f);
  cr_expect_str_eq(f.version, RECUR_VERSION_STRING);
  cr_expect_eq(f.n, 1, "%s", text);
  expect_entry_as_printed(text, &r, SHAPE1, threads);
  cli_expect_out_listing("tune.conf tune.conf.lock");

  /* The library reads it (this process has not used its tune file yet). */
  cr_assert_eq(setenv("RECUR_TUNE_FILE", path, 1), 0);
  recur_tune_info info;
  recur_tune_status(&info);
  cr_expect_str_eq(info.path, path);
  cr_assert_eq(info.loaded, 1, "%s", info.reason);
  cr_expect_eq(info.entries, (int64_t)f.n);
  cr_assert_eq(recur_isa_force(tune_isa()), RECUR_OK);
  recur_desc d = {RECUR_CELL_LSTM, 16, 16, 1, 0, 0, 1, 0};
  recur_net *net;
  float w[4 * 16 * 16] = {0}, b[4 * 16] = {0};
  recur_tensor t[] = {{"weight_ih_l0", w, 2, {64, 16}}, {"weight_hh_l0", w, 2, {64, 16}},
                      {"bias_ih_l0", b, 1, {64}}, {"bias_hh_l0", b, 1, {64}}};
  cr_assert_eq(recur_net_create(&net, &d, t, 4), RECUR_OK, "%s", recur_last_error());
  recur_plan p;
  cr_assert_eq(recur_net_plan(net, 3, threads, &p), RECUR_OK);
  cr_expect_eq(p.tuned_tiling, 1);
  cr_expect_eq(p.tuned_call, 1);
  cr_expect_eq(p.tuned_batch, 3);
  {
    const recur_tune_entry *e = &f.entries[0];
    cr_expect_eq(p.kc, e->p.pack.kc);
    cr_expect_eq(p.kc_input, e->p.pack.kc_input);
    cr_expect_eq(p.chunk_rows, e->p.call.chunk_rows);
    cr_expect_eq(p.mc, e->p.call.mc);
    cr_expect_eq(p.threads, e->p.call.use_threads);
    cr_expect_eq(p.hidden_split, e->p.call.split == RECUR_SPLIT_HIDDEN);
    if (e->p.call.mr) cr_expect_eq(p.mr, e->p.call.mr);
  }
  recur_net_free(net);

  /* and `recur info` names it */
  cli_run("info", NULL);
  cr_assert_eq(cli_res.code, 0);
  char want[CLI_PATH_LEN + 64];
  snprintf(want, sizeof want, "tune file: %s: %zu entr%s", path, f.n, f.n == 1 ? "y" : "ies");
  cr_expect(strstr(cli_res.out, want), "recur info: %s", cli_res.out);
  free(text);
  recur_tune_file_free(&f);
}

Test(tune_cli, runs_merge_into_the_file) {
  char path[CLI_PATH_LEN], x[128];
  cli_out_path(path, "tune.conf");
  const char *shapes[] = {SHAPE2};
  size_t len;
  char *seed = seed_text(shapes, 1, 0, &len);
  write_bytes(path, seed, len);
  snprintf(x, sizeof x, X_ENTRY, tune_isa());
  char *x_line = line_with(seed, x), key2[256];
  cr_assert_not_null(x_line);
  key_prefix(key2, sizeof key2, SHAPE2, 1, "fp32");
  char *sentinel2 = line_with(seed, key2);
  cr_assert_not_null(sentinel2);

  /* Run 1 tunes SHAPE1: X and SHAPE2's entry stay as they were. */
  cli_run(TUNE_ARGS(SHAPE1, "2", path), NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  cr_expect_null(strstr(cli_res.err, "replaced"), "%s", cli_res.err);
  row r1 = one_row(cli_res.out, path, SHAPE1, 1, "fp32");
  recur_tune_file f;
  char *text = expect_valid_file(path, &f);
  cr_expect_eq(count_lines_with(text, x_line), 1, "the other shape's entry is gone:\n%s", text);
  cr_expect_eq(count_lines_with(text, sentinel2), 1, "SHAPE2's entry changed:\n%s", text);
  expect_entry_as_printed(text, &r1, SHAPE1, 1);
  cr_expect_eq(f.n, 3, "%s", text);
  char key1[256];
  key_prefix(key1, sizeof key1, SHAPE1, 1, "fp32");
  char *entry1 = line_with(text, key1);
  free(text);
  recur_tune_file_free(&f);

  /* Run 2 tunes SHAPE2: X and run 1's entry stay; SHAPE2's old entry is replaced. */
  cli_run(TUNE_ARGS(SHAPE2, "2", path), NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  cr_expect_null(strstr(cli_res.err, "replaced"), "%s", cli_res.err);
  row r2 = one_row(cli_res.out, path, SHAPE2, 1, "fp32");
  text = expect_valid_file(path, &f);
  cr_expect_eq(count_lines_with(text, x_line), 1, "the other shape's entry is gone:\n%s", text);
  if (entry1) cr_expect_eq(count_lines_with(text, entry1), 1, "run 1's entry changed:\n%s", text);
  cr_expect_eq(count_lines_with(text, "default_ms=777.0000"), 0, "SHAPE2's old entry survived its re-measurement:\n%s", text);
  expect_entry_as_printed(text, &r2, SHAPE2, 1);
  cr_expect_eq(f.n, 3, "%s", text);
  free(text), free(seed), free(x_line), free(sentinel2), free(entry1);
  recur_tune_file_free(&f);
}

/* A file that is not a valid tune file of this CPU and version is replaced, with a message. */
/* bf16 and int8 runs keep their own entries beside the fp32 one (the key's precision), and a
 * network of that shape uses its precision's entry. */
Test(tune_cli, precision_entries_are_kept_apart) {
  char path[CLI_PATH_LEN];
  cli_out_path(path, "tune.conf");
  cli_run(TUNE_ARGS(SHAPE1, "1", path), NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  row fp32 = one_row(cli_res.out, path, SHAPE1, 1, "fp32");
  cli_run(TUNE_ARGS(SHAPE1, "1", path), "--precision", "bf16", NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  row bf16 = one_row(cli_res.out, path, SHAPE1, 1, "bf16");
  cli_run(TUNE_ARGS(SHAPE1, "1", path), "--precision", "int8", NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  row int8 = one_row(cli_res.out, path, SHAPE1, 1, "int8");
  recur_tune_file f;
  char *text = expect_valid_file(path, &f);
  cr_expect_eq(f.n, 3, "%s", text);
  expect_entry_as_printed(text, &fp32, SHAPE1, 1);
  expect_entry_as_printed(text, &bf16, SHAPE1, 1);
  expect_entry_as_printed(text, &int8, SHAPE1, 1);
  free(text);
  recur_tune_file_free(&f);

  cr_assert_eq(setenv("RECUR_TUNE_FILE", path, 1), 0);
  cr_assert_eq(recur_isa_force(tune_isa()), RECUR_OK);
  long long T, B, I, H;
  cr_assert_eq(sscanf(SHAPE1, "%lld,%lld,%lld,%lld", &T, &B, &I, &H), 4);
  recur_desc d = {RECUR_CELL_LSTM, I, H, 1, 0, 0, 1, 0};
  static float w[4 * 16 * 16], b[4 * 16];
  cr_assert(I == 16 && H == 16, "the weights below are for 16x16");
  recur_tensor t[] = {{"weight_ih_l0", w, 2, {64, 16}}, {"weight_hh_l0", w, 2, {64, 16}},
                      {"bias_ih_l0", b, 1, {64}}, {"bias_hh_l0", b, 1, {64}}};
  for (int p = RECUR_PRECISION_FP32; p <= RECUR_PRECISION_INT8; p++) {
    recur_net_options options = {(recur_precision)p};
    recur_net *net;
    cr_assert_eq(recur_net_create_ex(&net, &d, t, 4, &options), RECUR_OK, "%s", recur_last_error());
    recur_plan plan;
    cr_assert_eq(recur_net_plan(net, B, 1, &plan), RECUR_OK);
    cr_expect_eq(plan.tuned_call, 1, "%s: its own entry applies", recur_precision_name(options.precision));
    recur_net_free(net);
  }

  cli_run("tune", "--precision", "fp16", "-o", path, NULL);
  cli_expect_failure(2, "option '--precision': unknown precision 'fp16'", NULL);
}

static void expect_replaced(const char *old, size_t len, const char *why) {
  char path[CLI_PATH_LEN], want[CLI_PATH_LEN + 256];
  cli_out_path(path, "tune.conf");
  write_bytes(path, old, len);
  cli_run(TUNE_ARGS(SHAPE1, "1", path), NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  snprintf(want, sizeof want, "recur tune: replaced %s (%s", path, why);
  char *line = line_with(cli_res.err, "replaced");
  cr_assert_not_null(line, "stderr does not say the file was replaced: %s", cli_res.err);
  cr_expect_eq(strncmp(line, want, strlen(want)), 0, "stderr: %s\nexpected: %s...)", cli_res.err, want);
  cr_expect_eq(line[strlen(line) - 1], ')', "%s", line);
  cr_expect_eq(count_lines_with(cli_res.err, "replaced"), 1, "%s", cli_res.err);
  row r = one_row(cli_res.out, path, SHAPE1, 1, "fp32");
  recur_tune_file f;
  char *text = expect_valid_file(path, &f);
  cr_expect_eq(f.n, 1, "the old file's entries were kept:\n%s", text);
  expect_entry_as_printed(text, &r, SHAPE1, 1);
  free(line), free(text);
  recur_tune_file_free(&f);
}

Test(tune_cli, a_malformed_file_is_replaced) {
  const char *shapes[] = {SHAPE2};
  size_t len;
  char *seed = seed_text(shapes, 1, 0, &len);
  char *cut = strstr(seed, "default_ms=777"); /* the last line, cut short */
  cr_assert_not_null(cut);
  expect_replaced(seed, (size_t)(cut - seed), "malformed: line 12: the file is truncated (no final newline)");
  free(seed);
}

Test(tune_cli, a_garbage_file_is_replaced) {
  const char *garbage = "version=0.1.0\nthis is not a tune file\n";
  expect_replaced(garbage, strlen(garbage), "malformed: line 2: not key=value");
}

Test(tune_cli, a_foreign_cpus_file_is_replaced) {
  const char *shapes[] = {SHAPE2};
  size_t len;
  char *seed = seed_text(shapes, 1, 0, &len);
  char *model = strstr(seed, "cpu.model=");
  cr_assert_not_null(model);
  model[10] = model[10] == '9' ? '8' : (char)(model[10] + 1); /* another model number */
  expect_replaced(seed, len, "measured on another CPU");
  free(seed);
}

/* Two tuners of different shapes on one file, started together; with hold_lock the test holds
 * the file's lock until both wait for it, and checks they do not touch the file meanwhile. */
static void race(int hold_lock) {
  char path[CLI_PATH_LEN], out[2][CLI_PATH_LEN], err[2][CLI_PATH_LEN], x[128];
  cli_out_path(path, "tune.conf");
  const char *shapes[] = {SHAPE1, SHAPE2};
  size_t len;
  char *seed = seed_text(shapes, 2, 0, &len);
  write_bytes(path, seed, len);
  snprintf(x, sizeof x, X_ENTRY, tune_isa());
  char *x_line = line_with(seed, x);
  int lock = hold_lock ? take_lock(path) : -1;
  pid_t pid[2];
  for (int i = 0; i < 2; i++) {
    char name[16];
    snprintf(name, sizeof name, "io/out%d", i);
    cli_tmp_path(out[i], name);
    snprintf(name, sizeof name, "io/err%d", i);
    cli_tmp_path(err[i], name);
    const char *args[] = {TUNE_ARGS(shapes[i], "1", path), NULL};
    pid[i] = spawn_recur(args, out[i], err[i]);
  }
  if (hold_lock) {
    wait_until_blocked(path, pid, 2);
    size_t now_len;
    char *now_text = cli_read_file(path, &now_len);
    cr_expect(now_len == len && !memcmp(now_text, seed, len), "the file changed while its lock was held");
    free(now_text);
    close(lock); /* releases it */
  }
  row r[2];
  for (int i = 0; i < 2; i++) {
    int status = wait_status(pid[i]);
    char *o = cli_read_file(out[i], NULL), *e = cli_read_file(err[i], NULL);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "run %d: status %d: %s", i, status, e);
    cr_expect_null(strstr(e, "replaced"), "run %d: %s", i, e);
    r[i] = one_row(o, path, shapes[i], 1, "fp32");
    free(o), free(e);
  }
  recur_tune_file f;
  char *text = expect_valid_file(path, &f);
  cr_expect_eq(count_lines_with(text, x_line), 1, "the other shape's entry is gone:\n%s", text);
  /* a lost update leaves a sentinel: the run whose write was overwritten measured its key */
  cr_expect_eq(count_lines_with(text, "default_ms=777.0000"), 0, "one run's result was lost:\n%s", text);
  for (int i = 0; i < 2; i++) expect_entry_as_printed(text, &r[i], shapes[i], 1);
  cr_expect_eq(f.n, 3, "%s", text);
  cli_expect_out_listing("tune.conf tune.conf.lock");
  free(text), free(seed), free(x_line);
  recur_tune_file_free(&f);
}

Test(tune_cli, two_tuners_at_once_both_land) { race(0); }

Test(tune_cli, a_tuner_waits_for_the_lock_and_both_land) { race(1); }

/* Killed at random moments (some while the lock is held, released just before the kill; some
 * as soon as its temporary file appears), a tuner leaves the old file byte for byte or a whole
 * new one; only its temporary file may remain beside it. */
#define MIN_KILLS 12
#define MIN_KILLS_IN_WRITE 2 /* kills that left a temporary file: inside the write */
#define MIN_SECONDS 2.0
#define MAX_SECONDS 60.0

typedef struct kill_state {
  char path[CLI_PATH_LEN];
  cli_killed killed;
  int in_write, old, new_;
} kill_state;

static const char *const tune_files[] = {"tune.conf", "tune.conf.lock", NULL};

static double random01(unsigned *seed) {
  *seed = *seed * 1664525u + 1013904223u;
  return (double)(*seed >> 8) / 16777216.0;
}

Test(tune_cli, a_killed_tuner_leaves_the_old_file_or_a_whole_new_one, .timeout = 150) {
  static kill_state k;
  memset(&k, 0, sizeof k);
  cli_out_path(k.path, "tune.conf");
  const char *shapes[] = {SHAPE1};
  const char *args[] = {TUNE_ARGS(SHAPE1, "1", k.path), NULL};
  char x[128], key[256];
  snprintf(x, sizeof x, X_ENTRY, tune_isa());
  key_prefix(key, sizeof key, SHAPE1, 1, "fp32");

  /* One whole run: how long a run takes. */
  double start = cli_now();
  int status = wait_status(spawn_recur(args, NULL, NULL));
  double run_seconds = cli_now() - start;
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a whole run failed: %d", status);

  unsigned seed = 2024;
  start = cli_now();
  for (int i = 0; cli_now() - start < MAX_SECONDS; i++) {
    if (cli_now() - start >= MIN_SECONDS && k.killed.n >= MIN_KILLS && k.in_write >= MIN_KILLS_IN_WRITE)
      break;
    size_t old_len;
    char *old = seed_text(shapes, 1, i, &old_len), sentinel[32];
    snprintf(sentinel, sizeof sentinel, "default_ms=%d.0000", 777 + i);
    char *x_line = line_with(old, x);
    write_bytes(k.path, old, old_len);

    int mode = i % 3, lock = mode == 1 ? take_lock(k.path) : -1, reaped = 0;
    pid_t pid = spawn_recur(args, NULL, NULL);
    if (mode == 0) { /* any time in a run */
      cli_sleep(random01(&seed) * 1.2 * run_seconds);
    } else if (mode == 1) { /* at the store: read, merge, write, rename */
      wait_until_blocked(k.path, &pid, 1);
      close(lock);
      cli_sleep(random01(&seed) * 0.003);
    } else { /* inside the write */
      reaped = !cli_wait_for_temporary(tune_files, pid, &status);
    }
    if (!reaped) {
      kill(pid, SIGKILL);
      status = wait_status(pid);
    }
    int killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    cr_assert(killed || (WIFEXITED(status) && WEXITSTATUS(status) == 0), "run %d (mode %d) failed on its own: %d",
              i, mode, status);
    if (killed) {
      cli_killed_add(&k.killed, pid);
    }
    k.in_write += cli_check_leftovers(tune_files, &k.killed, pid) > 0;

    size_t len;
    char *got = cli_read_file(k.path, &len);
    if (len == old_len && !memcmp(got, old, len)) {
      k.old++;
    } else { /* a whole new file: valid, X kept, the sentinel replaced or removed */
      k.new_++;
      recur_tune_file f;
      char *text = expect_valid_file(k.path, &f);
      cr_expect_eq(count_lines_with(text, x_line), 1, "run %d (mode %d): X is gone:\n%s", i, mode, text);
      cr_expect_eq(count_lines_with(text, sentinel), 0, "run %d (mode %d): neither old nor new:\n%s", i, mode, text);
      cr_expect_leq(count_lines_with(text, key), 1, "%s", text);
      cr_expect_eq(f.n, 1 + (size_t)count_lines_with(text, key), "%s", text);
      free(text);
      recur_tune_file_free(&f);
    }
    free(got), free(old), free(x_line);
  }
  cr_log_info("%d runs killed, %d inside the write; the file was old %d times, new %d", k.killed.n,
              k.in_write, k.old, k.new_);
  cr_expect_geq(k.killed.n, MIN_KILLS);
  cr_expect_geq(k.in_write, MIN_KILLS_IN_WRITE, "too few kills landed inside the write");
  cr_expect_gt(k.old, 0);
}

/* ---------------------------------------------------------------------------------------- */
/* Warnings                                                                                  */

/* A run warns on stderr, without failing, of a busy machine (its load average above the CPUs
 * the run's threads leave free, plus half a CPU: recur_bench_busy) and of cases whose times
 * spread more than 10% run to run (the table's spread): exactly when those hold. The load
 * average moves every 5 s: read before and after a one-second run, where both readings agree
 * so did the run's own. */
Test(tune_cli, warns_when_the_machine_is_busy_or_the_times_noisy) {
  char path[CLI_PATH_LEN];
  cli_out_path(path, "tune.conf");
  for (int attempt = 0; attempt < 3; attempt++) {
    double load[2];
    int cpus;
    cr_assert(recur_bench_load(&load[0], &cpus));
    cli_run(TUNE_ARGS(SHAPE1, "1", path), NULL);
    cr_assert(recur_bench_load(&load[1], &cpus));
    int busy = recur_bench_busy(load[0], cpus, 1);
    if (busy != recur_bench_busy(load[1], cpus, 1)) continue;
    cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
    row r = one_row(cli_res.out, path, SHAPE1, 1, "fp32");
    char start[64], said[2][32];
    snprintf(start, sizeof start, "recur tune: warning: %s: the machine is busy (", tune_isa());
    snprintf(said[0], sizeof said[0], "load average %.2f on %d CPUs;", load[0], cpus);
    snprintf(said[1], sizeof said[1], "load average %.2f on %d CPUs;", load[1], cpus);
    char *line = line_with(cli_res.err, start);
    cr_expect_eq(line != NULL, busy, "load %.2f-%.2f on %d CPUs, yet stderr: %s", load[0], load[1],
                 cpus, cli_res.err);
    if (line) cr_expect(strstr(line, said[0]) || strstr(line, said[1]), "%s", line);
    free(line);
    snprintf(start, sizeof start, "recur tune: warning: %s: the times of 1 of 1 cases spread",
             tune_isa());
    line = line_with(cli_res.err, start);
    if (r.spread != 10.0) /* printed to 0.1%: 10.0 may be either side */
      cr_expect_eq(line != NULL, r.spread > 10.0, "spread %.1f%%, yet stderr: %s", r.spread,
                   cli_res.err);
    if (line) cr_expect(strstr(line, "figures are unreliable"), "%s", line);
    free(line);
    return;
  }
  cr_assert_fail("the load average crossed the busy line during each of 3 runs");
}

/* ---------------------------------------------------------------------------------------- */
/* A model's shape, and usage errors                                                         */

Test(tune_cli, tunes_a_models_shape) {
  char model[CLI_PATH_LEN], path[CLI_PATH_LEN];
  golden_path(model, sizeof model, "lstm_proj_bi_l2", ".safetensors");
  cli_out_path(path, "tune.conf");
  recur_net *net;
  cr_assert_eq(recur_net_load(&net, model, NULL), RECUR_OK, "%s", recur_last_error());
  recur_desc d;
  recur_net_describe(net, &d);
  recur_net_free(net);
  cr_assert(d.cell == RECUR_CELL_LSTM && d.bidirectional && d.proj_size > 0, "the golden model changed");
  cli_run("tune", "--model", model, "--batch", "3", "--seq", "4", "--threads", "1", "--isa", tune_isa(),
          "--time-limit", "1", "-o", path, NULL);
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  row r[2];
  cr_assert_eq(parse_table(cli_res.out, path, r, 2), 1, "%s", cli_res.out);
  cr_expect_str_eq(r[0].cell, "bilstm");
  cr_expect(r[0].T == 4 && r[0].B == 3 && r[0].I == d.input_size && r[0].H == d.hidden_size &&
            r[0].P == d.proj_size && r[0].threads == 1, "%s", cli_res.out);
  recur_tune_file f;
  char *text = expect_valid_file(path, &f);
  cr_expect_eq(f.n, 1, "%s", text);
  if (f.n) {
    const recur_tune_key *k = &f.entries[0].key;
    cr_expect(k->cell == RECUR_CELL_LSTM && k->dirs == 2 && k->I == d.input_size && k->H == d.hidden_size &&
              k->P == d.proj_size && k->threads == 1 && k->B == 3 && !strcmp(k->isa, tune_isa()), "%s", text);
  }
  free(text);
  recur_tune_file_free(&f);
}

Test(tune_cli, usage_errors) {
  char model[CLI_PATH_LEN], path[CLI_PATH_LEN], missing[CLI_PATH_LEN];
  golden_path(model, sizeof model, "lstm_l1_uni", ".safetensors");
  cli_out_path(path, "tune.conf");
  cli_tmp_path(missing, "no-such-model.safetensors");
  static const char *const foreign[] = {"neon", "avx2"};
  const char *other = strstr(recur_isa_list(), "neon") ? foreign[1] : foreign[0];

  cli_run("tune", "--model", model, "-o", path, NULL);
  cli_expect_failure(2, "option '--model' needs '--batch'", NULL);
  cli_run("tune", "--batch", "4", "-o", path, NULL);
  cli_expect_failure(2, "'--batch'", "need '--model'", NULL);
  cli_run("tune", "--seq", "4", "-o", path, NULL);
  cli_expect_failure(2, "need '--model'", NULL);
  cli_run("tune", "--model", model, "--batch", "4", "--cells", "lstm", "-o", path, NULL);
  cli_expect_failure(2, "option '--model' excludes '--cells'", NULL);
  cli_run("tune", "--model", model, "--batch", "4", "--shapes", SHAPE1, "-o", path, NULL);
  cli_expect_failure(2, "excludes", "'--shapes'", NULL);
  cli_run("tune", "--time-limit", "0", "-o", path, NULL);
  cli_expect_failure(2, "option '--time-limit': '0'", NULL);
  cli_run("tune", "--model", model, "--batch", "0", "-o", path, NULL);
  cli_expect_failure(2, "option '--batch': '0'", NULL);
  cli_run("tune", "--threads", "0", "-o", path, NULL);
  cli_expect_failure(2, "option '--threads'", NULL);
  cli_run("tune", "--shapes", "1,2", "-o", path, NULL);
  cli_expect_failure(2, "option '--shapes'", NULL);
  cli_run("tune", "--isa", "sse9", "-o", path, NULL);
  cli_expect_failure(2, "unknown instruction set 'sse9'", NULL);
  cli_run("tune", "--isa", "scalar", "-o", path, NULL);
  cli_expect_failure(1, "the scalar table has no tile sizes to tune", NULL);
  cli_run("tune", "--isa", other, "-o", path, NULL);
  cli_expect_failure(1, other, "not available", NULL);
  cli_run("tune", "--model", missing, "--batch", "2", "--isa", tune_isa(), "-o", path, NULL);
  cli_expect_failure(1, missing, NULL);
  cli_expect_out_listing(""); /* none of them wrote anything */

  /* Nowhere to write: -o under a regular file; no -o and no location at all. */
  char under_file[CLI_PATH_LEN + 16];
  snprintf(under_file, sizeof under_file, "%s/tune.conf", path);
  write_bytes(path, "x", 1);
  cli_run(TUNE_ARGS(SHAPE1, "1", under_file), NULL); /* found out after the search */
  cr_expect_eq(cli_res.code, 1, "exit %d: %s", cli_res.code, cli_res.err);
  cr_expect_str_empty(cli_res.out, "%s", cli_res.out);
  const char *last = cli_res.err + strlen(cli_res.err);
  cr_assert(last > cli_res.err && last[-1] == '\n', "stderr: %s", cli_res.err);
  for (last--; last > cli_res.err && last[-1] != '\n';) last--;
  cr_expect(!strncmp(last, "recur: ", 7) && strstr(last, under_file), "stderr: %s", cli_res.err);
  unsetenv("RECUR_TUNE_FILE"), unsetenv("XDG_CONFIG_HOME"), unsetenv("HOME");
  cli_run("tune", "--cells", "lstm", "--shapes", SHAPE1, "--isa", tune_isa(), NULL);
  cli_expect_failure(1, "no tune file location", NULL);
  cli_expect_out_listing("tune.conf");
}
