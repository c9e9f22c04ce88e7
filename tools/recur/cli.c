/* Command-line parsing for `recur`: table-driven and strict (unknown, duplicate, missing or
 * malformed options and stray arguments are all usage errors). */
#include "cli.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "recur_tool.h"

/* Longest piece of an argument quoted back in a message. */
#define QUOTE_MAX 64

enum opt_kind { OPT_PATH, OPT_FLAG, OPT_THREADS, OPT_THREAD_LIST, OPT_ISA, OPT_ISA_OR_ALL,
                OPT_PRECISION, OPT_PRECISION_LIST, OPT_CELLS, OPT_SHAPES, OPT_SIZE, OPT_SECONDS, OPT_HELP };

/* Largest --time-limit: a day. */
#define MAX_SECONDS 86400

struct opt_spec {
  const char *name;
  const char *alias; /* another spelling, or NULL */
  enum opt_kind kind;
  size_t field; /* offsetof the field in struct recur_cli_opts (unused for OPT_HELP) */
};

#define FIELD(f) offsetof(struct recur_cli_opts, f)

static const struct opt_spec run_opts[] = {
    {"-o", NULL, OPT_PATH, FIELD(y_path)},
    {"--hn", NULL, OPT_PATH, FIELD(hn_path)},
    {"--cn", NULL, OPT_PATH, FIELD(cn_path)},
    {"--h0", NULL, OPT_PATH, FIELD(h0_path)},
    {"--c0", NULL, OPT_PATH, FIELD(c0_path)},
    {"--lengths", NULL, OPT_PATH, FIELD(lengths_path)},
    {"--prefix", NULL, OPT_PATH, FIELD(prefix)},
    {"--batch-first", NULL, OPT_FLAG, FIELD(batch_first)},
    {"--time-first", NULL, OPT_FLAG, FIELD(time_first)},
    {"--threads", NULL, OPT_THREADS, FIELD(threads)},
    {"--isa", NULL, OPT_ISA, FIELD(isa)},
    {"--precision", NULL, OPT_PRECISION, FIELD(precision)},
    {"--help", "-h", OPT_HELP, 0},
};

static const struct opt_spec bench_opts[] = {
    {"--cells", NULL, OPT_CELLS, FIELD(cells)},
    {"--shapes", NULL, OPT_SHAPES, FIELD(shapes)},
    {"--isa", NULL, OPT_ISA_OR_ALL, FIELD(isa)},
    {"--threads", NULL, OPT_THREAD_LIST, FIELD(thread_counts)},
    {"--csv", NULL, OPT_FLAG, FIELD(csv)},
    {"--json", NULL, OPT_FLAG, FIELD(json)},
    {"--quick", NULL, OPT_FLAG, FIELD(quick)},
    {"--vs-onednn", NULL, OPT_FLAG, FIELD(vs_onednn)},
    {"--vs-defaults", NULL, OPT_FLAG, FIELD(vs_defaults)},
    {"--onednn-only", NULL, OPT_FLAG, FIELD(onednn_only)},
    {"--precision", NULL, OPT_PRECISION_LIST, FIELD(precisions)},
    {"--help", "-h", OPT_HELP, 0},
};

static const struct opt_spec tune_opts[] = {
    {"--model", NULL, OPT_PATH, FIELD(model_path)},
    {"--prefix", NULL, OPT_PATH, FIELD(prefix)},
    {"--batch", NULL, OPT_SIZE, FIELD(batch)},
    {"--seq", NULL, OPT_SIZE, FIELD(seq)},
    {"--cells", NULL, OPT_CELLS, FIELD(cells)},
    {"--shapes", NULL, OPT_SHAPES, FIELD(shapes)},
    {"--isa", NULL, OPT_ISA_OR_ALL, FIELD(isa)},
    {"--threads", NULL, OPT_THREAD_LIST, FIELD(thread_counts)},
    {"--time-limit", NULL, OPT_SECONDS, FIELD(time_limit)},
    {"--precision", NULL, OPT_PRECISION, FIELD(precision)},
    {"-o", NULL, OPT_PATH, FIELD(tune_path)},
    {"--help", "-h", OPT_HELP, 0},
};

static const struct opt_spec info_opts[] = {
    {"--peak", NULL, OPT_FLAG, FIELD(peak)},
    {"--prefix", NULL, OPT_PATH, FIELD(prefix)},
    {"--help", "-h", OPT_HELP, 0},
};

static const size_t run_positionals[] = {FIELD(model_path), FIELD(input_path)};
static const char *const run_positional_names[] = {"MODEL", "INPUT"};
static const size_t info_positionals[] = {FIELD(model_path)};
static const char *const info_positional_names[] = {"MODEL"};

struct command_spec {
  const char *name;
  enum recur_cli_command command;
  const struct opt_spec *opts;
  size_t n_opts;
  const size_t *positionals; /* offsets of the positional arguments, in order */
  const char *const *positional_names;
  size_t n_positionals;
  size_t n_required; /* the first n_required positionals must be given */
};

static const struct command_spec commands[] = {
    {"run", RECUR_CLI_RUN, run_opts, sizeof run_opts / sizeof run_opts[0], run_positionals,
     run_positional_names, 2, 2},
    {"info", RECUR_CLI_INFO, info_opts, sizeof info_opts / sizeof info_opts[0], info_positionals,
     info_positional_names, 1, 0},
    {"bench", RECUR_CLI_BENCH, bench_opts, sizeof bench_opts / sizeof bench_opts[0], NULL, NULL, 0,
     0},
    {"tune", RECUR_CLI_TUNE, tune_opts, sizeof tune_opts / sizeof tune_opts[0], NULL, NULL, 0, 0},
};

/* Where a usage error's message goes. */
struct err_sink {
  char *buf;
  size_t len;
};

/* Writes the message on one line (control characters from argv become '?') and returns
 * RECUR_CLI_USAGE_ERROR. */
__attribute__((format(printf, 2, 3))) static enum recur_cli_status usage_error(
    struct err_sink *sink, const char *fmt, ...) {
  if (sink->buf && sink->len > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sink->buf, sink->len, fmt, ap);
    va_end(ap);
    for (char *c = sink->buf; *c; c++) {
      if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
    }
  }
  return RECUR_CLI_USAGE_ERROR;
}

static int is_help(const char *arg) {
  return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static const char **string_field(struct recur_cli_opts *out, size_t field) {
  return (const char **)(void *)((char *)out + field);
}

static int *int_field(struct recur_cli_opts *out, size_t field) {
  return (int *)(void *)((char *)out + field);
}

/* A number at the start of s: digits only (no sign, no spaces), value in 1..max; *end is past
 * the digits. */
static int parse_number(const char *s, const char **end, int64_t max, int64_t *out) {
  int64_t value = 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    value = value * 10 + (*s - '0');
    if (value > max) return 0;
  }
  if (value < 1) return 0;
  *end = s;
  *out = value;
  return 1;
}

/* A thread count at the start of s. */
static int parse_count(const char *s, const char **end, int *out) {
  int64_t value;
  if (!parse_number(s, end, RECUR_CLI_MAX_THREADS, &value)) return 0;
  *out = (int)value;
  return 1;
}

/* A number in 1..max, nothing after it. */
static int parse_size(const char *s, int64_t max, int64_t *out) {
  return parse_number(s, &s, max, out) && *s == '\0';
}

/* One thread count, nothing after it. */
static int parse_threads(const char *s, int *out) {
  return parse_count(s, &s, out) && *s == '\0';
}

/* "N[,N...]": up to RECUR_BENCH_MAX_THREAD_COUNTS distinct thread counts. Returns 1, or 0 with
 * a message in msg. */
static int parse_thread_list(const char *s, struct recur_cli_opts *out, char *msg, size_t len) {
  int n = 0;
  for (const char *p = s;; p++) {
    int value;
    if (!parse_count(p, &p, &value) || (*p != ',' && *p != '\0')) {
      snprintf(msg, len, "'%.*s' is not a list of integers in 1..%d (like 1,2)", QUOTE_MAX, s,
               RECUR_CLI_MAX_THREADS);
      return 0;
    }
    if (n == RECUR_BENCH_MAX_THREAD_COUNTS) {
      snprintf(msg, len, "more than %d thread counts", RECUR_BENCH_MAX_THREAD_COUNTS);
      return 0;
    }
    for (int i = 0; i < n; i++) {
      if (out->thread_counts[i] == value) {
        snprintf(msg, len, "thread count %d given twice", value);
        return 0;
      }
    }
    out->thread_counts[n++] = value;
    if (*p == '\0') break;
  }
  out->n_thread_counts = n;
  return 1;
}

/* The precision named by the first len characters of s (the library's lookup); 0 if none is. */
static int parse_precision(const char *s, size_t len, recur_precision *out) {
  return recur_precision_from_name(s, len, out) == RECUR_OK;
}

/* "P[,P...]": distinct precisions. Returns 1, or 0 with a message in msg. */
static int parse_precision_list(const char *s, struct recur_cli_opts *out, char *msg, size_t len) {
  int n = 0;
  for (;;) {
    size_t item = strcspn(s, ",");
    recur_precision p;
    if (!parse_precision(s, item, &p)) {
      snprintf(msg, len, "unknown precision '%.*s' (expected some of %s, comma-separated)",
               (int)(item < QUOTE_MAX ? item : QUOTE_MAX), s, recur_tool_precision_names());
      return 0;
    }
    for (int i = 0; i < n; i++) {
      if (out->precisions[i] == p) {
        snprintf(msg, len, "precision %s given twice", recur_precision_name(p));
        return 0;
      }
    }
    if (n == RECUR_BENCH_MAX_PRECISIONS) {
      snprintf(msg, len, "more than %d precisions", RECUR_BENCH_MAX_PRECISIONS);
      return 0;
    }
    out->precisions[n++] = p;
    if (s[item] == '\0') break;
    s += item + 1;
  }
  out->n_precisions = n;
  return 1;
}

/* The spec whose name or alias is exactly the first name_len characters of arg. */
static const struct opt_spec *find_opt(const struct command_spec *cmd, const char *arg,
                                       size_t name_len) {
  for (size_t i = 0; i < cmd->n_opts; i++) {
    const struct opt_spec *spec = &cmd->opts[i];
    const char *names[2] = {spec->name, spec->alias};
    for (int k = 0; k < 2; k++) {
      if (names[k] && strlen(names[k]) == name_len && strncmp(arg, names[k], name_len) == 0)
        return spec;
    }
  }
  return NULL;
}

/* Stores an option's value, checking it. */
static enum recur_cli_status store_value(const struct opt_spec *spec, const char *value,
                                         struct recur_cli_opts *out, struct err_sink *sink) {
  if (value[0] == '\0') return usage_error(sink, "option '%s' needs a non-empty value", spec->name);
  char msg[160];
  switch (spec->kind) {
    case OPT_THREADS:
      if (!parse_threads(value, int_field(out, spec->field)))
        return usage_error(sink, "option '--threads': '%.*s' is not an integer in 1..%d",
                           QUOTE_MAX, value, RECUR_CLI_MAX_THREADS);
      return RECUR_CLI_OK;
    case OPT_THREAD_LIST:
      if (!parse_thread_list(value, out, msg, sizeof msg))
        return usage_error(sink, "option '--threads': %s", msg);
      return RECUR_CLI_OK;
    case OPT_CELLS:
      if (!recur_bench_parse_cells(value, &out->cells, msg, sizeof msg))
        return usage_error(sink, "option '--cells': %s", msg);
      return RECUR_CLI_OK;
    case OPT_SHAPES:
      if (!recur_bench_parse_shapes(value, out->shapes, &out->n_shapes, msg, sizeof msg))
        return usage_error(sink, "option '--shapes': %s", msg);
      return RECUR_CLI_OK;
    case OPT_SIZE:
    case OPT_SECONDS: {
      int64_t max = spec->kind == OPT_SIZE ? RECUR_BENCH_MAX_DIM : MAX_SECONDS;
      if (!parse_size(value, max, (int64_t *)(void *)((char *)out + spec->field)))
        return usage_error(sink, "option '%s': '%.*s' is not an integer in 1..%lld", spec->name,
                           QUOTE_MAX, value, (long long)max);
      return RECUR_CLI_OK;
    }
    case OPT_PRECISION:
      if (!parse_precision(value, strlen(value), (recur_precision *)(void *)((char *)out + spec->field)))
        return usage_error(sink, "option '%s': unknown precision '%.*s' (expected one of %s)",
                           spec->name, QUOTE_MAX, value, recur_tool_precision_names());
      return RECUR_CLI_OK;
    case OPT_PRECISION_LIST:
      if (!parse_precision_list(value, out, msg, sizeof msg))
        return usage_error(sink, "option '%s': %s", spec->name, msg);
      return RECUR_CLI_OK;
    case OPT_ISA_OR_ALL:
      if (strcmp(value, "all") == 0) {
        out->isa_all = 1;
        return RECUR_CLI_OK;
      }
      /* fall through */
    case OPT_ISA:
      if (!recur_tool_isa_known(value))
        return usage_error(sink, "option '--isa': unknown instruction set '%.*s' (expected one "
                           "of %s%s)", QUOTE_MAX, value, recur_tool_isa_names(),
                           spec->kind == OPT_ISA_OR_ALL ? ", or all" : "");
      *string_field(out, spec->field) = value;
      return RECUR_CLI_OK;
    default:
      *string_field(out, spec->field) = value;
      return RECUR_CLI_OK;
  }
}

/* Parses the arguments after the command name. */
static enum recur_cli_status parse_command(const struct command_spec *cmd, int argc, char **argv,
                                           struct recur_cli_opts *out, struct err_sink *sink) {
  uint32_t seen = 0; /* bit i: cmd->opts[i] was given */
  size_t n_positionals = 0;
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    if (arg[0] != '-' || arg[1] == '\0') { /* "-" alone is a file name, not an option */
      if (n_positionals == cmd->n_positionals)
        return usage_error(sink, "unexpected argument '%.*s'", QUOTE_MAX, arg);
      if (arg[0] == '\0')
        return usage_error(sink, "%s is an empty string", cmd->positional_names[n_positionals]);
      *string_field(out, cmd->positionals[n_positionals++]) = arg;
      continue;
    }
    const char *eq = strchr(arg, '=');
    size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    const struct opt_spec *spec = find_opt(cmd, arg, name_len);
    if (!spec) return usage_error(sink, "unknown option '%.*s'", QUOTE_MAX, arg);
    if (spec->kind == OPT_HELP || spec->kind == OPT_FLAG) {
      if (eq) return usage_error(sink, "option '%s' takes no value", spec->name);
      if (spec->kind == OPT_HELP) {
        out->help = 1;
        return RECUR_CLI_OK;
      }
    }
    uint32_t bit = UINT32_C(1) << (spec - cmd->opts);
    if (seen & bit) return usage_error(sink, "option '%s' given twice", spec->name);
    seen |= bit;
    if (spec->kind == OPT_FLAG) {
      *int_field(out, spec->field) = 1;
      continue;
    }
    const char *value = eq ? eq + 1 : NULL;
    if (!value) {
      if (i + 1 >= argc) return usage_error(sink, "option '%s' needs a value", spec->name);
      value = argv[++i];
    }
    enum recur_cli_status status = store_value(spec, value, out, sink);
    if (status != RECUR_CLI_OK) return status;
  }
  if (n_positionals < cmd->n_required)
    return usage_error(sink, "missing %s", cmd->positional_names[n_positionals]);
  return RECUR_CLI_OK;
}

/* One layout at most, and two outputs naming the same file would overwrite each other. */
static enum recur_cli_status check_run(const struct recur_cli_opts *opts, struct err_sink *sink) {
  if (opts->batch_first && opts->time_first)
    return usage_error(sink, "options '--batch-first' and '--time-first' exclude each other");
  const char *paths[3] = {opts->y_path, opts->hn_path, opts->cn_path};
  const char *names[3] = {"-o", "--hn", "--cn"};
  for (int a = 0; a < 3; a++) {
    for (int b = a + 1; b < 3; b++) {
      if (paths[a] && paths[b] && strcmp(paths[a], paths[b]) == 0)
        return usage_error(sink, "options '%s' and '%s' name the same file", names[a], names[b]);
    }
  }
  return RECUR_CLI_OK;
}

/* Options of `recur bench` that exclude each other. */
static enum recur_cli_status check_bench(const struct recur_cli_opts *opts, struct err_sink *sink) {
  char msg[160];
  if (opts->csv && opts->json)
    return usage_error(sink, "options '--csv' and '--json' exclude each other");
  if (opts->vs_onednn && opts->onednn_only)
    return usage_error(sink, "options '--vs-onednn' and '--onednn-only' exclude each other");
  if (opts->vs_defaults && opts->onednn_only)
    return usage_error(sink, "options '--vs-defaults' and '--onednn-only' exclude each other");
  if (!recur_bench_check(opts->cells, opts->shapes, opts->n_shapes, msg, sizeof msg))
    return usage_error(sink, "%s", msg);
  return RECUR_CLI_OK;
}

/* --prefix picks a module of MODEL. */
static enum recur_cli_status check_info(const struct recur_cli_opts *opts, struct err_sink *sink) {
  if (opts->prefix && !opts->model_path)
    return usage_error(sink, "option '--prefix' needs MODEL");
  return RECUR_CLI_OK;
}

/* A model's shapes or the standard ones, not both. */
static enum recur_cli_status check_tune(const struct recur_cli_opts *opts, struct err_sink *sink) {
  char msg[160];
  if (opts->model_path && (opts->cells || opts->n_shapes))
    return usage_error(sink, "option '--model' excludes '--cells' and '--shapes'");
  if (opts->model_path && !opts->batch)
    return usage_error(sink, "option '--model' needs '--batch'");
  if (!opts->model_path && (opts->batch || opts->seq || opts->prefix))
    return usage_error(sink, "options '--batch', '--seq' and '--prefix' need '--model'");
  if (!recur_bench_check(opts->cells, opts->shapes, opts->n_shapes, msg, sizeof msg))
    return usage_error(sink, "%s", msg);
  return RECUR_CLI_OK;
}

enum recur_cli_status recur_cli_parse(int argc, char **argv, struct recur_cli_opts *out,
                                      char *err, size_t errlen) {
  struct err_sink sink = {err, errlen};
  memset(out, 0, sizeof *out);
  if (err && errlen > 0) err[0] = '\0';
  if (argc < 2 || !argv || !argv[1]) return usage_error(&sink, "no command given");

  const char *word = argv[1];
  for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
    if (strcmp(word, commands[c].name) != 0) continue;
    out->command = commands[c].command;
    enum recur_cli_status status = parse_command(&commands[c], argc, argv, out, &sink);
    if (status == RECUR_CLI_OK && out->command == RECUR_CLI_RUN && !out->help)
      status = check_run(out, &sink);
    if (status == RECUR_CLI_OK && out->command == RECUR_CLI_INFO && !out->help)
      status = check_info(out, &sink);
    if (status == RECUR_CLI_OK && out->command == RECUR_CLI_BENCH && !out->help)
      status = check_bench(out, &sink);
    if (status == RECUR_CLI_OK && out->command == RECUR_CLI_TUNE && !out->help)
      status = check_tune(out, &sink);
    return status;
  }

  if (is_help(word) || strcmp(word, "--version") == 0) {
    if (argc > 2) return usage_error(&sink, "unexpected argument '%.*s'", QUOTE_MAX, argv[2]);
    if (is_help(word))
      out->help = 1;
    else
      out->command = RECUR_CLI_VERSION;
    return RECUR_CLI_OK;
  }
  if (word[0] == '-') return usage_error(&sink, "unknown option '%.*s'", QUOTE_MAX, word);
  return usage_error(&sink, "unknown command '%.*s'", QUOTE_MAX, word);
}
