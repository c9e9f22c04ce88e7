/* The safetensors parser and the model loader: every malformed file, and every module that
 * does not describe one network, gets its own status and a detail naming the problem; good
 * files give the exact description and weights. Files are built in memory. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recur.h"
#include "internal.h"
#include "safetensors.h"

/* ---------------------------------------------------------------------------------------- */
/* A test-only safetensors writer                                                            */

typedef struct builder {
  char header[1 << 14];
  size_t header_len;
  uint8_t data[1 << 16];
  size_t data_len;
} builder;

/* Appends one "key": value member to the header. */
static void add_member(builder *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (b->header_len)
    b->header_len += (size_t)snprintf(b->header + b->header_len,
                                      sizeof b->header - b->header_len, ", ");
  b->header_len += (size_t)vsnprintf(b->header + b->header_len,
                                     sizeof b->header - b->header_len, fmt, ap);
  va_end(ap);
  cr_assert_lt(b->header_len, sizeof b->header);
}

/* A tensor whose bytes follow the previous one's; shape is JSON ("[2, 3]"). */
static void add_tensor(builder *b, const char *name, const char *dtype, const char *shape,
                       const void *bytes, size_t n) {
  cr_assert_leq(b->data_len + n, sizeof b->data);
  add_member(b, "\"%s\": {\"dtype\": \"%s\", \"shape\": %s, \"data_offsets\": [%zu, %zu]}", name,
             dtype, shape, b->data_len, b->data_len + n);
  memcpy(b->data + b->data_len, bytes, n);
  b->data_len += n;
}

/* An fp32 tensor of shape (rows) or (rows, cols) with distinct small values. */
static void add_f32(builder *b, const char *name, int ndim, int64_t rows, int64_t cols) {
  size_t n = (size_t)(rows * (ndim == 2 ? cols : 1));
  float values[4096];
  cr_assert_leq(n, 4096);
  for (size_t i = 0; i < n; i++)
    values[i] = (float)(i % 13) * 0.125f - 0.75f;
  char shape[64];
  if (ndim == 2)
    snprintf(shape, sizeof shape, "[%lld, %lld]", (long long)rows, (long long)cols);
  else
    snprintf(shape, sizeof shape, "[%lld]", (long long)rows);
  add_tensor(b, name, "F32", shape, values, n * sizeof(float));
}

/* The file: 8-byte little-endian header length, "{header}" padded with pad spaces, data. */
static uint8_t *finish_padded(const builder *b, size_t pad, size_t *len) {
  size_t header_len = b->header_len + 2 + pad;
  *len = 8 + header_len + b->data_len;
  uint8_t *file = malloc(*len);
  cr_assert_not_null(file);
  for (int i = 0; i < 8; i++)
    file[i] = (uint8_t)((uint64_t)header_len >> (8 * i));
  file[8] = '{';
  memcpy(file + 9, b->header, b->header_len);
  file[9 + b->header_len] = '}';
  memset(file + 10 + b->header_len, ' ', pad);
  memcpy(file + 8 + header_len, b->data, b->data_len);
  return file;
}

static uint8_t *finish(const builder *b, size_t *len) { return finish_padded(b, 0, len); }

/* A file from a literal header and n_data zero bytes. */
static uint8_t *raw_file(const char *header, size_t n_data, size_t *len) {
  size_t header_len = strlen(header);
  *len = 8 + header_len + n_data;
  uint8_t *file = calloc(1, *len);
  cr_assert_not_null(file);
  for (int i = 0; i < 8; i++)
    file[i] = (uint8_t)((uint64_t)header_len >> (8 * i));
  memcpy(file + 8, header, header_len);
  return file;
}

/* What add_model writes: a PyTorch state_dict of one module, optionally broken. */
typedef struct model_spec {
  const char *prefix; /* "" or "name." */
  int64_t gates, input, hidden, layers, proj;
  int bidirectional, bias;
  const char *skip;    /* a local name to leave out */
  const char *reshape; /* a local name whose last dimension gets delta added */
  int64_t delta;
} model_spec;

static void add_model(builder *b, const model_spec *s) {
  static const char *const kinds[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                      "weight_hr"};
  int64_t rows = s->gates * s->hidden, out = s->proj ? s->proj : s->hidden;
  for (int64_t k = 0; k < s->layers; k++) {
    for (int d = 0; d < 1 + s->bidirectional; d++) {
      for (int kind = 0; kind < 5; kind++) {
        if ((kind == 2 || kind == 3) ? !s->bias : kind == 4 && !s->proj)
          continue;
        char local[64], name[128];
        snprintf(local, sizeof local, "%s_l%lld%s", kinds[kind], (long long)k,
                 d ? "_reverse" : "");
        if (s->skip && strcmp(local, s->skip) == 0)
          continue;
        int64_t shape[2] = {kind == 4 ? s->proj : rows,
                            kind == 0   ? (k == 0 ? s->input : (1 + s->bidirectional) * out)
                            : kind == 1 ? out
                                        : s->hidden};
        int ndim = kind == 2 || kind == 3 ? 1 : 2;
        if (s->reshape && strcmp(local, s->reshape) == 0)
          shape[ndim - 1] += s->delta;
        snprintf(name, sizeof name, "%s%s", s->prefix ? s->prefix : "", local);
        add_f32(b, name, ndim, shape[0], shape[1]);
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------- */
/* Checks                                                                                    */

static void expect_parse_fails(const uint8_t *buf, size_t len, recur_status want,
                               const char *needle) {
  recur_st_file file;
  recur_status status = recur_st_parse(buf, len, &file);
  cr_expect_eq(status, want, "status %d, want %d for '%s': %s", status, want, needle,
               recur_last_error());
  cr_expect(strstr(recur_last_error(), needle), "'%s' not in '%s'", needle, recur_last_error());
  cr_expect_eq(file.n_tensors, 0);
  cr_expect_null(file.tensors);
}

static void expect_load_fails(const uint8_t *buf, size_t len, const char *prefix,
                              recur_status want, const char *needle) {
  recur_net *net = (recur_net *)&net;
  recur_status status = recur_net_load_memory(&net, buf, len, prefix);
  cr_expect_eq(status, want, "status %d, want %d for '%s': %s", status, want, needle,
               recur_last_error());
  cr_expect_null(net);
  cr_expect(strstr(recur_last_error(), needle), "'%s' not in '%s'", needle, recur_last_error());
}

static void expect_builder_fails(const builder *b, const char *prefix, recur_status want,
                                 const char *needle) {
  size_t len;
  uint8_t *file = finish(b, &len);
  expect_load_fails(file, len, prefix, want, needle);
  free(file);
}

static void expect_model_fails(const model_spec *s, const char *meta, recur_status want,
                               const char *needle) {
  builder b = {0};
  if (meta)
    add_member(&b, "\"__metadata__\": %s", meta);
  add_model(&b, s);
  expect_builder_fails(&b, NULL, want, needle);
}

/* The load fails with exactly this message. */
static void expect_builder_message(const builder *b, const char *prefix, recur_status want,
                                   const char *message) {
  size_t len;
  uint8_t *file = finish(b, &len);
  recur_net *net = NULL;
  cr_expect_eq(recur_net_load_memory(&net, file, len, prefix), want, "%s", recur_last_error());
  cr_expect_null(net);
  cr_expect_str_eq(recur_last_error(), message);
  free(file);
}

static void expect_model_message(const model_spec *s, recur_status want, const char *message) {
  builder b = {0};
  add_model(&b, s);
  expect_builder_message(&b, NULL, want, message);
}

static recur_desc load_desc(const uint8_t *buf, size_t len, const char *prefix) {
  recur_net *net = NULL;
  recur_desc desc = {0};
  cr_assert_eq(recur_net_load_memory(&net, buf, len, prefix), RECUR_OK, "%s",
               recur_last_error());
  cr_assert_eq(recur_net_describe(net, &desc), RECUR_OK);
  recur_net_free(net);
  return desc;
}

static recur_desc load_builder_desc(const builder *b, const char *prefix) {
  size_t len;
  uint8_t *file = finish(b, &len);
  recur_desc desc = load_desc(file, len, prefix);
  free(file);
  return desc;
}

static void expect_desc(recur_desc got, recur_desc want) {
  cr_expect_eq(got.cell, want.cell);
  cr_expect_eq(got.input_size, want.input_size);
  cr_expect_eq(got.hidden_size, want.hidden_size);
  cr_expect_eq(got.num_layers, want.num_layers);
  cr_expect_eq(got.bidirectional, want.bidirectional);
  cr_expect_eq(got.proj_size, want.proj_size);
  cr_expect_eq(got.bias, want.bias);
}

/* A small bidirectional two-layer GRU, valid, for cutting and corrupting. */
static const model_spec gru = {.gates = 3, .input = 5, .hidden = 4, .layers = 2,
                               .bidirectional = 1, .bias = 1};

static uint8_t *gru_file(size_t *len) {
  builder b = {0};
  add_model(&b, &gru);
  return finish(&b, len);
}

/* ---------------------------------------------------------------------------------------- */
/* The container                                                                             */

Test(safetensors, truncated_anywhere) {
  size_t len;
  uint8_t *file = gru_file(&len);
  size_t header_len = 0;
  for (int i = 7; i >= 0; i--)
    header_len = header_len << 8 | file[i];
  for (size_t cut = 0; cut < 8; cut++)
    expect_parse_fails(file, cut, RECUR_ERR_BAD_FILE, "truncated");
  expect_parse_fails(file, 8, RECUR_ERR_BAD_FILE, "header length");
  expect_parse_fails(file, 8 + header_len / 2, RECUR_ERR_BAD_FILE, "truncated");
  expect_parse_fails(file, 8 + header_len - 1, RECUR_ERR_BAD_FILE, "truncated");
  /* Inside the data: the last tensor now runs past the end of the data section. */
  expect_parse_fails(file, len - 1, RECUR_ERR_BAD_FILE, "past the end");
  expect_parse_fails(file, 8 + header_len, RECUR_ERR_BAD_FILE, "past the end");
  expect_load_fails(file, len - 4, NULL, RECUR_ERR_BAD_FILE, "data section");
  free(file);
}

Test(safetensors, huge_header_length) {
  uint8_t file[64] = {0};
  memset(file, 0xff, 8);
  expect_parse_fails(file, sizeof file, RECUR_ERR_BAD_FILE, "18446744073709551615");
  uint64_t n = 200u * 1000u * 1000u;
  for (int i = 0; i < 8; i++)
    file[i] = (uint8_t)(n >> (8 * i));
  expect_parse_fails(file, sizeof file, RECUR_ERR_BAD_FILE, "header length 200000000");

  /* Over the cap but inside the file: the reference implementation's limit. */
  size_t len = 8 + RECUR_ST_MAX_HEADER + 1;
  uint8_t *big = calloc(1, len);
  cr_assert_not_null(big);
  n = RECUR_ST_MAX_HEADER + 1;
  for (int i = 0; i < 8; i++)
    big[i] = (uint8_t)(n >> (8 * i));
  expect_parse_fails(big, len, RECUR_ERR_LIMIT, "100000001");
  free(big);
}

Test(safetensors, offsets_must_tile_the_data) {
  size_t len;
  uint8_t *file;
  static const struct {
    const char *header;
    size_t n_data;
    const char *needle;
  } cases[] = {
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8,
       "'a': data_offsets [0, 16] go past the end of the 8-byte"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
       " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12,
       "'b': data_offsets [4, 12] overlap tensor 'a', which ends at 8"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
       " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [12, 20]}}", 20,
       "'b': data_offsets [12, 20] leave a gap"},
      {"{\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12,
       "'b': data_offsets [4, 12] leave a gap"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 12,
       "holds 12 bytes but the tensors cover only 8"},
      {"{}", 4, "holds 4 bytes but the tensors cover only 0"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [8, 4]}}", 8,
       "'a': data_offsets [8, 4] end before"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [-8, 0]}}", 8,
       "'a': data_offsets is not a pair"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8, 8]}}", 8,
       "'a': data_offsets is not a pair"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    file = raw_file(cases[i].header, cases[i].n_data, &len);
    expect_parse_fails(file, len, RECUR_ERR_BAD_FILE, cases[i].needle);
    free(file);
  }
}

Test(safetensors, malformed_headers) {
  static const struct {
    const char *header;
    size_t n_data;
    recur_status status;
    const char *needle;
  } cases[] = {
      {"{\"a\": {\"dtype\": ", 0, RECUR_ERR_BAD_FILE, "not valid JSON"},
      {"", 0, RECUR_ERR_BAD_FILE, "not valid JSON"},
      {"{} x", 0, RECUR_ERR_BAD_FILE, "not valid JSON"},
      {"[1, 2]", 0, RECUR_ERR_BAD_FILE, "not a JSON object"},
      {"{\"a\": 3}", 0, RECUR_ERR_BAD_FILE, "'a': entry is not a JSON object"},
      {"{\"a\": {\"dtype\": \"F31\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
       RECUR_ERR_BAD_FILE, "'a': unknown dtype 'F31'"},
      {"{\"a\": {\"dtype\": \"f32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
       RECUR_ERR_BAD_FILE, "'a': unknown dtype 'f32'"},
      {"{\"a\": {\"dtype\": 32, \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
       RECUR_ERR_BAD_FILE, "'a': dtype is not a string"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
       " \"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8,
       RECUR_ERR_BAD_FILE, "duplicate"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8,
       RECUR_ERR_BAD_FILE, "'a': shape (3) of F32 takes 12 bytes, data_offsets [0, 8] hold 8"},
      {"{\"a\": {\"dtype\": \"F16\", \"shape\": [2, 3], \"data_offsets\": [0, 24]}}", 24,
       RECUR_ERR_BAD_FILE, "'a': shape (2, 3) of F16 takes 12 bytes"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2, -2], \"data_offsets\": [0, 16]}}", 16,
       RECUR_ERR_BAD_FILE, "'a': shape[1] = -2 is negative"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2.0], \"data_offsets\": [0, 8]}}", 8,
       RECUR_ERR_BAD_FILE, "'a': shape[0] is not an integer"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": 2, \"data_offsets\": [0, 8]}}", 8,
       RECUR_ERR_BAD_FILE, "'a': shape is not an array"},
      {"{\"a\": {\"dtype\": \"U8\", \"shape\": [4294967296, 4294967296], \"data_offsets\": "
       "[0, 0]}}", 0, RECUR_ERR_BAD_FILE, "'a': the element count of shape (4294967296, "
       "4294967296)... overflows"},
      {"{\"a\": {\"dtype\": \"F64\", \"shape\": [2305843009213693952], \"data_offsets\": "
       "[0, 0]}}", 0, RECUR_ERR_BAD_FILE, "'a': 2305843009213693952 elements of F64 overflow"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [99999999999999999999], \"data_offsets\": "
       "[0, 0]}}", 0, RECUR_ERR_BAD_FILE, "not valid JSON"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1, 1, 1, 1, 1, 1, 1, 1, 1], "
       "\"data_offsets\": [0, 4]}}", 4, RECUR_ERR_UNSUPPORTED, "'a': 9 dimensions, at most 8"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"x\": 1}}", 4,
       RECUR_ERR_BAD_FILE, "'a': unknown field 'x'"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4, RECUR_ERR_BAD_FILE,
       "'a': no 'data_offsets' field"},
      {"{\"\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
       RECUR_ERR_BAD_FILE, "empty tensor name"},
      {"{\"__metadata__\": {\"cell\": 3}}", 0, RECUR_ERR_BAD_FILE,
       "__metadata__['cell'] is not a string"},
      {"{\"__metadata__\": {\"format\": \"pt\", \"n\": {}}}", 0, RECUR_ERR_BAD_FILE,
       "__metadata__['n'] is not a string"},
      {"{\"__metadata__\": [\"cell\", \"gru\"]}", 0, RECUR_ERR_BAD_FILE,
       "__metadata__ is not a JSON object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len;
    uint8_t *file = raw_file(cases[i].header, cases[i].n_data, &len);
    expect_parse_fails(file, len, cases[i].status, cases[i].needle);
    free(file);
  }
}

/* A header of n empty tensors after a __metadata__ entry whose value is commas and brackets,
 * and a quote escaped inside it: none of them separates entries. */
static uint8_t *many_tensors_file(size_t n, size_t *len) {
  size_t cap = 4096 + 64 + n * 96;
  char *header = malloc(cap);
  cr_assert_not_null(header);
  size_t used = (size_t)snprintf(header, cap, "{\"__metadata__\": {\"note\": \"\\\"{[");
  memset(header + used, ',', 4000);
  used += 4000;
  used += (size_t)snprintf(header + used, cap - used, "\"}");
  for (size_t i = 0; i < n; i++) {
    used += (size_t)snprintf(header + used, cap - used, ", \"t%zu\": {\"dtype\": \"F32\", "
                             "\"shape\": [0], \"data_offsets\": [0, 0]}", i);
    cr_assert_lt(used + 1, cap);
  }
  header[used++] = '}';
  header[used] = '\0';
  uint8_t *file = raw_file(header, 0, len);
  free(header);
  return file;
}

/* At most RECUR_ST_MAX_ENTRIES header entries: a header of more is refused before jansson
 * builds a tree of it (a million empty tensors took 1.4 GB and seconds). */
Test(safetensors, entry_limit) {
  size_t len;
  uint8_t *file = many_tensors_file(RECUR_ST_MAX_ENTRIES - 1, &len);
  recur_st_file parsed;
  cr_assert_eq(recur_st_parse(file, len, &parsed), RECUR_OK, "%s", recur_last_error());
  cr_expect_eq(parsed.n_tensors, RECUR_ST_MAX_ENTRIES - 1);
  recur_st_free(&parsed);
  free(file);
  file = many_tensors_file(RECUR_ST_MAX_ENTRIES, &len);
  expect_parse_fails(file, len, RECUR_ERR_LIMIT, "more than 65536 entries");
  free(file);
}

Test(safetensors, tensors_point_into_the_buffer_sorted_by_offset) {
  static const char header[] =
      "  {\"__metadata__\": {\"format\": \"pt\", \"cell\": \"gru\"},"
      " \"z\": {\"dtype\": \"BF16\", \"shape\": [], \"data_offsets\": [0, 2]},"
      " \"e\": {\"dtype\": \"I8\", \"shape\": [0, 3], \"data_offsets\": [10, 10]},"
      " \"a\": {\"dtype\": \"U16\", \"shape\": [2, 2], \"data_offsets\": [2, 10]}}   ";
  size_t len;
  uint8_t *buf = raw_file(header, 10, &len);
  const uint8_t *data = buf + 8 + strlen(header);
  recur_st_file file;
  cr_assert_eq(recur_st_parse(buf, len, &file), RECUR_OK, "%s", recur_last_error());
  cr_assert_eq(file.n_tensors, 3);
  cr_expect_str_eq(file.cell, "gru");
  cr_expect_str_eq(file.tensors[0].name, "z");
  cr_expect_eq(file.tensors[0].data, data);
  cr_expect_eq(file.tensors[0].ndim, 0);
  cr_expect_eq(file.tensors[0].count, 1);
  cr_expect_str_eq(file.tensors[1].name, "a");
  cr_expect_eq(file.tensors[1].dtype, RECUR_ST_U16);
  cr_expect_eq(file.tensors[1].data, data + 2);
  cr_expect_eq(file.tensors[1].nbytes, 8);
  cr_expect_eq(file.tensors[1].shape[1], 2);
  cr_expect_str_eq(file.tensors[2].name, "e");
  cr_expect_eq(file.tensors[2].count, 0);
  float out[4];
  cr_expect_eq(recur_st_to_f32(&file.tensors[1], out), RECUR_ERR_UNSUPPORTED);
  cr_expect(strstr(recur_last_error(), "'a': dtype U16 is not supported"), "%s",
            recur_last_error());
  recur_st_free(&file);
  cr_expect_null(file.tensors);
  free(buf);
}

static void expect_floats(const float *got, const float *want, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (isnan(want[i]))
      cr_expect(isnan(got[i]), "[%zu]: %a, want nan", i, (double)got[i]);
    else
      cr_expect(got[i] == want[i] && signbit(got[i]) == signbit(want[i]), "[%zu]: %a, want %a",
                i, (double)got[i], (double)want[i]);
  }
}

Test(safetensors, converts_f16_bf16_f64_f32_exactly) {
  static const uint16_t f16[] = {0x3c00, 0xc000, 0x0001, 0x03ff, 0x8001, 0x0400,
                                 0x7bff, 0x7c00, 0xfc00, 0x7e00, 0x8000, 0x3555};
  static const float f16_want[] = {1.0f, -2.0f, 0x1p-24f, 0x3ffp-24f, -0x1p-24f, 0x1p-14f,
                                   65504.0f, INFINITY, -INFINITY, NAN, -0.0f, 0x1.554p-2f};
  static const uint16_t bf16[] = {0x3f80, 0xc0a0, 0x0001, 0x7f80, 0xff80, 0x7fc0, 0x8000};
  static const float bf16_want[] = {1.0f, -5.0f, 0x1p-133f, INFINITY, -INFINITY, NAN, -0.0f};
  static const double f64[] = {1.0, 0.1, 1e300, -1e300, 1.0 + 0x1p-24, 1.0 + 0x3p-24,
                               1e-50, -0.0, 0x1p-149, NAN};
  static const float f64_want[] = {1.0f, 0.1f, INFINITY, -INFINITY, 1.0f, 1.0f + 0x1p-22f,
                                   0.0f, -0.0f, 0x1p-149f, NAN};
  static const float f32[] = {1.5f, -0x1.fffffep127f, 0x1p-149f, -0.0f};
  builder b = {0};
  /* The data section starts 8-aligned (padding below); the BF16 tensor's 14 bytes then
   * misalign the F64 and F32 tensors after it. */
  add_tensor(&b, "h", "F16", "[3, 4]", f16, sizeof f16);
  add_tensor(&b, "b", "BF16", "[7]", bf16, sizeof bf16);
  add_tensor(&b, "d", "F64", "[10]", f64, sizeof f64);
  add_tensor(&b, "f", "F32", "[2, 2]", f32, sizeof f32);
  size_t len;
  uint8_t *buf = finish_padded(&b, (8 - (b.header_len + 2) % 8) % 8, &len);
  recur_st_file file;
  cr_assert_eq(recur_st_parse(buf, len, &file), RECUR_OK, "%s", recur_last_error());
  cr_assert_eq(file.n_tensors, 4);
  float out[12];
  static const struct {
    const float *want;
    size_t n;
  } want[] = {{f16_want, 12}, {bf16_want, 7}, {f64_want, 10}, {f32, 4}};
  for (size_t i = 0; i < 4; i++) {
    cr_assert_eq(file.tensors[i].count, want[i].n);
    memset(out, 0x55, sizeof out);
    cr_assert_eq(recur_st_to_f32(&file.tensors[i], out), RECUR_OK, "%s", recur_last_error());
    expect_floats(out, want[i].want, want[i].n);
  }
  cr_expect_eq((uintptr_t)file.tensors[2].data % 8, 6, "the F64 data is misaligned");
  cr_expect_eq((uintptr_t)file.tensors[3].data % 4, 2, "the F32 data is misaligned");
  recur_st_free(&file);
  free(buf);
}

/* ---------------------------------------------------------------------------------------- */
/* Models                                                                                    */

Test(model, infers_each_cell) {
  static const struct {
    model_spec spec;
    recur_desc want;
  } cases[] = {
      {{.gates = 1, .input = 3, .hidden = 5, .layers = 1},
       {RECUR_CELL_RNN_TANH, 3, 5, 1, 0, 0, 0, 0}},
      {{.gates = 3, .input = 5, .hidden = 4, .layers = 2, .bidirectional = 1, .bias = 1},
       {RECUR_CELL_GRU, 5, 4, 2, 1, 0, 1, 0}},
      {{.gates = 4, .input = 2, .hidden = 6, .layers = 3, .bias = 1},
       {RECUR_CELL_LSTM, 2, 6, 3, 0, 0, 1, 0}},
      {{.gates = 4, .input = 3, .hidden = 6, .layers = 2, .proj = 2, .bidirectional = 1},
       {RECUR_CELL_LSTM, 3, 6, 2, 1, 2, 0, 0}},
      /* weight_ih is square here: the gate count comes from weight_hh's columns. */
      {{.gates = 4, .input = 16, .hidden = 4, .layers = 1, .bias = 1},
       {RECUR_CELL_LSTM, 16, 4, 1, 0, 0, 1, 0}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    builder b = {0};
    add_model(&b, &cases[i].spec);
    expect_desc(load_builder_desc(&b, NULL), cases[i].want);
  }
}

Test(model, metadata_cell_is_used_and_unknown_keys_ignored) {
  static const struct {
    const char *meta;
    int64_t gates;
    recur_cell cell;
  } cases[] = {
      {"{\"format\": \"pt\", \"cell\": \"rnn_relu\"}", 1, RECUR_CELL_RNN_RELU},
      {"{\"cell\": \"rnn_tanh\", \"note\": \"anything\"}", 1, RECUR_CELL_RNN_TANH},
      {"{\"cell\": \"gru\"}", 3, RECUR_CELL_GRU},
      {"{\"cell\": \"lstm\"}", 4, RECUR_CELL_LSTM},
      {"{\"format\": \"pt\"}", 3, RECUR_CELL_GRU},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    builder b = {0};
    add_member(&b, "\"__metadata__\": %s", cases[i].meta);
    model_spec s = {.gates = cases[i].gates, .input = 2, .hidden = 3, .layers = 1, .bias = 1};
    add_model(&b, &s);
    expect_desc(load_builder_desc(&b, NULL), (recur_desc){cases[i].cell, 2, 3, 1, 0, 0, 1, 0});
  }
}

/* The layout the exporters record ("batch_first": "0" or "1", as str(int(flag))) is the
 * network's; absent it is time-first, and anything else is a bad file naming the value. */
Test(model, metadata_batch_first_is_the_networks_layout) {
  static const struct {
    const char *meta;
    int batch_first;
  } good[] = {{"{\"cell\": \"gru\", \"batch_first\": \"1\"}", 1},
              {"{\"batch_first\": \"0\"}", 0},
              {"{\"cell\": \"gru\"}", 0}};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    builder b = {0};
    add_member(&b, "\"__metadata__\": %s", good[i].meta);
    add_model(&b, &gru);
    cr_expect_eq(load_builder_desc(&b, NULL).batch_first, good[i].batch_first, "%s",
                 good[i].meta);
  }
  static const char *const bad[] = {"true", "True", "", "01", "1 ", "2", "-1", "yes\\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    builder b = {0};
    add_member(&b, "\"__metadata__\": {\"batch_first\": \"%s\"}", bad[i]);
    add_model(&b, &gru);
    char message[128];
    snprintf(message, sizeof message, "metadata batch_first '%s' is not '0' or '1'", bad[i]);
    expect_builder_message(&b, NULL, RECUR_ERR_BAD_FILE, message);
  }
  builder n = {0};
  add_member(&n, "\"__metadata__\": {\"batch_first\": 1}");
  add_model(&n, &gru);
  expect_builder_message(&n, NULL, RECUR_ERR_BAD_FILE,
                         "safetensors __metadata__['batch_first'] is not a string");
}

Test(model, space_padded_header) {
  builder b = {0};
  add_model(&b, &gru);
  for (size_t pad = 0; pad < 8; pad++) {
    size_t len;
    uint8_t *file = finish_padded(&b, pad, &len);
    expect_desc(load_desc(file, len, NULL), (recur_desc){RECUR_CELL_GRU, 5, 4, 2, 1, 0, 1, 0});
    free(file);
  }
}

Test(model, prefixes) {
  builder b = {0};
  model_spec s = gru;
  s.prefix = "encoder.rnn.";
  add_f32(&b, "encoder.embed.weight", 2, 10, 5);
  add_model(&b, &s);
  add_f32(&b, "fc.weight", 2, 3, 8);
  add_f32(&b, "fc.bias", 1, 3, 0);
  /* A submodule of the chosen module is another module, not part of it. */
  add_f32(&b, "encoder.rnn.extra.weight", 1, 2, 0);
  recur_desc want = {RECUR_CELL_GRU, 5, 4, 2, 1, 0, 1, 0};
  expect_desc(load_builder_desc(&b, NULL), want);
  expect_desc(load_builder_desc(&b, ""), want);
  expect_desc(load_builder_desc(&b, "encoder.rnn"), want);
  expect_desc(load_builder_desc(&b, "encoder.rnn."), want);
  expect_builder_fails(&b, "encoder", RECUR_ERR_MISSING_TENSOR, "no tensor of module 'encoder'");
  expect_builder_fails(&b, "encoder.rn", RECUR_ERR_MISSING_TENSOR,
                       "no tensor of module 'encoder.rn'");
  expect_builder_fails(&b, "decoder.", RECUR_ERR_MISSING_TENSOR, "no tensor of module 'decoder.'");
  expect_builder_fails(&b, "fc", RECUR_ERR_UNEXPECTED_TENSOR, "fc.weight: not an RNN");

  /* A second RNN module, bare this time: the caller must choose. */
  model_spec bare = {.gates = 1, .input = 2, .hidden = 3, .layers = 1};
  add_model(&b, &bare);
  expect_builder_fails(&b, NULL, RECUR_ERR_INVALID_ARGUMENT, "'encoder.rnn', ''");
  expect_builder_fails(&b, "", RECUR_ERR_INVALID_ARGUMENT, "--prefix");
  expect_desc(load_builder_desc(&b, "encoder.rnn"), want);
  expect_builder_fails(&b, "nothing", RECUR_ERR_MISSING_TENSOR, "'nothing'");
}

Test(model, no_rnn_in_file) {
  builder b = {0};
  add_f32(&b, "fc.weight", 2, 3, 8);
  expect_builder_fails(&b, NULL, RECUR_ERR_MISSING_TENSOR, "no weight_ih_l0 in file");
  builder empty = {0};
  expect_builder_fails(&empty, NULL, RECUR_ERR_MISSING_TENSOR, "no weight_ih_l0 in file");
}

Test(model, missing_tensors) {
  static const struct {
    const char *skip;
    const char *needle;
  } cases[] = {
      {"weight_hh_l0", "m.weight_hh_l0: missing"},
      {"weight_hh_l1_reverse", "m.weight_hh_l1_reverse: missing"},
      {"weight_ih_l1", "m.weight_ih_l1: missing"},
      {"bias_hh_l1", "m.bias_hh_l1: missing"},
      {"bias_ih_l0_reverse", "m.bias_ih_l0_reverse: missing"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    model_spec s = gru;
    s.prefix = "m.";
    s.skip = cases[i].skip;
    expect_model_fails(&s, NULL, RECUR_ERR_MISSING_TENSOR, cases[i].needle);
  }
  model_spec s = gru;
  s.prefix = "m.";
  s.skip = "weight_ih_l0";
  builder b = {0};
  add_model(&b, &s);
  expect_builder_fails(&b, "m", RECUR_ERR_MISSING_TENSOR, "m.weight_ih_l0: missing");
  expect_builder_fails(&b, NULL, RECUR_ERR_MISSING_TENSOR, "no weight_ih_l0 in file");
}

Test(model, partial_sets_name_what_is_missing) {
  /* A reverse direction with one tensor left out. */
  model_spec bi = {.gates = 4, .input = 5, .hidden = 5, .layers = 2, .bidirectional = 1,
                   .bias = 1, .skip = "weight_hh_l1_reverse"};
  expect_model_message(&bi, RECUR_ERR_MISSING_TENSOR, "weight_hh_l1_reverse: missing");

  /* Layers 0 and 2 but not 1: layer 2 holds as many tensors as layer 0, so it is the
   * network's, and layer 1 is missing. */
  builder g = {0};
  add_model(&g, &(model_spec){.gates = 1, .input = 3, .hidden = 3, .layers = 1});
  add_f32(&g, "weight_ih_l2", 2, 3, 3);
  add_f32(&g, "weight_hh_l2", 2, 3, 3);
  expect_builder_message(&g, NULL, RECUR_ERR_MISSING_TENSOR, "weight_ih_l1: missing");
  add_f32(&g, "weight_ih_l1", 2, 3, 3);
  add_f32(&g, "weight_hh_l1", 2, 3, 3);
  expect_desc(load_builder_desc(&g, NULL), (recur_desc){RECUR_CELL_RNN_TANH, 3, 3, 3, 0, 0, 0, 0});

  /* A layer next to the others is theirs, however little of it there is. */
  builder n = {0};
  add_model(&n, &(model_spec){.gates = 3, .input = 2, .hidden = 3, .layers = 1, .bidirectional = 1});
  add_f32(&n, "weight_ih_l1", 2, 9, 6);
  expect_builder_message(&n, NULL, RECUR_ERR_MISSING_TENSOR, "weight_hh_l1: missing");

  /* Four layers of which the third is gone: the fourth, whole, says there are four. */
  builder f = {0};
  add_model(&f, &(model_spec){.gates = 4, .input = 3, .hidden = 2, .layers = 2, .bias = 1});
  add_f32(&f, "weight_ih_l3", 2, 8, 2);
  add_f32(&f, "weight_hh_l3", 2, 8, 2);
  add_f32(&f, "bias_ih_l3", 1, 8, 0);
  add_f32(&f, "bias_hh_l3", 1, 8, 0);
  expect_builder_message(&f, NULL, RECUR_ERR_MISSING_TENSOR, "weight_ih_l2: missing");

  /* Only reverse tensors in the module. */
  builder r = {0};
  add_f32(&r, "m.weight_ih_l0_reverse", 2, 9, 2);
  add_f32(&r, "m.weight_hh_l0_reverse", 2, 9, 3);
  expect_builder_message(&r, "m", RECUR_ERR_MISSING_TENSOR, "m.weight_ih_l0: missing");
}

/* A tensor that the module's other tensors do not describe is named as the odd one out, not
 * blamed on a correct tensor (a shape "expected" from the stray) or on one that the stray made
 * up (a "missing" layer). A part of the network (the reverse direction, a layer past a gap, the
 * biases, the projection) is there when the file holds more than half of its tensors. */
Test(model, strays_are_named) {
  static const model_spec lstm2 = {.gates = 4, .input = 5, .hidden = 5, .layers = 2, .bias = 1};
  static const struct {
    model_spec spec;
    const char *stray;
    int ndim;
    int64_t rows, cols;
    const char *message;
  } cases[] = {
      /* One reverse tensor among forward-only ones. */
      {lstm2, "weight_ih_l0_reverse", 2, 20, 5,
       "unexpected tensor weight_ih_l0_reverse: the file's other tensors describe a "
       "unidirectional network"},
      {{.gates = 3, .input = 2, .hidden = 3, .layers = 1}, "weight_ih_l0_reverse", 2, 9, 2,
       "unexpected tensor weight_ih_l0_reverse: the file's other tensors describe a "
       "unidirectional network"},
      /* A layer index far past the others. */
      {lstm2, "weight_ih_l7", 2, 20, 5,
       "unexpected tensor weight_ih_l7: the file's other tensors describe 2 layers"},
      {{.gates = 1, .input = 3, .hidden = 3, .layers = 1}, "bias_hh_l2000000000", 1, 3, 0,
       "unexpected tensor bias_hh_l2000000000: the file's other tensors describe 1 layer"},
      /* Past the layers and in a direction the others lack: the layer is named first. */
      {lstm2, "weight_hh_l5_reverse", 2, 20, 5,
       "unexpected tensor weight_hh_l5_reverse: the file's other tensors describe 2 layers"},
      /* A bias in a module without, a projection in one without. */
      {{.gates = 3, .input = 2, .hidden = 3, .layers = 2, .bidirectional = 1}, "bias_hh_l1", 1,
       9, 0, "unexpected tensor bias_hh_l1: the file's other tensors describe a network "
       "without biases"},
      {{.gates = 4, .input = 2, .hidden = 3, .layers = 2}, "weight_hr_l1", 2, 2, 3,
       "unexpected tensor weight_hr_l1: the file's other tensors describe a network without "
       "a projection"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    builder b = {0};
    add_model(&b, &cases[i].spec);
    add_f32(&b, cases[i].stray, cases[i].ndim, cases[i].rows, cases[i].cols);
    expect_builder_message(&b, NULL, RECUR_ERR_UNEXPECTED_TENSOR, cases[i].message);
  }

  /* Biases on one layer of two (a tie: they are left out, and the first is named). */
  builder h = {0};
  add_model(&h, &(model_spec){.gates = 3, .input = 2, .hidden = 3, .layers = 1, .bias = 1});
  add_f32(&h, "weight_ih_l1", 2, 9, 3);
  add_f32(&h, "weight_hh_l1", 2, 9, 3);
  expect_builder_message(&h, NULL, RECUR_ERR_UNEXPECTED_TENSOR, "unexpected tensor bias_ih_l0: "
                         "the file's other tensors describe a network without biases");

  /* Several strays: the first by layer, direction and kind, with the module's prefix. */
  builder m = {0};
  model_spec prefixed = lstm2;
  prefixed.prefix = "enc.";
  add_model(&m, &prefixed);
  add_f32(&m, "enc.weight_ih_l9", 2, 20, 5);
  add_f32(&m, "enc.bias_ih_l1_reverse", 1, 20, 0);
  expect_builder_message(&m, "enc", RECUR_ERR_UNEXPECTED_TENSOR, "unexpected tensor "
                         "enc.bias_ih_l1_reverse: the file's other tensors describe a "
                         "unidirectional network");
}

Test(model, unexpected_tensors) {
  static const char *const names[] = {"foo", "weight_ih_l01", "weight_ih_l1x", "weight_ih",
                                      "weight_xx_l0", "bias_ih_l0_forward", "weight_ih_l-1",
                                      "weight_ih_l99999999999"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    builder b = {0};
    add_model(&b, &gru);
    add_f32(&b, names[i], 1, 4, 0);
    char needle[64];
    snprintf(needle, sizeof needle, "%s: not an RNN weight name", names[i]);
    expect_builder_fails(&b, NULL, RECUR_ERR_UNEXPECTED_TENSOR, needle);
  }
}

Test(model, misshaped_tensors) {
  static const struct {
    model_spec spec;
    const char *reshape;
    int64_t delta;
    const char *needle;
  } cases[] = {
      {{.gates = 4, .input = 7, .hidden = 12, .layers = 2, .bidirectional = 1},
       "weight_hh_l1_reverse", -1, "weight_hh_l1_reverse: shape (48, 11), expected (48, 12)"},
      {{.gates = 4, .input = 7, .hidden = 12, .layers = 2, .bidirectional = 1},
       "weight_ih_l1", 1, "weight_ih_l1: shape (48, 25), expected (48, 24)"},
      {{.gates = 3, .input = 7, .hidden = 5, .layers = 1, .bias = 1},
       "bias_hh_l0", 2, "bias_hh_l0: shape (17), expected (15)"},
      {{.gates = 4, .input = 3, .hidden = 6, .layers = 2, .proj = 2},
       "weight_hr_l1", 1, "weight_hr_l1: shape (2, 7), expected (2, 6)"},
      {{.gates = 4, .input = 3, .hidden = 6, .layers = 2, .proj = 2},
       "weight_ih_l1", 4, "weight_ih_l1: shape (24, 6), expected (24, 2)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    model_spec s = cases[i].spec;
    s.reshape = cases[i].reshape;
    s.delta = cases[i].delta;
    expect_model_fails(&s, NULL, RECUR_ERR_SHAPE_MISMATCH, cases[i].needle);
  }

  builder b = {0};
  add_f32(&b, "weight_ih_l0", 1, 12, 0);
  add_f32(&b, "weight_hh_l0", 2, 12, 4);
  expect_builder_fails(&b, NULL, RECUR_ERR_SHAPE_MISMATCH,
                       "weight_ih_l0: shape (12), expected 2 dimensions");
  builder r = {0};
  add_f32(&r, "weight_ih_l0", 2, 10, 3);
  add_f32(&r, "weight_hh_l0", 2, 10, 5);
  expect_builder_fails(&r, NULL, RECUR_ERR_SHAPE_MISMATCH,
                       "cannot infer the cell: weight_ih_l0 has 10 rows and weight_hh_l0 5");
}

Test(model, metadata_must_fit) {
  model_spec s = gru;
  expect_model_fails(&s, "{\"cell\": \"transformer\"}", RECUR_ERR_BAD_FILE,
                     "metadata cell 'transformer'");
  expect_model_fails(&s, "{\"cell\": \"GRU\"}", RECUR_ERR_BAD_FILE, "metadata cell 'GRU'");
  expect_model_fails(&s, "{\"cell\": \"lstm\"}", RECUR_ERR_SHAPE_MISMATCH,
                     "metadata cell 'lstm' has 4 gates, but weight_ih_l0 has 12 rows and "
                     "weight_hh_l0 4 columns");
  model_spec lstm = {.gates = 4, .input = 3, .hidden = 5, .layers = 1, .proj = 2};
  expect_model_fails(&lstm, "{\"cell\": \"rnn_tanh\"}", RECUR_ERR_UNEXPECTED_TENSOR,
                     "weight_hr_l0: a projection weight in a rnn_tanh module");
  expect_model_fails(&lstm, "{\"cell\": \"gru\"}", RECUR_ERR_SHAPE_MISMATCH,
                     "weight_ih_l0: 20 rows, not a multiple of the 3 gates of gru");
}

Test(model, bad_sizes_and_dtypes) {
  builder z = {0};
  add_tensor(&z, "weight_ih_l0", "F32", "[0, 4]", "", 0);
  add_f32(&z, "weight_hh_l0", 2, 3, 3);
  expect_builder_fails(&z, NULL, RECUR_ERR_INVALID_SIZE, "weight_ih_l0: zero-size shape (0, 4)");

  model_spec s = {.gates = 4, .input = 3, .hidden = 4, .layers = 1, .proj = 4};
  expect_model_fails(&s, NULL, RECUR_ERR_INVALID_SIZE,
                     "weight_hr_l0: projection size 4 must be smaller than the hidden size 4");

  builder i = {0};
  static const int32_t ints[3] = {1, 2, 3};
  add_tensor(&i, "weight_ih_l0", "I32", "[3, 1]", ints, sizeof ints);
  add_f32(&i, "weight_hh_l0", 2, 3, 3);
  expect_builder_fails(&i, NULL, RECUR_ERR_UNSUPPORTED, "'weight_ih_l0': dtype I32");
}

Test(model, null_arguments) {
  size_t len;
  uint8_t *file = gru_file(&len);
  cr_expect_eq(recur_net_load_memory(NULL, file, len, NULL), RECUR_ERR_NULL_POINTER);
  recur_net *net = (recur_net *)&net;
  cr_expect_eq(recur_net_load_memory(&net, NULL, len, NULL), RECUR_ERR_NULL_POINTER);
  cr_expect_null(net);
  expect_load_fails(NULL, 0, NULL, RECUR_ERR_BAD_FILE, "truncated");
  cr_expect_eq(recur_net_load(NULL, "x", NULL), RECUR_ERR_NULL_POINTER);
  cr_expect_eq(recur_net_load(&net, NULL, NULL), RECUR_ERR_NULL_POINTER);
  free(file);
}

/* Writes bytes to a new temporary file; path is "/tmp/recur_test_XXXXXX" and gets its name. */
static void write_temp(char *path, const uint8_t *bytes, size_t len) {
  int fd = mkstemp(path);
  cr_assert_geq(fd, 0);
  cr_assert_eq(write(fd, bytes, len), (ssize_t)len);
  close(fd);
}

Test(model, loads_from_a_file) {
  size_t len;
  uint8_t *file = gru_file(&len);
  char path[] = "/tmp/recur_test_XXXXXX";
  write_temp(path, file, len);
  recur_net *net = NULL;
  recur_status status = recur_net_load(&net, path, NULL);
  recur_desc desc = {0};
  cr_expect_eq(status, RECUR_OK, "%s", recur_last_error());
  cr_expect_eq(recur_net_describe(net, &desc), RECUR_OK);
  expect_desc(desc, (recur_desc){RECUR_CELL_GRU, 5, 4, 2, 1, 0, 1, 0});
  recur_net_free(net);
  unlink(path);
  cr_expect_eq(recur_net_load(&net, path, NULL), RECUR_ERR_IO);
  cr_expect(strstr(recur_last_error(), path), "%s", recur_last_error());
  free(file);
}

/* A load's peak counts against the memory limit as one sum: the file recur read, the fp32
 * conversions (none when the F32 data is aligned: the network reads it in place) and the
 * weights twice (as given, then packed). Each allocation alone fits the limits below. H = 64,
 * so that packing pads nothing. */
Test(model, the_memory_limit_bounds_a_loads_sum) {
  builder b = {0};
  add_model(&b, &(model_spec){.gates = 1, .input = 8, .hidden = 64, .layers = 1});
  size_t len, weights = (64 * 8 + 64 * 64) * sizeof(float);
  uint8_t *file = finish_padded(&b, (8 - (b.header_len + 2) % 8) % 8, &len);
  char path[] = "/tmp/recur_test_XXXXXX";
  write_temp(path, file, len);
  char needle[256];
  snprintf(needle, sizeof needle, "loading the model (%zu bytes of file, 0 converted to fp32, "
           "twice %zu of weights) needs %zu bytes, over the memory limit of %zu", len, weights,
           len + 2 * weights, len + 2 * weights - 1);
  recur_net *net = (recur_net *)&net;
  recur_set_memory_limit(len + 2 * weights - 1);
  cr_expect_eq(recur_net_load(&net, path, NULL), RECUR_ERR_LIMIT, "%s", recur_last_error());
  cr_expect(strstr(recur_last_error(), needle), "'%s' not in '%s'", needle, recur_last_error());
  cr_expect_null(net);
  /* The caller's buffer is the caller's: not counted. */
  cr_expect_eq(recur_net_load_memory(&net, file, len, NULL), RECUR_OK, "%s", recur_last_error());
  recur_net_free(net);
  recur_set_memory_limit(len + 2 * weights);
  cr_expect_eq(recur_net_load(&net, path, NULL), RECUR_OK, "%s", recur_last_error());
  recur_net_free(net);
  /* Misaligned F32 data is converted: the copy counts too. */
  size_t odd_len;
  uint8_t *odd = finish_padded(&b, (9 - (b.header_len + 2) % 8) % 8, &odd_len);
  recur_set_memory_limit(3 * weights - 1);
  cr_expect_eq(recur_net_load_memory(&net, odd, odd_len, NULL), RECUR_ERR_LIMIT);
  snprintf(needle, sizeof needle, "(0 bytes of file, %zu converted to fp32, twice %zu", weights,
           weights);
  cr_expect(strstr(recur_last_error(), needle), "'%s' not in '%s'", needle, recur_last_error());
  cr_expect_eq(recur_net_load_memory(&net, file, len, NULL), RECUR_OK, "%s", recur_last_error());
  recur_net_free(net);
  recur_set_memory_limit(3 * weights);
  cr_expect_eq(recur_net_load_memory(&net, odd, odd_len, NULL), RECUR_OK, "%s",
               recur_last_error());
  recur_net_free(net);
  recur_set_memory_limit(0);
  unlink(path);
  free(file);
  free(odd);
}

/* F32 weights read in place (aligned) and converted (misaligned) give the same network. */
Test(model, f32_in_place_and_converted_agree) {
  builder b = {0};
  add_model(&b, &(model_spec){.gates = 4, .input = 5, .hidden = 6, .layers = 2, .bias = 1,
                              .bidirectional = 1});
  float y[2][3 * 12];
  static float x[3 * 5];
  for (size_t i = 0; i < 15; i++)
    x[i] = (float)i * 0.1f - 0.7f;
  for (size_t misaligned = 0; misaligned < 2; misaligned++) {
    size_t len;
    uint8_t *file = finish_padded(&b, (8 + misaligned - (b.header_len + 2) % 8) % 8, &len);
    cr_assert_eq((uintptr_t)(file + len - b.data_len) % 4, misaligned);
    recur_net *net;
    cr_assert_eq(recur_net_load_memory(&net, file, len, NULL), RECUR_OK, "%s",
                 recur_last_error());
    recur_forward_args a = {.seq_len = 3, .batch = 1, .input_size = 5, .unbatched = 1, .x = x,
                            .y = y[misaligned]};
    cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
    recur_net_free(net);
    free(file);
  }
  cr_expect_arr_eq(y[0], y[1], sizeof y[0]);
}

/* Weights in four dtypes reach the network exactly: a one-unit rnn_relu with zero W_hh gives
 * y_t = relu(W_ih x_t + b_ih + b_hh), and x_t = e_t reads W_ih back one column per step. */
Test(model, weights_of_every_dtype_reach_the_network) {
  static const uint16_t w_ih[4] = {0x3e00, 0x3400, 0x4000, 0x6400}; /* F16 1.5 .25 2 1024 */
  static const uint16_t w_hh[1] = {0x0000};                          /* BF16 0 */
  static const double b_ih[1] = {0.25};
  static const uint16_t b_hh[1] = {0x3f00};                          /* BF16 0.5 */
  builder b = {0};
  add_member(&b, "\"__metadata__\": {\"cell\": \"rnn_relu\"}");
  add_tensor(&b, "weight_ih_l0", "F16", "[1, 4]", w_ih, sizeof w_ih);
  add_tensor(&b, "weight_hh_l0", "BF16", "[1, 1]", w_hh, sizeof w_hh);
  add_tensor(&b, "bias_ih_l0", "F64", "[1]", b_ih, sizeof b_ih);
  add_tensor(&b, "bias_hh_l0", "BF16", "[1]", b_hh, sizeof b_hh);
  size_t len;
  uint8_t *file = finish(&b, &len);
  recur_net *net = NULL;
  cr_assert_eq(recur_net_load_memory(&net, file, len, NULL), RECUR_OK, "%s", recur_last_error());
  float x[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}, y[4];
  recur_forward_args args = {.seq_len = 4, .batch = 1, .input_size = 4, .unbatched = 1,
                             .x = &x[0][0], .y = y};
  cr_assert_eq(recur_forward(net, &args), RECUR_OK, "%s", recur_last_error());
  static const float want[4] = {2.25f, 1.0f, 2.75f, 1024.75f};
  expect_floats(y, want, 4);
  recur_net_free(net);
  free(file);
}

/* ---------------------------------------------------------------------------------------- */
/* Messages: what comes from the file is escaped                                            */

/* The last error is one line with no control byte (< 0x20 or 0x7f) and contains needle. */
static void expect_clean_message(const char *needle) {
  const char *msg = recur_last_error();
  for (const char *p = msg; *p; p++)
    cr_expect((unsigned char)*p >= 0x20 && *p != 0x7f, "byte 0x%02x at %zu of \"%s\"",
              (unsigned char)*p, (size_t)(p - msg), msg);
  cr_expect(strstr(msg, needle), "'%s' not in '%s'", needle, msg);
}

Test(messages, escape_forms_and_cuts) {
  char out[16];
  static const char all[] = "a '\"\\\n\t\r\x1b\a\x7f\xc3\xa9~";
  cr_expect_str_eq(recur_escape_n(all, sizeof all - 1).s,
                   "a '\"\\\\\\n\\t\\r\\x1b\\x07\\x7f\\xc3\\xa9~");
  cr_expect_str_eq(recur_escape_n("a\0b", 3).s, "a\\x00b", "a NUL inside the length");
  cr_expect_str_eq(recur_escape("").s, "");
  /* 15 characters fit in 16 bytes; one more and the text is cut to 12 and "...". */
  cr_expect_str_eq(recur_escape_into(out, sizeof out, "abcdefghijklmno", 15), "abcdefghijklmno");
  cr_expect_str_eq(recur_escape_into(out, sizeof out, "abcdefghijklmnop", 16), "abcdefghijkl...");
  /* An escape is never split by the cut. */
  cr_expect_str_eq(recur_escape_into(out, sizeof out, "abcdefghij\x1b\x1b", 12), "abcdefghij...");
  cr_expect_str_eq(recur_escape_into(out, 4, "abcd", 4), "...");
  char big[1000];
  memset(big, '\n', sizeof big);
  recur_escaped e = recur_escape_n(big, sizeof big);
  cr_expect_eq(strlen(e.s), (RECUR_ESCAPED_MAX - 4) / 2 * 2 + 3, "whole escapes, then the cut: %s",
               e.s);
  cr_expect_eq(strcmp(e.s + strlen(e.s) - 5, "\\n..."), 0, "%s", e.s);
}

/* Hostile names and values in the header: each message stays on one line, escaped. */
Test(messages, container_errors_escape_the_file) {
  static const struct {
    const char *header;
    size_t n_data;
    const char *needle;
  } cases[] = {
      {"{\"w\\u001b[31m\": {\"dtype\": \"F\\u0007\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
       4, "tensor 'w\\x1b[31m': unknown dtype 'F\\x07'"},
      {"{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4], \"x\\ny\": 1}}",
       4, "tensor 'a': unknown field 'x\\ny'"},
      {"{\"__metadata__\": {\"k\\r\\n\": 3}}", 0, "__metadata__['k\\r\\n'] is not a string"},
      {"{\"\\u001b]0;title\\u0007\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": "
       "[0, 8]}, \"b\\\"\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
       12, "tensor 'b\"': data_offsets [4, 12] overlap tensor '\\x1b]0;title\\x07'"},
      {"{\"a\\u007f\\\\\": {\"dtype\": \"F32\", \"shape\": \"x\", \"data_offsets\": [0, 4]}}", 4,
       "tensor 'a\\x7f\\\\': shape is not an array"},
      /* raw control bytes are not JSON: jansson's message quotes them, escaped here */
      {"{\"a\x1b[2J\": 1}", 0, "not valid JSON"},
      {"{\"a\": 1\a}", 0, "not valid JSON"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t len;
    uint8_t *file = raw_file(cases[i].header, cases[i].n_data, &len);
    expect_parse_fails(file, len, RECUR_ERR_BAD_FILE, cases[i].needle);
    expect_clean_message(cases[i].needle);
    free(file);
  }
}

Test(messages, model_errors_escape_the_file) {
  static const float w[4];
  builder cell = {0};
  add_member(&cell, "\"__metadata__\": {\"cell\": \"lstm\\nevil\"}");
  add_model(&cell, &gru);
  expect_builder_fails(&cell, NULL, RECUR_ERR_BAD_FILE, "metadata cell 'lstm\\nevil'");
  expect_clean_message("metadata cell 'lstm\\nevil' is not one of");

  builder name = {0};
  add_model(&name, &gru);
  add_f32(&name, "weight_ih_l0\\u001b[2J", 1, 4, 0);
  expect_builder_fails(&name, NULL, RECUR_ERR_UNEXPECTED_TENSOR, "weight_ih_l0\\x1b[2J: not an");
  expect_clean_message("weight_ih_l0\\x1b[2J: not an RNN weight name");

  /* Module prefixes from the file, in the list of modules and in names put back together. */
  builder two = {0};
  add_model(&two, &(model_spec){.prefix = "enc\\n.rnn.", .gates = 1, .input = 2, .hidden = 3,
                                .layers = 1});
  add_model(&two, &gru);
  expect_builder_fails(&two, NULL, RECUR_ERR_INVALID_ARGUMENT, "('enc\\n.rnn', '')");
  expect_clean_message("2 RNN modules in file ('enc\\n.rnn', '')");
  builder gone = {0};
  add_f32(&gone, "m\\u001b.weight_ih_l0", 2, 3, 2);
  expect_builder_fails(&gone, NULL, RECUR_ERR_MISSING_TENSOR, "m\\x1b.weight_hh_l0: missing");
  expect_clean_message("m\\x1b.weight_hh_l0: missing");
  builder ints = {0};
  add_tensor(&ints, "p\\u0007.weight_ih_l0", "I32", "[1, 1]", w, 4);
  add_tensor(&ints, "p\\u0007.weight_hh_l0", "I32", "[1, 1]", w, 4);
  expect_builder_fails(&ints, NULL, RECUR_ERR_UNSUPPORTED, "tensor 'p\\x07.weight_ih_l0'");
  expect_clean_message("tensor 'p\\x07.weight_ih_l0': dtype I32 is not supported");
  /* net.c's shape message, with the file's prefix put back in front */
  builder shape = {0};
  add_model(&shape, &(model_spec){.prefix = "q\\t.", .gates = 3, .input = 5, .hidden = 4,
                                  .layers = 2, .reshape = "weight_hh_l1", .delta = 1});
  expect_builder_fails(&shape, NULL, RECUR_ERR_SHAPE_MISMATCH, "q\\t.weight_hh_l1: shape (12, 5)");
  expect_clean_message("q\\t.weight_hh_l1: shape (12, 5), expected (12, 4)");

  /* The caller's prefix is compared with the file's names and shown the same way. */
  expect_builder_fails(&name, "x\ty\x1b", RECUR_ERR_MISSING_TENSOR, "module 'x\\ty\\x1b'");
  expect_clean_message("no tensor of module 'x\\ty\\x1b' in file");
}

/* A name of 1000 escape sequences is cut, and the message keeps what follows it. */
Test(messages, long_hostile_names_are_cut) {
  char header[8192] = "{\"";
  for (int i = 0; i < 1000; i++)
    strcat(header, "\\u001b");
  strcat(header, "\": {\"dtype\": \"X\", \"shape\": [], \"data_offsets\": [0, 0]}}");
  size_t len;
  uint8_t *file = raw_file(header, 0, &len);
  expect_parse_fails(file, len, RECUR_ERR_BAD_FILE, "\\x1b...': unknown dtype 'X'");
  expect_clean_message("tensor '\\x1b\\x1b");
  cr_expect_lt(strlen(recur_last_error()), RECUR_ESCAPED_MAX + 64, "%s", recur_last_error());
  free(file);
}
