/* `recur run`'s outputs are all or none. A run that fails changes no file: no output is kept,
 * whatever step failed (a later output, stdout, the final renames), and no temporary is left.
 * An output naming an input's file or another output's, under any spelling or link, is refused
 * before anything runs (h_n over h0 and c_n over c0 excepted: a state updated in place), and
 * anything but a regular file (a folder, FIFO, socket, device) is never replaced. Temporaries
 * fit NAME_MAX. And a tune file over its size limit is refused without being read. */
#define _GNU_SOURCE /* strdup, mknod's makedev */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli_harness.h"
#include "internal.h"
#include "recur.h"
#include "tunefile.h"

TestSuite(outputs, .init = cli_setup, .fini = cli_teardown, .timeout = 120);

#define CASE "lstm_len_h0c0" /* LSTM, 2 layers, T=5 B=4 I=5 H=7, with h0, c0 and lengths */

/* ---- the case's files, and what out/ holds -------------------------------------------------- */

/* The case's inputs, copied into out/ so that any change to them shows. */
typedef struct inputs {
  char model[CLI_PATH_LEN], x[CLI_PATH_LEN], h0[CLI_PATH_LEN], c0[CLI_PATH_LEN],
      len[CLI_PATH_LEN];
} inputs;

static void write_bytes(const char *path, const void *bytes, size_t size) {
  FILE *f = fopen(path, "wb");
  cr_assert_not_null(f, "cannot write %s", path);
  cr_assert_eq(fwrite(bytes, 1, size, f), size);
  cr_assert_eq(fclose(f), 0);
}

static void copy_golden(char *path, const char *suffix, const char *name) {
  char golden[CLI_PATH_LEN];
  golden_path(golden, sizeof golden, CASE, suffix);
  size_t size;
  char *bytes = cli_read_file(golden, &size);
  cli_out_path(path, name);
  write_bytes(path, bytes, size);
  free(bytes);
}

static void setup_inputs(inputs *in) {
  copy_golden(in->model, ".safetensors", "model.safetensors");
  copy_golden(in->x, ".x.npy", "x.npy");
  copy_golden(in->h0, ".h0.npy", "h0.npy");
  copy_golden(in->c0, ".c0.npy", "c0.npy");
  copy_golden(in->len, ".len.npy", "len.npy");
}

/* Runs recur on the case's model and input with more arguments (NULL-terminated). */
__attribute__((sentinel)) static void run(const inputs *in, ...) {
  struct cli_args args = {.n = 0};
  cli_add(&args, "run", in->model, in->x, NULL);
  va_list ap;
  va_start(ap, in);
  for (const char *a; (a = va_arg(ap, const char *));) cli_add(&args, a, NULL);
  va_end(ap);
  cli_run_args(&args);
}

static void expect_success(void) {
  cr_assert_eq(cli_res.code, 0, "exit %d: %s", cli_res.code, cli_res.err);
  cr_expect_str_empty(cli_res.err);
}

/* Everything in out/: each entry's name, type, and bytes (a regular file), target (a link) or
 * device number. */
#define MAX_ENTRIES 32
typedef struct entry {
  char name[NAME_MAX + 1];
  mode_t type;
  dev_t rdev;
  char *bytes;
  size_t size;
} entry;
typedef struct snapshot {
  entry e[MAX_ENTRIES];
  int n;
} snapshot;

static void take_snapshot(snapshot *s) {
  char dir[CLI_PATH_LEN], path[CLI_PATH_LEN];
  cli_out_path(dir, "");
  struct dirent **names;
  int count = scandir(dir, &names, NULL, alphasort);
  cr_assert_geq(count, 0);
  s->n = 0;
  for (int i = 0; i < count; i++) {
    const char *name = names[i]->d_name;
    if (strcmp(name, ".") != 0 && strcmp(name, "..") != 0) {
      cr_assert_lt(s->n, MAX_ENTRIES);
      entry *e = &s->e[s->n++];
      memset(e, 0, sizeof *e);
      snprintf(e->name, sizeof e->name, "%s", name);
      cli_out_path(path, name);
      struct stat st;
      cr_assert_eq(lstat(path, &st), 0, "%s", path);
      e->type = st.st_mode & S_IFMT;
      e->rdev = st.st_rdev;
      if (S_ISREG(st.st_mode)) {
        e->bytes = cli_read_file(path, &e->size);
      } else if (S_ISLNK(st.st_mode)) {
        e->bytes = calloc(1, PATH_MAX);
        cr_assert_gt(readlink(path, e->bytes, PATH_MAX - 1), 0);
      }
    }
    free(names[i]);
  }
  free(names);
}

static void free_snapshot(snapshot *s) {
  for (int i = 0; i < s->n; i++) free(s->e[i].bytes);
  s->n = 0;
}

static const entry *find_entry(const snapshot *s, const char *name) {
  for (int i = 0; i < s->n; i++)
    if (!strcmp(s->e[i].name, name)) return &s->e[i];
  return NULL;
}

/* out/ holds what it held when before was taken, entry for entry and byte for byte: no file
 * changed, none appeared (no temporary either), none went. */
static void expect_unchanged(const snapshot *before, const char *what) {
  snapshot now;
  take_snapshot(&now);
  for (int i = 0; i < now.n; i++)
    cr_expect(find_entry(before, now.e[i].name), "%s: %s appeared", what, now.e[i].name);
  for (int i = 0; i < before->n; i++) {
    const entry *a = &before->e[i], *b = find_entry(&now, a->name);
    cr_expect(b, "%s: %s went", what, a->name);
    if (!b) continue;
    cr_expect_eq(b->type, a->type, "%s: %s changed type", what, a->name);
    cr_expect_eq(b->rdev, a->rdev, "%s: %s changed device", what, a->name);
    int same = b->size == a->size &&
               (!a->bytes || (b->bytes && memcmp(a->bytes, b->bytes, a->size) == 0)) &&
               (a->type != S_IFLNK || strcmp(a->bytes, b->bytes) == 0);
    cr_expect(same, "%s: %s changed", what, a->name);
  }
  free_snapshot(&now);
}

/* The last run failed (exit 1, one line naming needle), and out/ is as it was. */
static void expect_refused(const snapshot *before, const char *needle, const char *what) {
  cli_expect_failure(1, needle, NULL);
  expect_unchanged(before, what);
}

static int same_bytes(const char *a, const char *b) {
  size_t na, nb;
  char *x = cli_read_file(a, &na), *y = cli_read_file(b, &nb);
  int same = na == nb && memcmp(x, y, na) == 0;
  free(x);
  free(y);
  return same;
}

/* ---- outputs over inputs -------------------------------------------------------------------- */

Test(outputs, an_output_over_an_input_is_refused) {
  inputs in;
  setup_inputs(&in);
  char y[CLI_PATH_LEN], x_dot[CLI_PATH_LEN], h0_dot[CLI_PATH_LEN], x_link[CLI_PATH_LEN],
      model_hard[CLI_PATH_LEN], missing[CLI_PATH_LEN];
  cli_out_path(y, "y.npy");
  cli_out_path(x_dot, "./x.npy");
  cli_out_path(h0_dot, "./h0.npy");
  cli_out_path(x_link, "x-link.npy");
  cli_out_path(model_hard, "model-hard.safetensors");
  cli_out_path(missing, "no/dir/hn.npy");
  cr_assert_eq(symlink("x.npy", x_link), 0);
  cr_assert_eq(link(in.model, model_hard), 0);
  struct {
    const char *args[12], *input;
  } cases[] = {
      {{"-o", in.x}, "INPUT"},
      {{"-o", x_dot}, "INPUT"},
      {{"-o", x_link}, "INPUT"},
      {{"-o", in.x, "--hn", missing}, "INPUT"}, /* the issue's: x.npy was deleted */
      {{"-o", y, "--hn", in.x}, "INPUT"},
      {{"-o", in.model}, "MODEL"},
      {{"-o", model_hard}, "MODEL"},
      {{"-o", y, "--cn", in.model}, "MODEL"},
      {{"--h0", in.h0, "-o", in.h0}, "--h0"},
      {{"--h0", in.h0, "--cn", in.h0}, "--h0"},  /* only h_n may replace h0 */
      {{"--c0", in.c0, "--hn", in.c0}, "--c0"},  /* only c_n may replace c0 */
      {{"--h0", in.h0, "--c0", in.c0, "-o", y, "--hn", in.h0, "--cn", h0_dot}, "--h0"},
      {{"--lengths", in.len, "-o", y, "--hn", in.len}, "--lengths"},
  };
  snapshot before;
  take_snapshot(&before);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct cli_args args = {.n = 0};
    cli_add(&args, "run", in.model, in.x, NULL);
    for (const char *const *a = cases[i].args; *a; a++) cli_add(&args, *a, NULL);
    cli_run_args(&args);
    char what[32];
    snprintf(what, sizeof what, "case %zu", i);
    expect_refused(&before, "same file", what);
    cr_expect(strstr(cli_res.err, cases[i].input), "%s: stderr lacks %s: %s", what,
              cases[i].input, cli_res.err);
  }
  free_snapshot(&before);
}

/* --hn h0 and --cn c0 (under another spelling) update the state in place: the same bytes as
 * outputs written beside the inputs, and PyTorch's numbers. */
Test(outputs, h_n_and_c_n_may_replace_h0_and_c0) {
  inputs in;
  setup_inputs(&in);
  char y[CLI_PATH_LEN], hn[CLI_PATH_LEN], cn[CLI_PATH_LEN], y2[CLI_PATH_LEN], c0_dot[CLI_PATH_LEN];
  cli_out_path(y, "y.npy");
  cli_out_path(hn, "hn.npy");
  cli_out_path(cn, "cn.npy");
  cli_out_path(y2, "y2.npy");
  cli_out_path(c0_dot, "./c0.npy");
  run(&in, "--h0", in.h0, "--c0", in.c0, "--lengths", in.len, "-o", y, "--hn", hn, "--cn", cn,
      NULL);
  expect_success();
  run(&in, "--h0", in.h0, "--c0", in.c0, "--lengths", in.len, "-o", y2, "--hn", in.h0, "--cn",
      c0_dot, NULL);
  expect_success();
  cr_expect(same_bytes(y, y2), "y differs when the state is updated in place");
  cr_expect(same_bytes(hn, in.h0), "h0.npy is not h_n");
  cr_expect(same_bytes(cn, in.c0), "c0.npy is not c_n");
  const golden_case *c = cli_golden_case(CASE);
  cli_expect_golden(c, ".hn.npy", in.h0);
  cli_expect_golden(c, ".cn.npy", in.c0);
  cli_expect_golden(c, ".y.npy", y2);
  cli_expect_out_listing("c0.npy cn.npy h0.npy hn.npy len.npy model.safetensors x.npy y.npy "
                         "y2.npy");
}

/* ---- one file for two outputs --------------------------------------------------------------- */

/* y.npy under other names: spellings (also while y.npy does not exist yet) and links. */
static void expect_two_names_refused(const inputs *in, const char *other, int exists) {
  char y[CLI_PATH_LEN];
  cli_out_path(y, "y.npy");
  const char *options[][2] = {{"-o", "--hn"}, {"--hn", "-o"}, {"-o", "--cn"}, {"--hn", "--cn"}};
  snapshot before;
  take_snapshot(&before);
  for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
    run(in, options[i][0], y, options[i][1], other, NULL);
    char what[CLI_PATH_LEN + 64];
    snprintf(what, sizeof what, "%s y.npy %s %s (y.npy %s)", options[i][0], options[i][1], other,
             exists ? "exists" : "absent");
    expect_refused(&before, "same file", what);
  }
  free_snapshot(&before);
}

Test(outputs, one_file_for_two_outputs_is_refused) {
  inputs in;
  setup_inputs(&in);
  char dot[CLI_PATH_LEN], slashes[CLI_PATH_LEN], dotdot[CLI_PATH_LEN], sub[CLI_PATH_LEN],
      sym[CLI_PATH_LEN], hard[CLI_PATH_LEN], y[CLI_PATH_LEN];
  cli_out_path(dot, "./y.npy");
  cli_out_path(slashes, "/y.npy"); /* out//y.npy */
  cli_out_path(sub, "sub");
  cli_out_path(dotdot, "sub/../y.npy");
  cr_assert_eq(mkdir(sub, 0700), 0);
  const char *spellings[] = {dot, slashes, dotdot};
  for (int exists = 0; exists < 2; exists++) {
    for (size_t i = 0; i < 3; i++) expect_two_names_refused(&in, spellings[i], exists);
    cli_out_path(y, "y.npy");
    write_bytes(y, "old", 3);
  }
  cli_out_path(sym, "y-link.npy");
  cli_out_path(hard, "y-hard.npy");
  cr_assert_eq(symlink("y.npy", sym), 0);
  cr_assert_eq(link(y, hard), 0);
  expect_two_names_refused(&in, sym, 1);
  expect_two_names_refused(&in, hard, 1);
}

/* ---- only regular files are replaced -------------------------------------------------------- */

static void make_socket(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  cr_assert_lt(strlen(path), sizeof addr.sun_path, "socket path too long: %s", path);
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  cr_assert_geq(fd, 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0, "bind %s", path);
  close(fd);
}

/* A folder, a FIFO (no run may wait on it), a socket, a character device (made here: a null
 * device, where mknod is allowed) and a link to the FIFO, as each output: refused, each still
 * what it was, no output written. Then the system's /dev/null. */
Test(outputs, only_regular_files_are_replaced) {
  inputs in;
  setup_inputs(&in);
  char y[CLI_PATH_LEN], kinds[5][CLI_PATH_LEN];
  cli_out_path(y, "y.npy");
  cli_out_path(kinds[0], "folder");
  cli_out_path(kinds[1], "fifo");
  cli_out_path(kinds[2], "sock");
  cli_out_path(kinds[3], "null");
  cli_out_path(kinds[4], "fifo-link");
  cr_assert_eq(mkdir(kinds[0], 0700), 0);
  cr_assert_eq(mkfifo(kinds[1], 0600), 0);
  make_socket(kinds[2]);
  int have_device = mknod(kinds[3], S_IFCHR | 0666, makedev(1, 3)) == 0;
  cr_assert_eq(symlink("fifo", kinds[4]), 0);
  snapshot before;
  take_snapshot(&before);
  for (int i = 0; i < 5; i++) {
    if (i == 3 && !have_device) continue;
    run(&in, "-o", kinds[i], NULL);
    expect_refused(&before, kinds[i], kinds[i]);
    run(&in, "-o", y, "--hn", kinds[i], NULL);
    expect_refused(&before, kinds[i], kinds[i]);
    cr_expect(strstr(cli_res.err, i ? "not a regular file" : "Is a directory"), "%s",
              cli_res.err);
  }
  if (!have_device && geteuid() == 0)
    cr_skip_test("no mknod here: /dev/null is left alone rather than risked as root");
  struct stat was, is;
  cr_assert_eq(stat("/dev/null", &was), 0);
  run(&in, "-o", "/dev/null", NULL);
  expect_refused(&before, "/dev/null: not a regular file", "/dev/null");
  cr_assert_eq(stat("/dev/null", &is), 0);
  cr_expect(S_ISCHR(is.st_mode) && is.st_rdev == was.st_rdev && is.st_ino == was.st_ino,
            "/dev/null was replaced");
  free_snapshot(&before);
}

/* ---- names at NAME_MAX ---------------------------------------------------------------------- */

/* A name of len bytes: "é" (2 bytes) repeated, or 'n' where utf8 is 0, ending ".npy". */
static void long_name(char *buf, size_t len, int utf8) {
  size_t i = 0;
  for (; i + 4 < len; i++) buf[i] = utf8 ? (i % 2 ? (char)0xa9 : (char)0xc3) : 'n';
  if (utf8 && (len - 4) % 2) buf[i - 1] = 'n'; /* no cut character before the suffix */
  strcpy(buf + i, ".npy");
}

Test(outputs, outputs_with_the_longest_names_are_written) {
  inputs in;
  setup_inputs(&in);
  const golden_case *c = cli_golden_case(CASE);
  const struct {
    size_t len;
    int utf8;
  } names[] = {{250, 0}, {NAME_MAX, 0}, {NAME_MAX - 1, 1}, {NAME_MAX, 1}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    char name[NAME_MAX + 1], path[CLI_PATH_LEN], listing[2 * NAME_MAX + 64];
    long_name(name, names[i].len, names[i].utf8);
    cr_assert_eq(strlen(name), names[i].len);
    cli_out_path(path, name);
    run(&in, "--h0", in.h0, "--c0", in.c0, "--lengths", in.len, "--hn", path, NULL);
    expect_success();
    cli_expect_golden(c, ".hn.npy", path);
    snprintf(listing, sizeof listing, "c0.npy h0.npy len.npy model.safetensors %s%s%s",
             names[i].utf8 ? "x.npy " : "", name, names[i].utf8 ? "" : " x.npy"); /* byte order */
    cli_expect_out_listing(listing); /* and no temporary */
    cr_assert_eq(unlink(path), 0);
  }
}

/* The library's temporaries: in the target's folder, at most NAME_MAX bytes, the target's name
 * cut where it must be, between UTF-8 characters. */
Test(outputs, temporary_names_fit_name_max) {
  for (size_t len = 1; len <= NAME_MAX; len += len < 200 ? 50 : 1) {
    for (int utf8 = 0; utf8 < 2; utf8++) {
      char name[NAME_MAX + 1], path[CLI_PATH_LEN], folder[CLI_PATH_LEN];
      if (len < 5) continue;
      long_name(name, len, utf8);
      cli_out_path(path, name);
      cli_out_path(folder, "");
      recur_staging s = {0};
      cr_assert_eq(recur_stage_file(&s, path, "x", 1, NULL, 0), RECUR_OK, "%s",
                   recur_last_error());
      const char *tmp = s.files[0].tmp, *base = strrchr(tmp, '/') + 1;
      cr_expect_eq(strncmp(tmp, folder, strlen(folder)), 0, "%s is not in %s", tmp, folder);
      cr_expect_leq(strlen(base), NAME_MAX, "%zu-byte name: temporary of %zu bytes", len,
                    strlen(base));
      const char *suffix = strstr(base, ".tmp.");
      cr_assert_not_null(suffix, "%s", base);
      size_t kept = (size_t)(suffix - base);
      cr_expect_eq(strncmp(base, name, kept), 0, "%s does not begin with the name", base);
      cr_expect(kept == len || ((unsigned char)name[kept] & 0xc0) != 0x80,
                "%zu-byte name cut inside a character at %zu", len, kept);
      cr_expect(kept == len || kept + strlen(suffix) > NAME_MAX - 2, "%zu-byte name cut short at %zu",
                len, kept);
      recur_discard_staged(&s);
      cli_expect_out_listing("");
    }
  }
}

/* ---- failures after the outputs are written ------------------------------------------------- */

/* stdout fails (a full disk): h_n and c_n, written before the summary, are not kept. */
Test(outputs, a_failed_stdout_keeps_no_output) {
  if (access("/dev/full", W_OK) != 0) cr_skip_test("no /dev/full");
  inputs in;
  setup_inputs(&in);
  char hn[CLI_PATH_LEN], cn[CLI_PATH_LEN];
  cli_out_path(hn, "hn.npy");
  cli_out_path(cn, "cn.npy");
  write_bytes(cn, "old", 3);
  snapshot before;
  take_snapshot(&before);
  struct cli_args args = {.n = 0};
  cli_add(&args, "run", in.model, in.x, "--hn", hn, "--cn", cn, NULL);
  cli_run_args_stdout(&args, "/dev/full");
  expect_refused(&before, "stdout: write error", "stdout /dev/full");
  free_snapshot(&before);
}

/* A later output cannot be written (the file size limit stands in for a full disk): the
 * earlier one, already written to its temporary, is not kept, and the old y stays. */
Test(outputs, a_failed_later_output_keeps_no_output) {
  inputs in;
  setup_inputs(&in);
  char x1[CLI_PATH_LEN], y[CLI_PATH_LEN], hn[CLI_PATH_LEN];
  float x[4 * 5];
  for (int i = 0; i < 4 * 5; i++) x[i] = (float)i / 20.0f - 0.5f;
  cli_out_path(x1, "x1.npy"); /* one step, so that y (4x7) is smaller than h_n (2x4x7) */
  cr_assert_eq(recur_npy_save(x1, x, 3, (int64_t[]){1, 4, 5}), RECUR_OK);
  snprintf(in.x, sizeof in.x, "%s", x1);
  cli_out_path(y, "y.npy");
  cli_out_path(hn, "hn.npy");
  run(&in, "-o", y, "--hn", hn, NULL);
  expect_success();
  struct stat ys, hs;
  cr_assert(stat(y, &ys) == 0 && stat(hn, &hs) == 0 && ys.st_size < hs.st_size);
  cr_assert_eq(unlink(hn), 0);
  write_bytes(y, "old", 3);
  snapshot before;
  take_snapshot(&before);
  signal(SIGXFSZ, SIG_IGN); /* inherited: the write fails with EFBIG instead of killing recur */
  struct rlimit limit;
  cr_assert_eq(getrlimit(RLIMIT_FSIZE, &limit), 0);
  limit.rlim_cur = (rlim_t)(ys.st_size + hs.st_size) / 2;
  cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
  run(&in, "-o", y, "--hn", hn, NULL);
  expect_refused(&before, hn, "h_n over the size limit");
  cr_expect(strstr(cli_res.err, "File too large"), "%s", cli_res.err);
  free_snapshot(&before);
}

/* The library's commit: when a file cannot be moved into place (here its temporary is gone),
 * those moved before it are put back, whether they replaced a file or made one. */
Test(outputs, a_failed_commit_puts_back_what_it_moved) {
  char a[CLI_PATH_LEN], b[CLI_PATH_LEN], c[CLI_PATH_LEN];
  cli_out_path(a, "a");
  cli_out_path(b, "b");
  cli_out_path(c, "c");
  write_bytes(a, "old a", 5);
  write_bytes(c, "old c", 5);
  snapshot before;
  take_snapshot(&before);
  recur_staging s = {0};
  cr_assert_eq(recur_stage_file(&s, a, "new ", 4, "a", 1), RECUR_OK);
  cr_assert_eq(recur_stage_file(&s, b, "new b", 5, NULL, 0), RECUR_OK); /* b: a new file */
  cr_assert_eq(recur_stage_file(&s, c, "new c", 5, NULL, 0), RECUR_OK);
  cr_assert_eq(unlink(s.files[2].tmp), 0);
  cr_expect_eq(recur_commit_staged(&s), RECUR_ERR_IO);
  cr_expect_str_eq(s.failed, c);
  cr_expect(strstr(recur_last_error(), c), "%s", recur_last_error());
  recur_discard_staged(&s);
  expect_unchanged(&before, "failed commit");

  cr_assert_eq(recur_stage_file(&s, a, "new ", 4, "a", 1), RECUR_OK);
  cr_assert_eq(recur_stage_file(&s, b, "new b", 5, NULL, 0), RECUR_OK);
  cr_assert_eq(recur_commit_staged(&s), RECUR_OK, "%s", recur_last_error());
  recur_discard_staged(&s);
  char *got = cli_read_file(a, NULL);
  cr_expect_str_eq(got, "new a");
  free(got);
  got = cli_read_file(b, NULL);
  cr_expect_str_eq(got, "new b");
  free(got);
  cli_expect_out_listing("a b c");
  free_snapshot(&before);
}

/* ---- tune files too large to read ----------------------------------------------------------- */

static void make_sparse(const char *path, off_t size) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  cr_assert_geq(fd, 0, "%s", path);
  cr_assert_eq(ftruncate(fd, size), 0, "ftruncate %s to %lld", path, (long long)size);
  close(fd);
}

/* A 4 GiB tune file (sparse) is refused at once, by `recur info`, by a run, and in the library,
 * which says why; a run goes on with the default plans. */
Test(outputs, a_huge_tune_file_is_refused_unread) {
  inputs in;
  setup_inputs(&in);
  char tune[CLI_PATH_LEN], y[CLI_PATH_LEN];
  cli_tmp_path(tune, "tune.conf");
  cli_out_path(y, "y.npy");
  make_sparse(tune, (off_t)4 << 30);
  cr_assert_eq(setenv("RECUR_TUNE_FILE", tune, 1), 0);
  double start = cli_now();
  cli_run("info", NULL);
  expect_success();
  cr_expect(strstr(cli_res.out, "over the limit"), "stdout: %s", cli_res.out);
  run(&in, "--h0", in.h0, "--c0", in.c0, "--lengths", in.len, "-o", y, NULL);
  expect_success();
  cli_expect_golden(cli_golden_case(CASE), ".y.npy", y);
  recur_tune_info info;
  recur_tune_status(&info);
  double seconds = cli_now() - start;
  cr_expect_eq(info.loaded, 0);
  cr_expect(info.reason && strstr(info.reason, "over the limit"), "reason: %s", info.reason);
  cr_expect_lt(seconds, 10.0, "%.1f s to refuse a 4 GiB tune file", seconds);
}

/* The reader under its limit: a file of max bytes is read, max + 1 is RECUR_ERR_BAD_FILE
 * without a byte read, and a device is refused without waiting. */
Test(outputs, reading_at_most_a_limit) {
  char path[CLI_PATH_LEN];
  cli_tmp_path(path, "file");
  const size_t max = RECUR_TUNE_MAX_BYTES;
  recur_file_bytes bytes;
  make_sparse(path, (off_t)max);
  cr_assert_eq(recur_read_file_at_most(path, max, &bytes), RECUR_OK, "%s", recur_last_error());
  cr_expect_eq(bytes.size, max);
  recur_free_file(&bytes);
  make_sparse(path, (off_t)max + 1);
  cr_expect_eq(recur_read_file_at_most(path, max, &bytes), RECUR_ERR_BAD_FILE);
  cr_expect(strstr(recur_last_error(), path) && strstr(recur_last_error(), "over the limit"),
            "%s", recur_last_error());
  cr_expect_null(bytes.data);
  cr_expect_eq(recur_read_file_at_most("/dev/zero", max, &bytes), RECUR_ERR_IO);
  cr_expect(strstr(recur_last_error(), "not a regular file"), "%s", recur_last_error());
}
