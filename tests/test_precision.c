/* Precision modes: the bf16 rounding against bit patterns derived by hand, and the API
 * (options, their checks, what a network reports, what bf16 changes in a result, what
 * precision a model stored in BF16 loads as). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bf16.h"
#include "golden.h"
#include "precision.h"
#include "recur.h"
#include "recur_tool.h"

static uint32_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* Round to nearest even on bit patterns (NaN: PyTorch's 0x7fc0): the 16 bits kept, the 16 dropped decide. */
Test(precision, bf16_rounding_matches_hand_derived_bits) {
  static const struct { uint32_t in; uint16_t out; const char *why; } cases[] = {
    {0x3f800000u, 0x3f80, "1.0 is exact"},
    {0x3f807fffu, 0x3f80, "below the half: down"},
    {0x3f808000u, 0x3f80, "1 + 2^-8, a tie: to the even 0x3f80"},
    {0x3f808001u, 0x3f81, "above the half: up"},
    {0x3f818000u, 0x3f82, "a tie above an odd: up to the even 0x3f82"},
    {0xbfc08000u, 0xbfc0, "negative tie: to the even"},
    {0xbfc18000u, 0xbfc2, "negative tie above an odd: away from 0"},
    {0x3fffffffu, 0x4000, "a carry into the exponent"},
    {0x80000000u, 0x8000, "-0 stays -0"},
    {0x7f800000u, 0x7f80, "+Inf"},
    {0xff800000u, 0xff80, "-Inf"},
    {0x7f7f7fffu, 0x7f7f, "below the half under the largest bf16: the largest"},
    {0x7f7f8000u, 0x7f80, "the tie above the largest bf16 (odd): Inf"},
    {0x7f7fffffu, 0x7f80, "FLT_MAX: Inf"},
    {0xff7fffffu, 0xff80, "-FLT_MAX: -Inf"},
    {0x7fc00000u, 0x7fc0, "a quiet NaN"},
    {0x7f800001u, 0x7fc0, "a NaN whose payload is all in the dropped bits: PyTorch's NaN"},
    {0xff80ffffu, 0x7fc0, "a negative NaN (rounding would carry it to -Inf): PyTorch's NaN"},
    {0x7fbf8000u, 0x7fc0, "a signalling NaN: PyTorch's quiet NaN"},
    {0x00000001u, 0x0000, "the smallest denormal: to +0"},
    {0x00008000u, 0x0000, "a denormal tie: to the even 0"},
    {0x00018000u, 0x0002, "a denormal tie above an odd: up"},
    {0x00008001u, 0x0001, "a denormal above the half: the smallest bf16 denormal"},
    {0x807fffffu, 0x8080, "the largest negative denormal: carries to -2^-126"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    float f;
    memcpy(&f, &cases[i].in, sizeof f);
    cr_expect_eq(recur_bf16_bits(f), cases[i].out, "0x%08x: got 0x%04x, want 0x%04x (%s)",
                 cases[i].in, recur_bf16_bits(f), cases[i].out, cases[i].why);
    cr_expect_eq(float_bits(recur_bf16_round(f)), (uint32_t)cases[i].out << 16,
                 "0x%08x as a float (%s)", cases[i].in, cases[i].why);
  }
  float in[3] = {1.00390625f, NAN, -INFINITY}, out[3];
  recur_bf16_round_array(out, in, 3);
  cr_expect_eq(out[0], 1.0f);
  cr_expect(isnan(out[1]));
  cr_expect_eq(out[2], -INFINITY);
}

/* Every descriptor (RECUR_PRECISIONS) is found by its id, its name round-trips through the
 * public lookup, the ids run from 0 without a gap, and recur_tool_precision_names lists
 * exactly them, in order. */
Test(precision, every_descriptor_round_trips_by_name) {
  char names[128] = "";
  int n = 0;
#define CHECK_PRECISION(ID, nm)                                                          \
  do {                                                                                    \
    const recur_precision_desc *d = recur_precision_get(RECUR_PRECISION_##ID);            \
    cr_assert_eq(d, &recur_precision_##nm);                                             \
    cr_expect_eq(d->id, RECUR_PRECISION_##ID);                                            \
    cr_expect_eq((int)d->id, n, "ids run from 0 without a gap");                          \
    cr_expect_str_eq(recur_precision_name(d->id), #nm);                                 \
    recur_precision got = (recur_precision)-1;                                            \
    cr_expect_eq(recur_precision_from_name(#nm "junk", strlen(#nm), &got), RECUR_OK);  \
    cr_expect_eq(got, d->id);                                                             \
    cr_expect(d->bytes > 0 && d->k_pack >= 1 && d->a_bytes > 0 && d->pack && d->rounding); \
    cr_expect_eq(d->convert_a == NULL, d->a_bytes == sizeof(float), "%s", d->name);        \
    snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", n ? ", " : "",  \
             #nm);                                                                      \
    n++;                                                                                  \
  } while (0);
  RECUR_PRECISIONS(CHECK_PRECISION)
#undef CHECK_PRECISION
  cr_expect_null(recur_precision_get((recur_precision)n));
  cr_expect_null(recur_precision_name((recur_precision)n));
  cr_expect_str_eq(recur_tool_precision_names(), names);
  recur_precision got = RECUR_PRECISION_BF16;
  cr_expect_eq(recur_precision_from_name("fp16", 4, &got), RECUR_ERR_INVALID_ARGUMENT);
  cr_expect_eq(got, RECUR_PRECISION_BF16, "a failed lookup leaves *out");
  cr_expect(strstr(recur_last_error(), names), "%s", recur_last_error());
  cr_expect_eq(recur_precision_from_name("fp3", 3, &got), RECUR_ERR_INVALID_ARGUMENT);
  cr_expect_eq(recur_precision_from_name("", 0, &got), RECUR_ERR_INVALID_ARGUMENT);
  cr_expect_eq(recur_precision_from_name(NULL, 0, &got), RECUR_ERR_NULL_POINTER);
}

Test(precision, names_and_options_are_checked) {
  cr_expect_str_eq(recur_precision_name(RECUR_PRECISION_FP32), "fp32");
  cr_expect_str_eq(recur_precision_name(RECUR_PRECISION_BF16), "bf16");
  cr_expect_str_eq(recur_precision_name(RECUR_PRECISION_INT8), "int8");
  cr_expect_null(recur_precision_name((recur_precision)3));
  cr_expect_null(recur_precision_name((recur_precision)-1));

  recur_desc d = {RECUR_CELL_RNN_TANH, 1, 1, 1, 0, 0, 0, 0};
  float w = 0.5f;
  recur_tensor t[] = {{"weight_ih_l0", &w, 2, {1, 1}}, {"weight_hh_l0", &w, 2, {1, 1}}};
  recur_net *net = NULL;
  recur_precision p = RECUR_PRECISION_BF16;
  cr_assert_eq(recur_net_create_ex(&net, &d, t, 2, NULL), RECUR_OK, "%s", recur_last_error());
  cr_expect_eq(recur_net_precision(net, &p), RECUR_OK);
  cr_expect_eq(p, RECUR_PRECISION_FP32, "NULL options: fp32");
  recur_net_free(net);
  cr_assert_eq(recur_net_create(&net, &d, t, 2), RECUR_OK);
  cr_expect_eq(recur_net_precision(net, &p), RECUR_OK);
  cr_expect_eq(p, RECUR_PRECISION_FP32, "recur_net_create: fp32");
  recur_net_free(net);

  recur_net_options bf16 = {.precision = RECUR_PRECISION_BF16};
  cr_assert_eq(recur_net_create_ex(&net, &d, t, 2, &bf16), RECUR_OK, "%s", recur_last_error());
  cr_expect_eq(recur_net_precision(net, &p), RECUR_OK);
  cr_expect_eq(p, RECUR_PRECISION_BF16);
  cr_expect_eq(recur_net_precision(net, NULL), RECUR_ERR_NULL_POINTER);
  cr_expect_eq(recur_net_precision(NULL, &p), RECUR_ERR_NULL_POINTER);
  recur_net_free(net);

  recur_net_options int8 = {.precision = RECUR_PRECISION_INT8};
  cr_assert_eq(recur_net_create_ex(&net, &d, t, 2, &int8), RECUR_OK, "%s", recur_last_error());
  cr_expect_eq(recur_net_precision(net, &p), RECUR_OK);
  cr_expect_eq(p, RECUR_PRECISION_INT8);
  recur_net_free(net);

  for (int bad = -1; bad <= 3; bad += 4) {
    recur_net_options o = {.precision = (recur_precision)bad};
    net = (recur_net *)&w;
    cr_expect_eq(recur_net_create_ex(&net, &d, t, 2, &o), RECUR_ERR_INVALID_ARGUMENT);
    cr_expect_null(net);
    cr_expect(strstr(recur_last_error(), "precision"), "%s", recur_last_error());
    cr_expect_eq(recur_net_load_ex(&net, "/nonexistent.safetensors", NULL, &o),
                 RECUR_ERR_INVALID_ARGUMENT, "checked before the file is read");
    cr_expect_eq(recur_net_load_memory_ex(&net, "", 0, NULL, &o), RECUR_ERR_INVALID_ARGUMENT);
  }
}

/* y = tanh(w x) by hand, one unit: bf16 rounds w and x (1 + 2^-8 + 2^-10 up to 1 + 2^-7, and
 * 1 + 2^-8, a tie, down to 1), fp32 keeps them; the same on every table. */
Test(precision, bf16_rounds_weights_and_inputs_on_every_table) {
  recur_desc d = {RECUR_CELL_RNN_TANH, 1, 1, 1, 0, 0, 0, 0};
  float w_ih = 1.0f + 0x1p-8f + 0x1p-10f, w_hh = 0.0f, x[2] = {1.0f + 0x1p-8f, 0.25f};
  recur_tensor t[] = {{"weight_ih_l0", &w_ih, 2, {1, 1}}, {"weight_hh_l0", &w_hh, 2, {1, 1}}};
  char list[128], *save = NULL;
  snprintf(list, sizeof list, "%s", recur_isa_list());
  for (char *isa = strtok_r(list, " ", &save); isa; isa = strtok_r(NULL, " ", &save)) {
    cr_assert_eq(recur_isa_force(isa), RECUR_OK, "%s", recur_last_error());
    for (int bf16 = 0; bf16 <= 1; bf16++) {
      recur_net_options o = {.precision = bf16 ? RECUR_PRECISION_BF16 : RECUR_PRECISION_FP32};
      recur_net *net;
      cr_assert_eq(recur_net_create_ex(&net, &d, t, 2, &o), RECUR_OK, "%s", recur_last_error());
      float y[2];
      recur_forward_args a = {.seq_len = 2, .batch = 1, .input_size = 1, .x = x, .y = y};
      cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
      double w = bf16 ? 1.0 + 0x1p-7 : (double)w_ih, x0 = bf16 ? 1.0 : (double)x[0];
      float want[2] = {(float)tanh(w * x0), (float)tanh(w * 0.25)};
      size_t worst;
      cr_expect_eq(golden_mismatches(y, want, 2, &worst), 0, "%s %s: y[%zu] %.9g, want %.9g",
                   isa, recur_precision_name(o.precision), worst, (double)y[worst],
                   (double)want[worst]);
      recur_net_free(net);
    }
  }
}

/* A GRU (I = 3, H = 2) in safetensors with its tensors stored as BF16, and the same weights
 * (exact in bf16: multiples of 1/16; bf16_gru_file fills them) as fp32 arrays for
 * recur_net_create. */
enum { GRU_I = 3, GRU_H = 2, GRU_ROWS = 3 * GRU_H };
static float gru_w_ih[GRU_ROWS * GRU_I], gru_w_hh[GRU_ROWS * GRU_H], gru_b_ih[GRU_ROWS],
    gru_b_hh[GRU_ROWS];
static float *const gru_weights[] = {gru_w_ih, gru_w_hh, gru_b_ih, gru_b_hh};
static const size_t gru_counts[] = {GRU_ROWS * GRU_I, GRU_ROWS * GRU_H, GRU_ROWS, GRU_ROWS};
static const char *const gru_names[] = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"};

/* The file's bytes (to free), *len long. */
static uint8_t *bf16_gru_file(size_t *len) {
  char header[512];
  size_t used = (size_t)snprintf(header, sizeof header, "{\"__metadata__\": {\"format\": \"pt\"}");
  size_t offset = 0, n = 0;
  for (int t = 0; t < 4; t++) {
    for (size_t i = 0; i < gru_counts[t]; i++, n++)
      gru_weights[t][i] = (float)((int)((n * 7) % 17) - 8) / 16;
    used += (size_t)snprintf(header + used, sizeof header - used,
                             ", \"%s\": {\"dtype\": \"BF16\", \"shape\": [%d%s], "
                             "\"data_offsets\": [%zu, %zu]}", gru_names[t], GRU_ROWS,
                             t == 0 ? ", 3" : t == 1 ? ", 2" : "", offset, offset + 2 * gru_counts[t]);
    offset += 2 * gru_counts[t];
  }
  used += (size_t)snprintf(header + used, sizeof header - used, "}");
  cr_assert_lt(used, sizeof header);
  *len = 8 + used + offset;
  uint8_t *file = malloc(*len), *data = file + 8 + used;
  cr_assert_not_null(file);
  for (int b = 0; b < 8; b++) file[b] = (uint8_t)((uint64_t)used >> (8 * b));
  memcpy(file + 8, header, used);
  for (int t = 0; t < 4; t++) {
    for (size_t i = 0; i < gru_counts[t]; i++, data += 2) {
      uint32_t bits;
      memcpy(&bits, &gru_weights[t][i], 4);
      cr_assert_eq(bits & 0xffff, 0, "not exact in bf16");
      data[0] = (uint8_t)(bits >> 16), data[1] = (uint8_t)(bits >> 24); /* little-endian */
    }
  }
  return file;
}

/* y of net on an input that bf16 rounds (steps of 0.1). */
static void gru_forward(const recur_net *net, float *y) {
  enum { T = 4 };
  float x[T * GRU_I];
  for (int i = 0; i < T * GRU_I; i++) x[i] = 0.1f * (float)(i - 5);
  recur_forward_args a = {.seq_len = T, .batch = 1, .input_size = GRU_I, .x = x, .y = y};
  cr_assert_eq(recur_forward(net, &a), RECUR_OK, "%s", recur_last_error());
}

/* A model stored in BF16 loads as fp32 (its weights widened exactly: the same numbers as an
 * fp32 network of those weights) unless bf16 is asked for. */
Test(precision, a_bf16_file_loads_as_fp32_unless_bf16_is_asked_for) {
  size_t len;
  uint8_t *file = bf16_gru_file(&len);
  recur_desc d = {RECUR_CELL_GRU, GRU_I, GRU_H, 1, 0, 0, 1, 0};
  recur_tensor t[4];
  for (int i = 0; i < 4; i++)
    t[i] = (recur_tensor){gru_names[i], gru_weights[i], i < 2 ? 2 : 1,
                          {GRU_ROWS, i == 0 ? GRU_I : GRU_H}};
  float want[2][4 * GRU_H], got[4 * GRU_H];
  for (int p = RECUR_PRECISION_FP32; p <= RECUR_PRECISION_BF16; p++) {
    recur_net_options o = {(recur_precision)p};
    recur_net *net;
    cr_assert_eq(recur_net_create_ex(&net, &d, t, 4, &o), RECUR_OK, "%s", recur_last_error());
    gru_forward(net, want[p]);
    recur_net_free(net);
  }
  cr_assert_neq(memcmp(want[0], want[1], sizeof want[0]), 0, "the input is exact in bf16");

  static const recur_net_options fp32 = {RECUR_PRECISION_FP32}, bf16 = {RECUR_PRECISION_BF16};
  static const struct {
    const recur_net_options *options;
    recur_precision precision;
  } loads[] = {{NULL, RECUR_PRECISION_FP32}, {&fp32, RECUR_PRECISION_FP32}, {&bf16, RECUR_PRECISION_BF16}};
  for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++) {
    recur_net *net;
    cr_assert_eq(recur_net_load_memory_ex(&net, file, len, NULL, loads[i].options), RECUR_OK, "%s",
                 recur_last_error());
    recur_precision p;
    cr_assert_eq(recur_net_precision(net, &p), RECUR_OK);
    cr_expect_eq(p, loads[i].precision, "load %zu", i);
    gru_forward(net, got);
    cr_expect_eq(memcmp(got, want[loads[i].precision], sizeof got), 0,
                 "load %zu: not the %s network's numbers", i, recur_precision_name(loads[i].precision));
    recur_net_free(net);
  }
  free(file);
}
