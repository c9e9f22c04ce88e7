/* `recur run`: checks where the outputs go, loads a model and its input arrays, checks every
 * array against the network, runs the forward pass, then writes the outputs (and prints a
 * summary of y without -o): all of it, or when any step fails, no file changed. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "recur.h"
#include "recur_tool.h"

/* The sizes of one run, from the network and the input. */
struct dims {
  int64_t T, B, I;
  int64_t D;   /* directions */
  int64_t LD;  /* layers x directions */
  int64_t H, H_out;
  int unbatched;
  int batch_first; /* the layout: --batch-first, --time-first, else the model's */
};

/* An output array: always computed for y, only when asked for h_n and c_n. */
struct output {
  const char *path; /* NULL: not written */
  float *data;
  size_t count;
  int ndim;
  int64_t shape[3];
};

struct run {
  const struct recur_cli_opts *opts;
  recur_net *net;
  recur_desc desc;
  struct dims dims;
  recur_array *x, *h0, *c0, *lengths;
  struct output y, h_n, c_n;
};

/* "(20, 4, 16)", or NumPy's "(4,)" for one axis. Returned by value so that it can be used
 * inline in a printf argument list. */
struct shape_text {
  char s[RECUR_NPY_MAX_DIMS * 22 + 4];
};

static struct shape_text shape_text(int ndim, const int64_t *shape) {
  struct shape_text t;
  recur_shape_text(t.s, sizeof t.s, shape, ndim, 1);
  return t;
}

/* An array converted to dtype as the Python package converts its arguments (recur.h,
 * recur_npy_load_as): x, h0 and c0 of any real dtype to float32, lengths of any integer
 * dtype to int64. */
static int load_array(const char *path, recur_dtype dtype, recur_array **out) {
  recur_status status = recur_npy_load_as(path, dtype, out);
  return status == RECUR_OK ? RECUR_EXIT_OK : recur_cmd_fail_status(path, status);
}

/* The shape of h0/h_n (size H_out) or c0/c_n (size H): (L*D, B, size), or (L*D, size)
 * unbatched. Returns ndim. */
static int state_shape(const struct dims *d, int64_t size, int64_t shape[3]) {
  shape[0] = d->LD;
  shape[1] = d->unbatched ? size : d->B;
  shape[2] = size;
  return d->unbatched ? 2 : 3;
}

static int check_state(const char *path, const recur_array *a, const struct dims *d,
                       int64_t size) {
  int64_t want[3];
  int ndim = state_shape(d, size, want);
  if (a->ndim != ndim || memcmp(a->shape, want, (size_t)ndim * sizeof want[0]) != 0)
    return recur_cmd_fail(path, "shape %s, expected %s", shape_text(a->ndim, a->shape).s,
                shape_text(ndim, want).s);
  return RECUR_EXIT_OK;
}

/* Takes T and B from the input's shape in the given layout, and the rest from the network. */
static int read_dims(const char *path, const recur_array *x, const recur_desc *desc,
                     int batch_first, struct dims *d) {
  const long long I = desc->input_size;
  const char *axes = batch_first ? "B, T" : "T, B";
  char want[96];
  if (x->ndim == 3 && x->shape[2] == I) {
    d->T = x->shape[batch_first ? 1 : 0];
    d->B = x->shape[batch_first ? 0 : 1];
  } else if (x->ndim == 2 && x->shape[1] == I) {
    d->T = x->shape[0];
    d->B = 1;
    d->unbatched = 1;
  } else {
    if (x->ndim == 3)
      snprintf(want, sizeof want, "(%s, %lld)", axes, I);
    else if (x->ndim == 2)
      snprintf(want, sizeof want, "(T, %lld)", I);
    else
      snprintf(want, sizeof want, "(%s, %lld) or (T, %lld)", axes, I, I);
    return recur_cmd_fail(path, "shape %s, expected %s", shape_text(x->ndim, x->shape).s, want);
  }
  if (d->T < 1 || d->B < 1)
    return recur_cmd_fail(path, "shape %s is empty, expected T >= 1 and B >= 1",
                shape_text(x->ndim, x->shape).s);
  d->I = I;
  d->batch_first = batch_first;
  d->D = desc->bidirectional ? 2 : 1;
  d->LD = desc->num_layers * d->D;
  d->H = desc->hidden_size;
  d->H_out = desc->proj_size ? desc->proj_size : desc->hidden_size;
  return RECUR_EXIT_OK;
}

/* Lengths (int64) of shape (B,) ((1,) for an unbatched input). Their range (1..T) is the
 * library's check. */
static int check_lengths(const char *path, const recur_array *a, const struct dims *d) {
  if (a->ndim != 1 || a->shape[0] != d->B)
    return recur_cmd_fail(path, "shape %s, expected (%lld,)", shape_text(a->ndim, a->shape).s,
                (long long)d->B);
  return RECUR_EXIT_OK;
}

enum { OUTPUT_OVER_LIMIT = 1, OUTPUT_NO_MEMORY = 2 };

/* Sets the output's shape and allocates its buffer, if it fits the library's memory limit (the
 * allocation may succeed lazily beyond it, and writing it would then exhaust memory), filled
 * with NaN: recur writes every element, and one it failed to write must not pass for the zero a
 * fresh allocation holds (PyTorch's padding is zeros). Returns 0 or a bit saying why not. */
static int alloc_output(struct output *out, const char *path, int ndim, const int64_t *shape) {
  size_t count = 1;
  for (int i = 0; i < ndim; i++) {
    if (__builtin_mul_overflow(count, (size_t)shape[i], &count)) return OUTPUT_OVER_LIMIT;
    out->shape[i] = shape[i];
  }
  out->path = path;
  out->ndim = ndim;
  out->count = count;
  if (count > recur_memory_limit() / sizeof *out->data) return OUTPUT_OVER_LIMIT;
  out->data = malloc(count * sizeof *out->data);
  for (size_t i = 0; out->data && i < count; i++) out->data[i] = NAN;
  return out->data ? 0 : OUTPUT_NO_MEMORY;
}

static int alloc_outputs(struct run *r) {
  const struct dims *d = &r->dims;
  const int64_t DH = d->D * d->H_out;
  int64_t y_shape[3] = {d->T, d->B, DH}, state[3];
  int fails = 0;
  if (d->unbatched) {
    y_shape[1] = DH;
  } else if (d->batch_first) {
    y_shape[0] = d->B;
    y_shape[1] = d->T;
  }
  fails |= alloc_output(&r->y, r->opts->y_path, d->unbatched ? 2 : 3, y_shape);
  if (r->opts->hn_path)
    fails |= alloc_output(&r->h_n, r->opts->hn_path, state_shape(d, d->H_out, state), state);
  if (r->opts->cn_path)
    fails |= alloc_output(&r->c_n, r->opts->cn_path, state_shape(d, d->H, state), state);
  if (fails & OUTPUT_OVER_LIMIT)
    return recur_cmd_fail(r->opts->input_path, "the outputs would take more than the memory "
                          "limit of %zu bytes", recur_memory_limit());
  return fails ? recur_cmd_fail(r->opts->input_path, "out of memory for the outputs") : RECUR_EXIT_OK;
}

static int forward(const struct run *r) {
  const struct recur_cli_opts *o = r->opts;
  recur_forward_args args = {0};
  args.seq_len = r->dims.T;
  args.batch = r->dims.B;
  args.input_size = r->dims.I;
  args.batch_first = r->dims.batch_first;
  args.time_first = !r->dims.batch_first;
  args.unbatched = r->dims.unbatched;
  args.x = r->x->data;
  args.lengths = r->lengths ? r->lengths->data : NULL;
  args.h0 = r->h0 ? r->h0->data : NULL;
  args.c0 = r->c0 ? r->c0->data : NULL;
  args.y = r->y.data;
  args.h_n = r->h_n.data;
  args.c_n = r->c_n.data;
  args.num_threads = o->threads;
  recur_status status = recur_forward(r->net, &args);
  if (status == RECUR_OK) return RECUR_EXIT_OK;
  /* Shapes were checked above, so what is left is about the lengths or the input. */
  return recur_cmd_fail_status(status == RECUR_ERR_BAD_LENGTHS ? o->lengths_path : o->input_path, status);
}

/* A file the run reads or writes, by the option that names it. */
struct named_file {
  const char *option, *path;
  const char *updates; /* an output: the input option whose file it may replace (in place) */
  recur_file_id id;
  int known; /* id is set */
};

static int same_file(const struct named_file *a, const struct named_file *b) {
  return a->known && b->known && recur_same_file(&a->id, &b->id);
}

/* The one overlap allowed: a state output over its own initial state, updated in place. */
static int may_replace(const struct named_file *out, const struct named_file *in) {
  return out->updates && strcmp(out->updates, in->option) == 0;
}

/* Before anything is computed: each output can be replaced (a regular file or none yet, in an
 * existing folder), is no other output's file, and no input's file, except h_n replacing h0 and
 * c_n replacing c0 (a state updated in place). Paths are compared as files, so two spellings
 * or two links of one file are caught. */
static int check_files(const struct recur_cli_opts *o) {
  struct named_file in[] = {
      {.option = "MODEL", .path = o->model_path}, {.option = "INPUT", .path = o->input_path},
      {.option = "--h0", .path = o->h0_path}, {.option = "--c0", .path = o->c0_path},
      {.option = "--lengths", .path = o->lengths_path}};
  struct named_file out[] = {{.option = "-o", .path = o->y_path},
                             {.option = "--hn", .path = o->hn_path, .updates = "--h0"},
                             {.option = "--cn", .path = o->cn_path, .updates = "--c0"}};
  const size_t n_in = sizeof in / sizeof in[0], n_out = sizeof out / sizeof out[0];
  for (size_t i = 0; i < n_in; i++)
    in[i].known = in[i].path && recur_file_identify(in[i].path, &in[i].id);
  for (size_t i = 0; i < n_out; i++) {
    struct named_file *f = &out[i];
    if (!f->path) continue;
    recur_status status = recur_check_output(f->path, &f->id);
    if (status) return recur_cmd_fail_status(f->path, status);
    f->known = 1;
    for (size_t j = 0; j < n_in; j++) {
      if (same_file(f, &in[j]) && !may_replace(f, &in[j]))
        return recur_cmd_fail(f->path, "'%s' names the same file as %s %s", f->option,
                              in[j].option, in[j].path);
    }
    for (size_t j = 0; j < i; j++) {
      if (same_file(f, &out[j]))
        return recur_cmd_fail(f->path, "'%s' names the same file as '%s' %s", f->option,
                              out[j].option, out[j].path);
    }
  }
  return RECUR_EXIT_OK;
}

#define SUMMARY_FIRST 6

/* Prints y's shape and a summary; a failed write to stdout fails the run. */
static int print_summary(const char *name, const struct output *out) {
  printf("%s: shape %s float32\n  first:", name, shape_text(out->ndim, out->shape).s);
  for (size_t i = 0; i < out->count && i < SUMMARY_FIRST; i++) printf(" %.6g", out->data[i]);
  printf("%s\n", out->count > SUMMARY_FIRST ? " ..." : "");
  double min = out->data[0], max = out->data[0], sum = 0;
  for (size_t i = 0; i < out->count; i++) {
    double v = out->data[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  printf("  min %.6g max %.6g mean %.6g\n", min, max, sum / (double)out->count);
  if (fflush(stdout) != 0 || ferror(stdout)) return recur_cmd_fail("stdout", "write error");
  return RECUR_EXIT_OK;
}

static int stage_outputs(const struct run *r, recur_staging *staging) {
  const struct output *outputs[3] = {&r->y, &r->h_n, &r->c_n};
  for (int i = 0; i < 3; i++) {
    const struct output *out = outputs[i];
    if (!out->path) continue;
    recur_status status = recur_npy_stage(staging, out->path, out->data, out->ndim, out->shape);
    if (status != RECUR_OK) return recur_cmd_fail_status(out->path, status);
  }
  return RECUR_EXIT_OK;
}

/* Writes every requested output to a temporary file and, without -o, prints the summary; only
 * when all of that succeeded are the outputs put in place. A failed run changes no file. */
static int finish_outputs(const struct run *r) {
  recur_staging staging = {0};
  int code = stage_outputs(r, &staging);
  if (!code && !r->opts->y_path) code = print_summary("y", &r->y);
  recur_status status = code ? RECUR_OK : recur_commit_staged(&staging);
  if (status != RECUR_OK) code = recur_cmd_fail_status(staging.failed, status);
  recur_discard_staged(&staging);
  return code;
}

static int run_steps(struct run *r) {
  const struct recur_cli_opts *o = r->opts;
  recur_status status;
  if (o->isa && (status = recur_isa_force(o->isa)) != RECUR_OK) {
    char subject[64];
    snprintf(subject, sizeof subject, "--isa %s", o->isa);
    return recur_cmd_fail_status(subject, status);
  }
  if (check_files(o)) return RECUR_EXIT_FAILURE;
  recur_net_options options = {.precision = o->precision};
  if ((status = recur_net_load_ex(&r->net, o->model_path, o->prefix, &options)) != RECUR_OK ||
      (status = recur_net_describe(r->net, &r->desc)) != RECUR_OK)
    return recur_cmd_fail_status(o->model_path, status);
  if (r->desc.cell != RECUR_CELL_LSTM && (o->c0_path || o->cn_path))
    return recur_cmd_fail(o->model_path, "%s needs an LSTM model, this one is %s",
                o->c0_path ? "--c0" : "--cn", recur_cell_name(r->desc.cell));

  int batch_first = o->batch_first || (!o->time_first && r->desc.batch_first);
  if (load_array(o->input_path, RECUR_DTYPE_F32, &r->x) ||
      read_dims(o->input_path, r->x, &r->desc, batch_first, &r->dims))
    return RECUR_EXIT_FAILURE;
  if (o->h0_path && (load_array(o->h0_path, RECUR_DTYPE_F32, &r->h0) ||
                     check_state(o->h0_path, r->h0, &r->dims, r->dims.H_out)))
    return RECUR_EXIT_FAILURE;
  if (o->c0_path && (load_array(o->c0_path, RECUR_DTYPE_F32, &r->c0) ||
                     check_state(o->c0_path, r->c0, &r->dims, r->dims.H)))
    return RECUR_EXIT_FAILURE;
  if (o->lengths_path && (load_array(o->lengths_path, RECUR_DTYPE_I64, &r->lengths) ||
                          check_lengths(o->lengths_path, r->lengths, &r->dims)))
    return RECUR_EXIT_FAILURE;

  return alloc_outputs(r) || forward(r) || finish_outputs(r) ? RECUR_EXIT_FAILURE : RECUR_EXIT_OK;
}

int recur_cmd_run(const struct recur_cli_opts *opts) {
  struct run r = {.opts = opts};
  int code = run_steps(&r);
  recur_net_free(r.net);
  recur_array_free(r.x);
  recur_array_free(r.h0);
  recur_array_free(r.c0);
  recur_array_free(r.lengths);
  free(r.y.data);
  free(r.h_n.data);
  free(r.c_n.data);
  return code;
}
